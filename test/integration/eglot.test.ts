import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusResult } from '../../protocol';
import { NHD, nhdEnv, tempHome } from '../harness/daemon';

/** Runs the built CLI to completion, synchronously. */
function runCliSync(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [NHD, ...args], { env, encoding: 'utf8' });
}

/** A broken dev config: the port pair on line 8 (1-based) is not one. */
const BROKEN = ['name: authors', 'serviceType: deployment', 'containers:', '  - name: authors', '    dev:', '      image: golang', '      portForward:', '        - "80x80"', ''].join('\n');

/**
 * Runs test/integration/eglot/lsp_test.el in `emacs --batch`: `markdown` makes eglot believe
 * markdown-mode is installed, `remote` has it start `nhd serve --remote=auto`.
 */
function runEglot({ markdown = false, remote = false } = {}) {
  const dir = path.join(tempHome(), 'svc', '.nocalhost');
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, BROKEN);
  const home = tempHome();
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(NHD, path.join(bin, 'nhd'));
  const result = spawnSync('emacs', ['--batch', '--no-init-file', '-l', path.join(import.meta.dirname, 'eglot/lsp_test.el')], {
    encoding: 'utf8',
    timeout: 90_000,
    env: {
      ...nhdEnv(home),
      // `nhd` as `npm install -g` puts it on PATH, then a Node ≥ 22 for its `#!/usr/bin/env node`.
      PATH: [bin, path.dirname(process.execPath), process.env['PATH']].join(path.delimiter),
      NHD_CONFIG_FILE: configFile,
      NHD_EGLOT_MARKDOWN: markdown ? '1' : '0',
      NHD_EGLOT_REMOTE: remote ? '1' : '0',
    },
  });
  const log = fs.readFileSync(path.join(home, 'logs/daemon.log'), 'utf8');
  return { ...result, log, home };
}

/**
 * A second real editor besides Neovim: Emacs with eglot (Debian's emacs-nox and elpa-eglot, which
 * scripts/install-deps.sh installs). eglot sends `"params": null` on shutdown and exit, names no
 * markdown unless markdown-mode is installed, and no completion documentation format at all.
 */
describe('Emacs with eglot', () => {
  it('gets diagnostics once, plain text hover and completion documentation, and ends nhd with exit code 0', () => {
    const version = spawnSync('emacs', ['--batch', '--no-init-file', '--eval', '(progn (require (quote eglot)) (princ emacs-version))'], { encoding: 'utf8' });
    expect(version.error, 'emacs is not installed: apt-get install emacs-nox elpa-eglot (scripts/install-deps.sh does)').toBeUndefined();
    expect(version.status, `eglot does not load: ${version.stderr}`).toBe(0);

    const { stdout, stderr, status, log } = runEglot();
    expect(stdout, stderr).not.toMatch(/FAIL/);
    expect(status, stderr).toBe(0);
    expect(stdout).toContain('ok: eglot advertises hover formats ["plaintext"]');
    expect(stdout).toContain('ok: diagnostics published once');
    expect(stdout).toMatch(/ok: flymake diagnostic 8:10 .*80x80/);
    expect(stdout).toContain('ok: hover kind plaintext');
    expect(stdout).toContain('ok: hover shows containers[].dev.portForward: string[]');
    expect(stdout).toContain('ok: completion documentation plaintext');
    expect(stdout).toContain('ok: nhd.status through workspace/executeCommand, mode stdio');
    expect(stdout).toContain('ok: nhd exited 0 on exit');
    // Nothing eglot sent was refused, and nhd saw shutdown before exit.
    expect(log).not.toContain('rpc.badInput');
    expect(log).toMatch(/"message":"exit received".*"shutdown":true/);
  }, 120_000);

  it('gets markdown hovers when eglot advertises them', () => {
    const { stdout, stderr, status } = runEglot({ markdown: true });
    expect(stdout, stderr).not.toMatch(/FAIL/);
    expect(status, stderr).toBe(0);
    expect(stdout).toContain('ok: eglot advertises hover formats ["markdown" "plaintext"]');
    expect(stdout).toContain('ok: hover kind markdown');
    expect(stdout).toContain('ok: hover shows **containers[].dev.portForward**: `string[]`');
    expect(stdout).toContain('ok: nhd exited 0 on exit');
  }, 120_000);

  it('through the forwarder (serve --remote=auto): exit ends eglot’s connection and the shared daemon keeps serving', () => {
    const { stdout, stderr, status, log, home } = runEglot({ remote: true });
    const daemon = runCliSync(['status', '--json'], nhdEnv(home));
    try {
      expect(stdout, stderr).not.toMatch(/FAIL/);
      expect(status, stderr).toBe(0);
      expect(stdout).toContain('ok: nhd.status through workspace/executeCommand, mode socket');
      expect(stdout).toContain('ok: nhd exited 0 on exit');
      expect(log).toMatch(/"message":"exit received".*"shutdown":true/);
      expect(daemon.status, daemon.stderr).toBe(0);
      // Only the status command's own connection is left.
      expect((JSON.parse(daemon.stdout) as StatusResult).clients.map((c) => c.name)).toEqual(['nhd-cli']);
    } finally {
      if (daemon.status === 0) process.kill((JSON.parse(daemon.stdout) as StatusResult).pid);
    }
  }, 120_000);
});
