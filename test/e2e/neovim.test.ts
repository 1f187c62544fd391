import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NHD, REPO, nhdEnv, tempHome } from '../harness/daemon';
import { DEV_IMAGE, applyDeployment, createNamespace, kubectlJson, specOf } from './support';

/**
 * The Neovim plugin (clients/neovim) on the real cluster, headless Neovim 0.7.2: :Nhd dev start
 * and dev end on a small Deployment, the state the daemon pushes into the plugin, sync, run,
 * port-forward, ls and exec; then the workload's spec is restored exactly.
 */
const ns = createNamespace('nhd-nvim');
const home = tempHome();
afterAll(() => {
  // The plugin ran `nhd serve --remote=auto`: a shared daemon under this test's NHD_HOME.
  if (fs.existsSync(path.join(home, 'nhd.sock'))) {
    try {
      const out = execFileSync(process.execPath, [NHD, 'status', '--json'], { env: nhdEnv(home), encoding: 'utf8' });
      process.kill(JSON.parse(out).pid, 'SIGTERM');
    } catch {
      // No daemon.
    }
  }
  ns.dispose();
});

beforeAll(() => {
  // Two containers, `app` second: the config entry's name, not the order, picks the dev container.
  applyDeployment(ns.name, 'nvim-app', [
    `{name: proxy, image: ${DEV_IMAGE}, imagePullPolicy: Never, command: [sh, -c, 'sleep infinity']}`,
    `{name: app, image: ${DEV_IMAGE}, imagePullPolicy: Never, command: [sh, -c, 'sleep infinity']}`,
  ]);
});

describe('Neovim plugin on the cluster', () => {
  it(':Nhd dev start / run / exec / dev end, with the dev and sync state pushed into the plugin, and the spec restored', async () => {
    const before = specOf(ns.name, 'deployment', 'nvim-app');
    const localDir = path.join(home, 'src');
    fs.mkdirSync(path.join(localDir, '.nocalhost'), { recursive: true });
    fs.writeFileSync(
      path.join(localDir, '.nocalhost', 'config.yaml'),
      `name: nvim-app\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: ${DEV_IMAGE}\n      workDir: /src\n      command:\n        run: ["node", "-e", "console.log('hello from nvim run'); require('http').createServer((q, s) => s.end('hi from nvim-app')).listen(9080)"]\n`,
    );
    fs.writeFileSync(path.join(localDir, 'index.js'), 'console.log(1)\n');
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${path.join(import.meta.dirname, 'neovim/dev_test.lua')}`], {
        cwd: localDir,
        env: {
          ...nhdEnv(home, { NHD_IDENTITY: 'nvim@e2e', KUBECONFIG: process.env['KUBECONFIG'] ?? '' }),
          NHD_NODE: process.execPath,
          NHD_SCRIPT: NHD,
          NHD_PLUGIN_DIR: path.join(REPO, 'clients/neovim'),
          NHD_NAMESPACE: ns.name,
          NHD_LOCAL_DIR: localDir,
          // `nhd exec` in the terminal runs the CLI by this name.
          PATH: `${path.dirname(process.execPath)}:${process.env['PATH']}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 540_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(result.stderr, result.stdout).not.toMatch(/FAIL/);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ok: dev start: pushed states .*ready/);
    expect(result.stdout).toMatch(/ok: statusline after the initial sync: nhd: nvim-app live( \d+ms)?/);
    expect(result.stdout).toContain('ok: sync batch pushed');
    expect(result.stdout).toContain('ok: :Nhd run output: hello from nvim run');
    expect(result.stdout).toMatch(/ok: :Nhd port-forward 127\.0\.0\.1:\d+ answers hi from nvim-app/);
    expect(result.stdout).toContain('ok: :Nhd ls shows deployment/nvim-app developing');
    expect(result.stdout).toContain('ok: -c completes the containers proxy app');
    expect(result.stdout).toContain('ok: dev start swapped container app');
    expect(result.stdout).toContain('ok: :Nhd exec terminal');
    expect(result.stdout).toMatch(/ok: dev end: pushed states .*ended/);

    expect(specOf(ns.name, 'deployment', 'nvim-app')).toEqual(before);
    const annotations = kubectlJson(['get', 'deployment', 'nvim-app', '-n', ns.name]).metadata.annotations ?? {};
    expect(Object.keys(annotations).filter((k) => k.startsWith('nhd.dev/'))).toEqual([]);
  }, 600_000);
});
