import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { REPO, nhdEnv, runCli, tempHome } from '../harness/daemon';

const home = tempHome();
const env = nhdEnv(home);
const REFERENCE = path.join(REPO, 'test/fixtures/nocalhost-configs');

afterAll(async () => {
  const status = await runCli(['status', '--json'], env);
  if (status.code === 0) process.kill(JSON.parse(status.stdout).pid, 'SIGTERM');
});

describe('nhd CLI', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version'], env);
    expect(result).toEqual({ code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
  });

  it('prints usage and exits 2 on an unknown command', async () => {
    const result = await runCli(['frobnicate'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^nhd: unknown command "frobnicate"\n\nnhd .*\n\nUsage:/);
  });

  it('prints the status for people', async () => {
    const result = await runCli(['status'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^nhd ${packageJson.version} \\(protocol \\d+\\.\\d+\\.\\d+\\), pid \\d+, up \\S+, shared on ${home}/nhd.sock\\n`));
    expect(result.stdout).toMatch(/\nclients: 1 \(nhd-cli \S+\)\nsessions: none\n$/);
  });

  it('nhd serve refuses to start with an NHD_TEST_FAULT that is not a fault, or without NHD_TEST_HOOKS=1', async () => {
    const faultHome = tempHome();
    const bad = await runCli(['serve', '--listen', path.join(faultHome, 'nhd.sock')], { ...nhdEnv(faultHome), NHD_TEST_FAULT: 'write:3:during' });
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toBe('nhd: NHD_TEST_FAULT="write:3:during" is not a fault: write it as write:N:before or write:N:after (N from 1, the cluster write to kill the daemon at), or unset NHD_TEST_FAULT; it is for tests only.\n');
    const noHooks = await runCli(['serve', '--listen', path.join(faultHome, 'nhd.sock')], { ...nhdEnv(faultHome), NHD_TEST_FAULT: 'write:3:after', NHD_TEST_HOOKS: '' });
    expect(noHooks.code).toBe(2);
    expect(noHooks.stderr).toBe('nhd: NHD_TEST_FAULT is set, but it is for tests only and works only with NHD_TEST_HOOKS=1; unset NHD_TEST_FAULT.\n');
    expect(fs.existsSync(path.join(faultHome, 'nhd.sock'))).toBe(false);
  });

  it('validates every reference config with no errors', async () => {
    // Every config file of the reference set: the app-level bookinfo config (its base-services.yaml
    // and env.dev come in through _INCLUDE_ and envFile), and a manifest carrying dev.nocalhost.
    const files = [path.join(REFERENCE, 'bookinfo/.nocalhost/config.yaml'), path.join(REFERENCE, 'bookinfo-annotation-authors.yaml')];
    for (const file of files) {
      const result = await runCli(['config', 'validate', file], env);
      expect(result.stdout.split('\n').filter((l) => l.includes(': error:'))).toEqual([]);
      expect(result.code).toBe(0);
    }
  });

  it('validates the dev.nocalhost annotation form with --annotation', async () => {
    const dir = fs.mkdtempSync(path.join(home, 'ann-'));
    const file = path.join(dir, 'annotation.yaml');
    fs.writeFileSync(file, 'containers:\n  - dev:\n      image: golang:1.22\n      workDir: /src\n');
    const result = await runCli(['config', 'validate', '--annotation', '--json', file], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).services[0].containers[0].dev).toMatchObject({ image: 'golang:1.22', workDir: '/src' });
  });

  it('prints FILE:LINE:COL diagnostics and exits 1 on errors', async () => {
    const dir = path.join(home, 'broken', '.nocalhost');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      file,
      ['name: authors', 'serviceType: deployment', 'containers:', '  - name: authors', '    dev:', '      image: golang', '      portForward:', '        - "not-a-pair"', '      sync:', '        type: sideways', ''].join('\n'),
    );
    const result = await runCli(['config', 'validate', file], env);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines.some((l) => l.startsWith(`${file}:8:11: error: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}:10:15: error: `))).toBe(true);
  });

  it('prints normalized services and diagnostics with --json', async () => {
    const file = path.join(REFERENCE, 'bookinfo/.nocalhost/config.yaml');
    const result = await runCli(['config', 'validate', '--json', file], env);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { services: { name: string; serviceType: string; containers: { dev: Record<string, unknown> }[] }[]; diagnostics: unknown[] };
    const productpage = parsed.services.find((s) => s.name === 'productpage')!;
    expect(productpage.serviceType).toBe('deployment');
    expect(productpage.containers[0]!.dev).toMatchObject({ workDir: '/home/nocalhost-dev', command: { run: ['./run.sh'], debug: ['./debug.sh'] }, portForward: ['39080:9080'] });
    expect(productpage.containers[0]!.dev['sync']).toMatchObject({ type: 'send', mode: 'pattern', deleteProtection: true });
  });

  it('says clearly when the file does not exist', async () => {
    const result = await runCli(['config', 'validate', '/nonexistent/config.yaml'], env);
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'nhd: Cannot read /nonexistent/config.yaml: no such file.\n' });
  });
});
