import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NHD, REPO, nhdEnv, tempHome } from '../harness/daemon';

/**
 * A bin directory as `npm install -g` makes it (nhd, a link to the bundle) first on PATH, then the
 * directory of a Node ≥ 22 for its `#!/usr/bin/env node`, then the rest of PATH.
 */
function pathWithNhd(home: string): string {
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(NHD, path.join(bin, 'nhd'));
  return [bin, path.dirname(process.execPath), process.env['PATH']].join(path.delimiter);
}

/** The plugin's `nhd serve --remote=auto` started a shared daemon under this NHD_HOME; end it. */
function stopSharedDaemon(home: string): void {
  const status = spawnSync(process.execPath, [NHD, 'status', '--json'], { env: nhdEnv(home), encoding: 'utf8' });
  expect(status.status, status.stderr).toBe(0);
  process.kill((JSON.parse(status.stdout) as { pid: number }).pid);
}

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

  it('runs the plugin (clients/neovim) with its default command, nhd from PATH: setup, :Nhd completion, statusline, commands and errors through the daemon, nvim-dap', () => {
    const home = tempHome();
    const dir = path.join(home, 'svc', '.nocalhost');
    fs.mkdirSync(dir, { recursive: true });
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(configFile, ['name: authors', 'serviceType: deployment', 'containers:', '  - name: authors', '    dev:', '      image: golang', '      portForward:', '        - "80x80"', ''].join('\n'));
    // A cluster that refuses every connection: the daemon's errors must come back as messages.
    const kubeconfig = path.join(home, 'kubeconfig');
    fs.writeFileSync(kubeconfig, ['apiVersion: v1', 'kind: Config', 'current-context: nowhere', 'clusters: [{name: nowhere, cluster: {server: "https://127.0.0.1:1"}}]', 'users: [{name: nobody, user: {token: x}}]', 'contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody}}]', ''].join('\n'));
    const result = spawnSync('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${path.join(import.meta.dirname, 'neovim/plugin_test.lua')}`], {
      encoding: 'utf8',
      timeout: 90_000,
      cwd: home,
      env: { ...nhdEnv(home), PATH: pathWithNhd(home), NHD_PLUGIN_DIR: path.join(REPO, 'clients/neovim'), NHD_CONFIG_FILE: configFile, NHD_FAKE_KUBECONFIG: kubeconfig, KUBECONFIG: '' },
    });
    stopSharedDaemon(home);
    expect(result.stderr, result.stdout).not.toMatch(/FAIL/);
    expect(result.status).toBe(0);
    for (const line of ['plugin loads', 'completion ', 'statusline with no session: nhd', 'nhd.status through executeCommand', ':Nhd status shows the log path', 'daemon error as a message', ':Nhd sync status with no session', ':Nhd logs buffer', '$/progress received', 'statusline follows nhd/sync/didChange', 'dev config buffer diagnostics', 'nvim-dap adapter: pipe', 'nvim-dap adapter without pipe', 'client stopped']) {
      expect(result.stdout).toContain(`ok: ${line}`);
    }
  }, 120_000);
});
