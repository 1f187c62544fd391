import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NHD, nhdEnv, tempHome } from '../harness/daemon';

/**
 * A real editor: Debian's Neovim (0.7.2) headless, with its built-in LSP client and no plugins.
 * .ci/run installs it; a missing nvim fails this test rather than skipping it.
 */
describe('Neovim', () => {
  it('gets diagnostics for a broken config and runs a command through workspace/executeCommand', () => {
    const version = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
    expect(version.error, 'nvim is not installed: apt-get install neovim (.ci/run does)').toBeUndefined();
    const dir = path.join(tempHome(), 'svc', '.nocalhost');
    fs.mkdirSync(dir, { recursive: true });
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(configFile, ['name: authors', 'serviceType: deployment', 'containers:', '  - name: authors', '    dev:', '      image: golang', '      portForward:', '        - "80x80"', ''].join('\n'));
    const result = spawnSync('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${path.join(import.meta.dirname, 'neovim/lsp_test.lua')}`], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...nhdEnv(tempHome()), NHD_NODE: process.execPath, NHD_SCRIPT: NHD, NHD_CONFIG_FILE: configFile },
    });
    expect(result.stderr).not.toMatch(/FAIL/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ok: diagnostic 7:10 .*80x80/);
    expect(result.stdout).toMatch(/ok: nhd\.status pid \d+ version /);
    expect(result.stdout).toMatch(/ok: nhd\.config\.validate authors/);
  });
});
