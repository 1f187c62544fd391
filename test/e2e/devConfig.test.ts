import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NHD, tempHome } from '../harness/daemon';
import { APP_IMAGE, DEV_IMAGE, applyDeployment, createNamespace, kubectl, kubectlJson, nhdCli, specOf } from './support';

/** A Nocalhost dev config applied as Nocalhost applies it, on the real cluster (issue: config fidelity). */
const ns = createNamespace('nhd-devcfg');
const cli = nhdCli('devcfg@nhd-test');
afterAll(() => {
  cli.stop();
  ns.dispose();
});

const container = (name: string) => `{name: ${name}, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "sleep infinity"]}`;

/** A project directory holding `.nocalhost/config.yaml` with this text. */
function project(config: string): string {
  const dir = tempHome();
  fs.mkdirSync(path.join(dir, '.nocalhost'));
  fs.writeFileSync(path.join(dir, '.nocalhost', 'config.yaml'), config);
  return dir;
}

/** A config for deployment NAME whose one entry is ENTRY, with more `dev` lines (indented 6) and service lines. */
const configFor = (name: string, entry: string, devLines = '', serviceLines = '') =>
  `name: ${name}\nserviceType: deployment\n${serviceLines}containers:\n  - name: ${entry}\n    dev:\n      image: ${DEV_IMAGE}\n      workDir: /src\n${devLines}`;

/** The dev pod of a session started with --json. */
function devPod(start: { stdout: string }): any {
  return kubectlJson(['get', 'pod', JSON.parse(start.stdout).pod, '-n', ns.name]);
}

/** `nhd exec deployment/NAME` with no command (a shell), fed `input` on stdin. */
function execShell(name: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NHD, 'exec', `deployment/${name}`, '-n', ns.name], { env: cli.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function devStart(name: string, dir: string, extra: string[] = []) {
  return cli.run(['dev', 'start', `deployment/${name}`, '-n', ns.name, '--local-dir', dir, '--no-sync', '--json', ...extra]);
}

describe('the container a config entry names', () => {
  beforeAll(() => applyDeployment(ns.name, 'two', [container('proxy'), container('app')]));

  it('is the one swapped in a two-container pod, by config alone; dev end restores .spec', async () => {
    const before = specOf(ns.name, 'deployment', 'two');
    const start = await devStart('two', project(configFor('two', 'app')));
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const session = JSON.parse(start.stdout);
    expect(session).toMatchObject({ container: 'app', image: DEV_IMAGE, workDir: '/src' });
    const pod = kubectlJson(['get', 'pod', session.pod, '-n', ns.name]);
    expect(pod.spec.containers.map((c: any) => [c.name, c.image])).toEqual([
      ['proxy', APP_IMAGE],
      ['app', DEV_IMAGE],
      ['nhd-sync', expect.any(String)],
    ]);
    expect((await cli.run(['dev', 'end', 'deployment/two', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'two')).toEqual(before);
  });

  it('is refused, with the containers listed, when the entry names none of them', async () => {
    const start = await devStart('two', project(configFor('two', 'web')));
    expect(start.code).not.toBe(0);
    expect(start.stderr).toMatch(/The dev config entry's `name: web` in .*config\.yaml names no container of deployment\/two; its containers are proxy, app\. Fix the entry's name or pass --container\./);
    expect(kubectlJson(['get', 'deployment', 'two', '-n', ns.name]).metadata.annotations?.['nhd.dev/owner']).toBeUndefined();
  });

  it('gives way to --container', async () => {
    const start = await devStart('two', project(configFor('two', 'app')), ['--container', 'proxy']);
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ container: 'proxy', image: DEV_IMAGE });
    expect((await cli.run(['dev', 'end', 'deployment/two', '-n', ns.name])).code).toBe(0);
  });
});

describe('dev pod settings Nocalhost applies', () => {
  const PRIORITY_CLASS = `nhd-e2e-${ns.name}`.slice(0, 63);
  beforeAll(() => {
    applyDeployment(ns.name, 'settings', [container('app')]);
    kubectl(['apply', '-f', '-'], `apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: ${PRIORITY_CLASS}}\nvalue: 4242\n`);
  });
  afterAll(() => void kubectl(['delete', 'priorityclass', PRIORITY_CLASS, '--ignore-not-found']));

  it('the Recreate strategy, imagePullPolicy and priorityClass in dev mode; dev end restores .spec exactly', async () => {
    const before = specOf(ns.name, 'deployment', 'settings') as any;
    expect(before.strategy.type).toBe('RollingUpdate');
    const dir = project(configFor('settings', 'app', '      imagePullPolicy: Never\n', `priorityClass: ${PRIORITY_CLASS}\n`));
    const start = await devStart('settings', dir);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    expect((specOf(ns.name, 'deployment', 'settings') as any).strategy).toEqual({ type: 'Recreate' });
    const pod = devPod(start);
    expect(pod.spec.containers[0]).toMatchObject({ name: 'app', image: DEV_IMAGE, imagePullPolicy: 'Never' });
    expect(pod.spec).toMatchObject({ priorityClassName: PRIORITY_CLASS, priority: 4242 });
    expect((await cli.run(['dev', 'end', 'deployment/settings', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'settings')).toEqual(before);
  });

  it('dev.shell is the shell of nhd exec, and a shell the image lacks says so and falls back to sh', async () => {
    // Without dev.shell, the default picks bash in this image ...
    expect((await devStart('settings', project(configFor('settings', 'app')))).code).toBe(0);
    expect((await execShell('settings', 'echo "shell=$0"\n')).stdout).toContain('shell=bash');
    // ... so `sh` shows the config was applied.
    const start = await devStart('settings', project(configFor('settings', 'app', '      shell: sh\n')));
    expect(start.code).toBe(0);
    const sh = await execShell('settings', 'echo "shell=$0"\n');
    expect(sh.stdout).toContain('shell=sh');
    const missing = await devStart('settings', project(configFor('settings', 'app', '      shell: fish\n')));
    expect(missing.code).toBe(0);
    const fallback = await execShell('settings', 'echo "shell=$0"\n');
    expect(fallback.stderr).toContain('nhd: dev.shell fish is not in the dev image; starting sh');
    expect(fallback.stdout).toContain('shell=sh');
    expect((await cli.run(['dev', 'end', 'deployment/settings', '-n', ns.name])).code).toBe(0);
  });
});

describe('dev.patches', () => {
  beforeAll(() => applyDeployment(ns.name, 'patched', [container('app'), container('side')]));

  it('a strategic merge patch is applied by the API server after nhd’s changes, in one rollout, and dev end restores .spec', async () => {
    const before = specOf(ns.name, 'deployment', 'patched');
    // Strategic merge: `containers` merges by name, so this adds an env var to `side` and keeps both containers.
    const patch = JSON.stringify({ spec: { template: { metadata: { labels: { patched: 'yes' } }, spec: { containers: [{ name: 'side', env: [{ name: 'PATCHED', value: 'strategic' }] }] } } } });
    const start = await devStart('patched', project(configFor('patched', 'app', `      patches:\n        - patch: '${patch}'\n`)));
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const pod = devPod(start);
    expect(pod.metadata.labels).toMatchObject({ patched: 'yes' });
    expect(pod.spec.containers.map((c: any) => c.name)).toEqual(['app', 'side', 'nhd-sync']);
    expect(pod.spec.containers[0].image).toBe(DEV_IMAGE);
    expect(pod.spec.containers[1].env).toEqual([{ name: 'PATCHED', value: 'strategic' }]);
    const deployment = kubectlJson(['get', 'deployment', 'patched', '-n', ns.name]);
    // Resumed after the last patch (the API server leaves out `paused: false`).
    expect(deployment.spec.paused).not.toBe(true);
    expect((await cli.run(['dev', 'end', 'deployment/patched', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'patched')).toEqual(before);
  });

  it('a patch the API server refuses fails dev start with its reason, and dev end restores', async () => {
    const before = specOf(ns.name, 'deployment', 'patched');
    const patch = JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 7 }]);
    const start = await devStart('patched', project(configFor('patched', 'app', `      patches:\n        - type: json\n          patch: '${patch}'\n`)));
    expect(start.code).not.toBe(0);
    expect(start.stderr).toMatch(/dev\.patches\[0\] \(type json\) was refused by the API server: .*`nhd dev end` restores the workload/);
    expect((await cli.run(['dev', 'end', 'deployment/patched', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'patched')).toEqual(before);
  });
});

describe('command.build', () => {
  beforeAll(() => applyDeployment(ns.name, 'built', [container('app')]));

  it('runs before command.run in the dev container, and a failing build stops the run with its exit code', async () => {
    const run = (build: string) => `      command:\n        build: ["sh", "-c", "${build}"]\n        run: ["sh", "-c", "cat built.txt"]\n`;
    expect((await devStart('built', project(configFor('built', 'app', run('echo from-build > built.txt'))))).code).toBe(0);
    const ok = await cli.run(['run', 'deployment/built', '-n', ns.name]);
    expect(ok.stdout).toContain('from-build');
    expect(ok.code).toBe(0);
    expect((await devStart('built', project(configFor('built', 'app', run('exit 4'))))).code).toBe(0);
    const failed = await cli.run(['run', 'deployment/built', '-n', ns.name]);
    expect(failed.stderr).toContain('command.build failed (exit 4); the program was not started');
    expect(failed.code).toBe(4);
    expect((await cli.run(['dev', 'end', 'deployment/built', '-n', ns.name])).code).toBe(0);
  });
});
