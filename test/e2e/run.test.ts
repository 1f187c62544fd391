import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  RunDidChangeNotification,
  RunListRequest,
  RunOutputNotification,
  RunStartRequest,
  RunStopRequest,
  type RunDidChangeParams,
  type RunInfo,
  type RunListResult,
  type RunOutputParams,
} from '../../protocol';
import { NHD, REPO, connectSocketClient, tempHome, until, type TestClient } from '../harness/daemon';
import { APP_IMAGE, applyDeployment, createNamespace, errorOf, kubectl, nhdCli, waitRollout } from './support';

/**
 * `nhd run` on the real cluster: the dev config's command.run in the dev container, its output
 * streamed, its exit code reported, a stop (or Ctrl-C, or the client leaving) that leaves no
 * process behind, one run per workload, and the errors a person can cause.
 */

const WAIT_MS = 60_000;
/** The dev image: Debian, with sh, setsid and ps. */
const DEV_IMAGE = 'docker.io/nhd/dev-python:v1';
let ns: ReturnType<typeof createNamespace>;
let pod: string;
let client: TestClient;
const cli = nhdCli();
const localDir = tempHome();
const configFile = path.join(localDir, '.nocalhost', 'config.yaml');

/** Writes the dev config with this command.run; `nhd run` reads it afresh each time. */
function setRun(command: string[] | undefined, extra = ''): void {
  const run = command ? `      command:\n        run: ${JSON.stringify(command)}\n` : '';
  fs.writeFileSync(configFile, `name: app\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: ${DEV_IMAGE}\n      workDir: /src\n${run}${extra}`);
}

/** The processes in the dev container now, as `ps` prints them (pid, pgid, args). */
function processes(): string {
  return kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'ps', '-eo', 'pid,pgid,stat,args']);
}

function pidFiles(): string {
  return kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'sh', '-c', 'ls /tmp/nhd-run 2>/dev/null || true']);
}

beforeAll(async () => {
  ns = createNamespace('nhd-run');
  const quick = { terminationGracePeriodSeconds: 0, automountServiceAccountToken: false };
  applyDeployment(ns.name, 'app', [`{name: app, image: ${APP_IMAGE}, imagePullPolicy: Never, command: [python3, -m, http.server, '9080']}`], quick);
  applyDeployment(ns.name, 'other', [`{name: other, image: ${APP_IMAGE}, imagePullPolicy: Never, command: [sleep, infinity]}`], quick);
  fs.mkdirSync(path.dirname(configFile), { recursive: true });
  setRun(['true']);
  const started = await cli.run(['dev', 'start', 'deployment/app', '-n', ns.name, '--local-dir', localDir, '--json']);
  expect(started.code, started.stderr).toBe(0);
  pod = JSON.parse(started.stdout).pod;
  client = await connectSocketClient(path.join(cli.home, 'nhd.sock'), 'run-e2e');
});

afterAll(async () => {
  client?.dispose();
  // details' dev mode ends in its last test; ending it again is a no-op.
  if (ns) for (const name of ['app', 'details']) await cli.run(['dev', 'end', `deployment/${name}`, '-n', ns.name]);
  cli.stop();
  ns?.dispose();
});

/** What a run printed and how it changed, as one client saw it. */
function transcript(c: TestClient, runId: string) {
  const outputs = () => c.notifications.filter((n) => n.method === RunOutputNotification.method).map((n) => n.params as RunOutputParams).filter((p) => p.runId === runId);
  const text = (stream: string) => Buffer.concat(outputs().filter((p) => p.stream === stream).map((p) => Buffer.from(p.data, 'base64'))).toString('utf8');
  const changes = () => c.notifications.filter((n) => n.method === RunDidChangeNotification.method).map((n) => n.params as RunDidChangeParams).filter((p) => p.run.runId === runId);
  return {
    stdout: () => text('stdout'),
    stderr: () => text('stderr'),
    changes,
    ended: () => changes().find((p) => p.run.ended)?.run,
  };
}

function start(c: TestClient = client, extra: { hotReload?: boolean; name?: string } = {}): Promise<RunInfo> {
  return c.connection.sendRequest(RunStartRequest.method, { kind: 'deployment', name: 'app', namespace: ns.name, ...extra }) as Promise<RunInfo>;
}

describe('nhd/run over the protocol', () => {
  it('streams stdout and stderr, runs in workDir, and reports the exit code of a program that ends by itself', async () => {
    setRun(['sh', '-c', 'echo hello; echo oops >&2; pwd; exit 3']);
    const run = await start();
    expect(run).toMatchObject({ kind: 'deployment', name: 'app', pod, container: 'app', workDir: '/src', hotReload: false, state: 'running', ended: false });
    expect(run.command).toEqual(['sh', '-c', 'echo hello; echo oops >&2; pwd; exit 3']);
    const t = transcript(client, run.runId);
    await until(() => t.ended() !== undefined, 'the run to end', WAIT_MS);
    expect(t.ended()).toMatchObject({ state: 'exited', exitCode: 3, ended: true });
    expect(t.stdout()).toBe('hello\n/src\n');
    expect(t.stderr()).toBe('oops\n');
    // Nothing of the run arrives after its end, and it is no longer held.
    expect(client.notifications.filter((n) => (n.params as { runId?: string; run?: RunInfo })?.runId === run.runId || (n.params as { run?: RunInfo })?.run?.runId === run.runId).at(-1)?.method).toBe(RunDidChangeNotification.method);
    expect(((await client.connection.sendRequest(RunListRequest.method, {})) as RunListResult).runs).toEqual([]);
    expect(pidFiles()).toBe('');
  });

  it('stops the whole process group: nothing the program started is left in the container', async () => {
    setRun(['sh', '-c', 'sleep 4241 & sleep 4242 & (sleep 4243 &); echo ready; wait']);
    const run = await start();
    const t = transcript(client, run.runId);
    await until(() => t.stdout().includes('ready'), 'the program to start', WAIT_MS);
    expect(processes()).toContain('sleep 4243');
    expect(((await client.connection.sendRequest(RunListRequest.method, {})) as RunListResult).runs.map((r) => r.runId)).toEqual([run.runId]);
    const last = (await client.connection.sendRequest(RunStopRequest.method, { runId: run.runId })) as RunInfo;
    expect(last).toMatchObject({ state: 'exited', ended: true, exitCode: 143, message: 'Stopped.' });
    expect(processes()).not.toMatch(/sleep 424|nhd-run/);
    expect(pidFiles()).toBe('');
    const again = await errorOf(client.connection.sendRequest(RunStopRequest.method, { runId: run.runId }));
    expect(again.code).toBe(ErrorCode.UnknownHandle);
  });

  it('kills a program that ignores SIGTERM after the grace period', async () => {
    setRun(['sh', '-c', "trap '' TERM; sleep 4251 & echo ready; while :; do sleep 1; done"]);
    const run = await start();
    const t = transcript(client, run.runId);
    await until(() => t.stdout().includes('ready'), 'the program to start', WAIT_MS);
    const began = Date.now();
    const last = (await client.connection.sendRequest(RunStopRequest.method, { runId: run.runId })) as RunInfo;
    expect(Date.now() - began).toBeGreaterThanOrEqual(4_500);
    expect(last.exitCode).toBe(137);
    expect(processes()).not.toMatch(/sleep 4251|sleep 1$|nhd-run/m);
  });

  it('ends the runs of a client that leaves', async () => {
    setRun(['sh', '-c', 'echo ready; exec sleep 4261']);
    const other = await connectSocketClient(path.join(cli.home, 'nhd.sock'), 'run-e2e-leaving');
    const run = await start(other);
    await until(() => transcript(other, run.runId).stdout().includes('ready'), 'the program to start', WAIT_MS);
    other.dispose();
    await until(() => !processes().includes('sleep 4261'), 'the run to end with its client', WAIT_MS);
    await until(() => transcript(client, run.runId).ended() !== undefined, 'every client to hear of the end', WAIT_MS);
    expect(transcript(client, run.runId).ended()?.message).toContain('disconnected');
  });

  it('replaces the run of a workload with a second one (one run per dev container)', async () => {
    setRun(['sh', '-c', 'echo first; exec sleep 4271']);
    const first = await start();
    await until(() => transcript(client, first.runId).stdout().includes('first'), 'the first run to start', WAIT_MS);
    const other = await connectSocketClient(path.join(cli.home, 'nhd.sock'), 'run-e2e-second');
    try {
      setRun(['sh', '-c', 'echo second; exec sleep 4272']);
      const second = await start(other);
      expect(transcript(client, first.runId).ended()).toMatchObject({ ended: true, message: expect.stringContaining('Replaced') });
      await until(() => transcript(other, second.runId).stdout().includes('second'), 'the second run to start', WAIT_MS);
      const ps = processes();
      expect(ps).not.toContain('sleep 4271');
      expect(ps).toContain('sleep 4272');
      await other.connection.sendRequest(RunStopRequest.method, { runId: second.runId });
    } finally {
      other.dispose();
    }
  });

  it('ends what a run of a daemon that died left in the container before it starts', async () => {
    // A program started the way nhd starts one, whose daemon is gone: only its pid file is left.
    kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'sh', '-c', "mkdir -p /tmp/nhd-run; setsid sh -c 'echo $$ > /tmp/nhd-run/run-dead-1.pid; exec sleep 4281' >/dev/null 2>&1 < /dev/null &"]);
    await until(() => processes().includes('sleep 4281'), 'the orphan to run', WAIT_MS);
    setRun(['sh', '-c', 'echo ok']);
    const run = await start();
    await until(() => transcript(client, run.runId).ended() !== undefined, 'the run to end', WAIT_MS);
    expect(processes()).not.toContain('sleep 4281');
  });

  it('answers a workload not in dev mode, and a config without command.run, with what to do', async () => {
    const notDev = await errorOf(start(client, { name: 'other' }));
    expect(notDev.code).toBe(ErrorCode.NotInDevMode);
    expect(notDev.message).toContain(`nhd dev start deployment/other -n ${ns.name}`);
    setRun(undefined);
    const noCommand = await errorOf(start());
    expect(noCommand.code).toBe(ErrorCode.RunCommandMissing);
    expect(noCommand.message).toContain('command.run');
    expect(noCommand.message).toContain(configFile);
    setRun(['true']);
  });
});

describe('nhd run', () => {
  it('prints the output and exits with the program’s code', async () => {
    setRun(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    const result = await cli.run(['run', 'deployment/app', '-n', ns.name]);
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toContain('err\n');
    expect(result.stderr).toContain('nhd: running sh -c');
  });

  it('Ctrl-C stops the program and exits 130; --json prints one event per line', async () => {
    setRun(['sh', '-c', 'echo ready; sleep 4291 & wait']);
    const child = spawn(process.execPath, [NHD, 'run', 'deploy/app', '-n', ns.name, '--json'], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(() => stdout.includes('ready'), 'the program to print ready', WAIT_MS);
    expect(processes()).toContain('sleep 4291');
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(stderr).toBe('');
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ event: 'started', run: { state: 'running', command: ['sh', '-c', 'echo ready; sleep 4291 & wait'] } });
    expect(events).toContainEqual({ event: 'output', stream: 'stdout', text: 'ready\n' });
    expect(events.at(-1)).toMatchObject({ event: 'stopped', run: { state: 'exited', ended: true } });
    expect(processes()).not.toContain('sleep 4291');
  });

  it('says what to do when the workload is not in dev mode', async () => {
    const result = await cli.run(['run', 'deployment/other', '-n', ns.name]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`run \`nhd dev start deployment/other -n ${ns.name}`);
  });
});

let detailsDir: string | undefined;

describe('nhd run --hot-reload', () => {
  const details = tempHome();
  detailsDir = details;
  let detailsPod: string;

  beforeAll(async () => {
    kubectl(['apply', '-n', ns.name, '-f', path.join(REPO, 'test/fixtures/bookinfo-lite/manifests/details.yaml')]);
    waitRollout(ns.name, 'deployment', 'details');
    for (const file of ['details.py', 'run.sh', 'debug.sh']) fs.copyFileSync(path.join(REPO, 'test/fixtures/bookinfo-lite/details', file), path.join(details, file));
    fs.chmodSync(path.join(details, 'run.sh'), 0o755);
    fs.mkdirSync(path.join(details, '.nocalhost'));
    fs.writeFileSync(
      path.join(details, '.nocalhost', 'config.yaml'),
      `name: details
serviceType: deployment
containers:
  - name: details
    dev:
      image: ${DEV_IMAGE}
      workDir: /home/nocalhost-dev
      command:
        run: ["./run.sh"]
      sync:
        type: send
        ignoreFilePattern: ["__pycache__", "*.pyc"]
`,
    );
    const started = await cli.run(['dev', 'start', 'deployment/details', '-n', ns.name, '--local-dir', details, '--json']);
    expect(started.code, started.stderr).toBe(0);
    detailsPod = JSON.parse(started.stdout).pod;
  });


  /** details' answer, from inside its dev container; '' while nothing listens. */
  const answer = () => {
    try {
      return kubectl(['exec', '-n', ns.name, detailsPod, '-c', 'details', '--', 'curl', '-s', '--max-time', '2', 'http://127.0.0.1:9080/']);
    } catch {
      return '';
    }
  };

  it('restarts the program on each synced save, reports the timings, and answers with the new code', async () => {
    const child = spawn(process.execPath, [NHD, 'run', 'deployment/details', '-n', ns.name, '--hot-reload'], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await until(() => stdout.includes('details listening on :9080'), 'details to listen', WAIT_MS);
      expect(stderr).toContain('hot reload on');
      await until(() => answer().includes('paperback'), 'the first answer', WAIT_MS);
      const runId = (client.notifications.map((n) => n.params as RunDidChangeParams).find((p) => p.run?.name === 'details' && p.run.state === 'running')!).run.runId;

      for (const [n, edition] of [[1, 'hardcover'], [2, 'ebook']] as const) {
        const source = path.join(details, 'details.py');
        fs.writeFileSync(source, fs.readFileSync(source, 'utf8').replace(/"type": "[a-z]+"/, `"type": "${edition}"`));
        await until(() => answer().includes(edition), `the answer after save ${n}`, WAIT_MS);
        await until(() => (stderr.match(/nhd: reloaded: /g) ?? []).length >= n, `reload line ${n}`, WAIT_MS);
      }
      expect(stderr).toMatch(/nhd: reloaded: \d+ files? \(\d+(\.\d)? k?B\) synced in \d+ms, stopped in \d+ms, started in \d+ms/);
      const reloads = transcript(client, runId).changes().filter((p) => p.reload);
      expect(reloads.length).toBeGreaterThanOrEqual(2);
      for (const { reload, run } of reloads) {
        expect(run.state).toBe('running');
        expect(reload).toMatchObject({ trigger: 'batch' });
        expect(reload!.files).toBeGreaterThanOrEqual(1);
        for (const ms of [reload!.syncMs, reload!.stopMs, reload!.startMs]) expect(ms).toBeGreaterThanOrEqual(0);
      }
      // One process group at a time: the old server is gone.
      expect(processesOf(detailsPod, 'details').match(/python3 -u details.py/g)).toHaveLength(1);
    } finally {
      child.kill('SIGINT');
    }
    expect(await closed).toBe(130);
    expect(processesOf(detailsPod, 'details')).not.toContain('details.py');
  });
});


describe('nhd run --hot-reload, after a crash and at dev end', () => {
  it('keeps a hot-reload run whose program crashed, starts it again on the next save, and ends it with dev mode', async () => {
    const details = detailsDir!;
    const run = await start(client, { name: 'details', hotReload: true });
    expect(run.hotReload).toBe(true);
    const t = transcript(client, run.runId);
    await until(() => t.stdout().includes('details listening'), 'details to listen', WAIT_MS);
    const source = path.join(details, 'details.py');
    const good = fs.readFileSync(source, 'utf8');
    fs.writeFileSync(source, good + '\ndef broken(:\n');
    await until(() => t.changes().some((p) => p.run.state === 'exited'), 'the broken program to exit', WAIT_MS).catch((error) => {
      throw new Error(`${error.message}; changes: ${JSON.stringify(t.changes())}; stderr: ${t.stderr()}`);
    });
    const crashed = t.changes().find((p) => p.run.state === 'exited')!.run;
    expect(crashed).toMatchObject({ exitCode: 1, ended: false });
    expect(t.stderr()).toContain('SyntaxError');
    expect(((await client.connection.sendRequest(RunListRequest.method, {})) as RunListResult).runs.map((r) => r.runId)).toContain(run.runId);
    const listening = t.stdout().split('details listening').length;
    fs.writeFileSync(source, good);
    await until(() => t.stdout().split('details listening').length > listening, 'the fixed program to listen again', WAIT_MS);
    expect(t.changes().at(-1)).toMatchObject({ run: { state: 'running', ended: false }, reload: { trigger: 'batch' } });
    expect((await cli.run(['dev', 'end', 'deployment/details', '-n', ns.name])).code).toBe(0);
    await until(() => t.ended() !== undefined, 'the run to end with dev mode', WAIT_MS);
    expect(t.ended()?.message).toContain('Dev mode of deployment/details ended');
  });
});

function processesOf(podName: string, container: string): string {
  return kubectl(['exec', '-n', ns.name, podName, '-c', container, '--', 'ps', '-eo', 'pid,pgid,stat,args']);
}
