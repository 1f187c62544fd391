import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortForwardStartRequest, type PortForward } from '../../protocol';
import { NHD, REPO, connectSocketClient, tempHome, until, type TestClient } from '../harness/daemon';
import { createNamespace, kubectl, kubectlJson, nhdCli, waitRollout } from './support';

/**
 * Debugging on the real cluster through `nhd dap`, as nvim-dap or LSP4IJ would: bookinfo-lite's Go
 * (authors, delve) and Python (details, debugpy) services in dev mode with a copy of the fixture as
 * the local directory; a breakpoint set in the LOCAL source stops the remote program on an HTTP
 * request through a port-forward, with local paths in the stack; a saved edit (hot reload)
 * restarts the debugger and the same breakpoint stops again without a new attach.
 */

const FIXTURE = path.join(REPO, 'test/fixtures/bookinfo-lite');
const WAIT_MS = 240_000;
let ns: ReturnType<typeof createNamespace>;
const cli = nhdCli();
let client: TestClient;

/** A DebugClient on the stdio of `nhd dap` (the CLI, with this test's NHD_HOME and KUBECONFIG). */
class NhdDapClient extends DebugClient {
  child: ChildProcess | undefined;
  stderr = '';
  readonly outputs: string[] = [];
  readonly stops: DebugProtocol.StoppedEvent[] = [];

  constructor() {
    super('node', '', 'nhd');
    this.defaultTimeout = 30_000;
    this.on('output', (e: DebugProtocol.OutputEvent) => this.outputs.push(e.body.output));
    this.on('stopped', (e: DebugProtocol.StoppedEvent) => this.stops.push(e));
  }

  launchDap(): void {
    const child = spawn(process.execPath, [NHD, 'dap'], { env: cli.env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d) => (this.stderr += d));
    this.child = child;
    this.connect(child.stdout!, child.stdin!);
  }

  exited(): Promise<number | null> {
    const child = this.child!;
    if (child.exitCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }
}

/** A local copy of a bookinfo-lite service with a single-service dev config. */
function localCopy(service: 'authors' | 'details' | 'productpage', image: string, language: 'go' | 'python' | 'node', ignore: string[], port = 9009): string {
  const dir = tempHome();
  for (const file of fs.readdirSync(path.join(FIXTURE, service))) fs.copyFileSync(path.join(FIXTURE, service, file), path.join(dir, file));
  for (const file of ['run.sh', 'debug.sh']) fs.chmodSync(path.join(dir, file), 0o755);
  fs.mkdirSync(path.join(dir, '.nocalhost'));
  fs.writeFileSync(
    path.join(dir, '.nocalhost', 'config.yaml'),
    `name: ${service}
serviceType: deployment
containers:
  - name: ${service}
    dev:
      image: ${image}
      workDir: /home/nocalhost-dev
      command:
        run: ["./run.sh"]
        debug: ["./debug.sh"]
      debug:
        remoteDebugPort: ${port}
        language: ${language}
      hotReload: true
      sync:
        type: send
        ignoreFilePattern: ${JSON.stringify(ignore)}
`,
  );
  return dir;
}

/** The processes of the workload's dev container (pid, pgid, args). */
function processes(service: string): string {
  const pods = kubectlJson<{ items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string } }[] }>(['get', 'pods', '-n', ns.name, '-l', `app=${service}`]);
  const pod = pods.items.find((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running')!.metadata.name;
  return kubectl(['exec', '-n', ns.name, pod, '-c', service, '--', 'ps', '-eo', 'pid,pgid,args']);
}

async function forward(service: string): Promise<number> {
  const pf = (await client.connection.sendRequest(PortForwardStartRequest.method, { kind: 'deployment', name: service, namespace: ns.name, localPort: 0, remotePort: 9080 })) as PortForward;
  return pf.localPort;
}

/**
 * Sends requests until the program stops at a breakpoint (a request to a program still starting
 * fails, a stopped one hangs): resolves with the stop; the requests complete after `continue`.
 */
async function requestUntilStopped(dc: NhdDapClient, port: number, before: number): Promise<DebugProtocol.StoppedEvent> {
  const deadline = Date.now() + WAIT_MS;
  while (dc.stops.length <= before) {
    if (Date.now() > deadline) throw new Error(`no stop within ${WAIT_MS} ms; output:\n${dc.outputs.join('')}\n${dc.stderr}`);
    void fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(60_000) }).catch(() => {});
    await until(() => dc.stops.length > before, 'a stop', 1_500).catch(() => {});
  }
  return dc.stops[before]!;
}

async function expectStopAt(dc: NhdDapClient, stop: DebugProtocol.StoppedEvent, file: string, line: number): Promise<void> {
  expect(stop.body.reason).toBe('breakpoint');
  const trace = await dc.stackTraceRequest({ threadId: stop.body.threadId! });
  const top = trace.body.stackFrames[0]!;
  expect(top.source?.path).toBe(file);
  expect(top.line).toBe(line);
  // No frame of our code carries a remote path.
  expect(trace.body.stackFrames.map((f) => f.source?.path ?? '').filter((p) => p.startsWith('/home/nocalhost-dev'))).toEqual([]);
}

/** Continues every stop (the one checked and those of other requests in flight) from now on. */
function continueAll(dc: NhdDapClient): () => void {
  let on = true;
  const onStop = (e: DebugProtocol.StoppedEvent) => {
    if (on) void dc.continueRequest({ threadId: e.body.threadId! }).catch(() => {});
  };
  dc.on('stopped', onStop);
  return () => {
    on = false;
    dc.off('stopped', onStop);
  };
}

async function answer(port: number, expected: string): Promise<void> {
  await until(
    async () => {
      try {
        return (await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) })).text()).includes(expected);
      } catch {
        return false;
      }
    },
    `the answer to contain ${expected}`,
    WAIT_MS,
  );
}

beforeAll(async () => {
  ns = createNamespace('nhd-debug');
  for (const service of ['authors', 'details', 'productpage']) kubectl(['apply', '-n', ns.name, '-f', path.join(FIXTURE, 'manifests', `${service}.yaml`)]);
  waitRollout(ns.name, 'deployment', 'authors');
  waitRollout(ns.name, 'deployment', 'details');
  waitRollout(ns.name, 'deployment', 'productpage');
  // Starts the shared daemon of this test's NHD_HOME.
  const status = await cli.run(['status', '--json']);
  expect(status.code, status.stderr).toBe(0);
  client = await connectSocketClient(path.join(cli.home, 'nhd.sock'), 'debug-e2e');
});

afterAll(async () => {
  client?.dispose();
  if (ns) for (const name of ['authors', 'details', 'productpage']) await cli.run(['dev', 'end', `deployment/${name}`, '-n', ns.name]);
  cli.stop();
  ns?.dispose();
});

describe('nhd dap on the cluster', () => {
  it('refuses to attach to a workload not in dev mode without a local directory, saying how', async () => {
    const dc = new NhdDapClient();
    dc.launchDap();
    try {
      await dc.initializeRequest({ adapterID: 'nhd', clientID: 'e2e', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const error = await dc.attachRequest({ workload: 'deployment/details', namespace: ns.name } as DebugProtocol.AttachRequestArguments).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/deployment\/details is not in dev mode.*--local-dir DIR.*"localDir"/s);
    } finally {
      await Promise.race([dc.stop().catch(() => {}), dc.exited()]);
    }
    expect(await dc.exited()).toBe(0);
  });

  it('Go (authors, delve): stops at a breakpoint in the local source, and again after a hot reload without a new attach', async () => {
    const local = localCopy('authors', 'docker.io/nhd/dev-go:v1', 'go', ['.git']);
    const started = await cli.run(['dev', 'start', 'deployment/authors', '-n', ns.name, '--local-dir', local, '--json']);
    expect(started.code, started.stderr).toBe(0);
    const appPort = await forward('authors');
    const file = path.join(local, 'main.go');
    const line = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('log.Printf("%s %s from %s"')) + 1;
    await debugSession('authors', file, line, appPort, { workload: 'deployment/authors', namespace: ns.name }, {
      before: 'William Shakespeare',
      after: 'Christopher Marlowe',
      apply: () => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('const author = "William Shakespeare"', 'const author = "Christopher Marlowe"')),
    });
    // One delve and one program after the reload; none once the session ended (its debugger stopped).
    await until(() => !/dlv debug|authors-debug/.test(processes('authors')), 'the debugger and its program to be gone', 30_000);
  });

  it('Python (details, debugpy): dev mode started by the attach (localDir), stop, hot reload, stop again; a save that breaks it and the fix', async () => {
    const local = localCopy('details', 'docker.io/nhd/dev-python:v1', 'python', ['.git', '__pycache__', '*.pyc']);
    const file = path.join(local, 'details.py');
    const line = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('if self.path == "/health":')) + 1;
    let appPort = 0;
    await debugSession(
      'details',
      file,
      line,
      () => appPort,
      { workload: 'deployment/details', namespace: ns.name, localDir: local },
      {
        before: 'paperback',
        after: 'hardcover',
        apply: () => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"type": "paperback"', '"type": "hardcover"')),
      },
      async () => (appPort = await forward('details')),
      {
        apply: () => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('def do_GET(self):', 'def do_GET(self)')),
        fix: () => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('def do_GET(self)\n', 'def do_GET(self):\n').replace('"type": "hardcover"', '"type": "ebook"')),
        after: 'ebook',
      },
    );
    await until(() => !/debugpy|details\.py/.test(processes('details')), 'debugpy, its adapter and the program to be gone', 30_000);
  });
});

describe('nhd debug', () => {
  /** Runs `nhd debug ... --json` until its first line, the started event. */
  async function nhdDebug(args: string[]): Promise<{ started: Record<string, any>; child: ChildProcess; closed: Promise<number | null>; stderr: () => string }> {
    const child = spawn(process.execPath, [NHD, 'debug', ...args, '--json'], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(() => stdout.includes('\n') || child.exitCode !== null, 'nhd debug to print how to attach', WAIT_MS);
    expect(stdout, stderr).toContain('"event":"started"');
    return { started: JSON.parse(stdout.split('\n')[0]!), child, closed, stderr: () => stderr };
  }

  it('starts debugpy, forwards its port, prints the nhd, nvim-dap and debugpy attach configurations, and stops it all on Ctrl-C', async () => {
    const { started, child, closed } = await nhdDebug(['deployment/details', '-n', ns.name]);
    expect(started).toMatchObject({ language: 'python', remotePort: 9009, host: '127.0.0.1', remoteRoot: '/home/nocalhost-dev', started: true, dap: true });
    expect(started['nhdAttach']).toMatchObject({ type: 'nhd', request: 'attach', workload: 'deployment/details', namespace: ns.name });
    expect(started['nativeAttach']).toMatchObject({ type: 'debugpy', request: 'attach', connect: { host: '127.0.0.1', port: started['localPort'] }, pathMappings: [{ remoteRoot: '/home/nocalhost-dev' }] });
    expect(started['nvimDap']).toContain("require('dap').adapters.nhd = { type = 'executable', command = 'nhd', args = { 'dap' } }");
    await until(() => /-m debugpy --listen/.test(processes('details')), 'debugpy to run', WAIT_MS);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    await until(() => !/debugpy|details\.py/.test(processes('details')), 'debugpy to be gone', 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${processes('details')}`);
    });
  });

  it('node: dev mode from --local-dir, the inspector forwarded, a VS Code node attach configuration; nhd dap refuses it, saying to use nhd debug', async () => {
    const local = localCopy('productpage', 'docker.io/nhd/dev-node:v1', 'node', ['.git', 'node_modules'], 9229);
    const { started, child, closed } = await nhdDebug(['deployment/productpage', '-n', ns.name, '--local-dir', local]);
    expect(started).toMatchObject({ language: 'node', remotePort: 9229, dap: false, localRoot: local });
    expect(started['nhdAttach']).toBeUndefined();
    expect(started['nativeAttach']).toMatchObject({ type: 'node', request: 'attach', address: '127.0.0.1', port: started['localPort'], localRoot: local, remoteRoot: '/home/nocalhost-dev' });
    // The inspector answers through the forward (its HTTP endpoint lists the target).
    await until(
      async () => {
        try {
          return (await (await fetch(`http://127.0.0.1:${started['localPort']}/json/list`, { signal: AbortSignal.timeout(3_000) })).text()).includes('webSocketDebuggerUrl');
        } catch {
          return false;
        }
      },
      'the inspector through the forward',
      WAIT_MS,
    );
    const dc = new NhdDapClient();
    dc.launchDap();
    try {
      await dc.initializeRequest({ adapterID: 'nhd', clientID: 'e2e', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const error = await dc.attachRequest({ workload: 'deployment/productpage', namespace: ns.name } as DebugProtocol.AttachRequestArguments).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/node.*does not speak DAP.*nhd debug deployment\/productpage/s);
    } finally {
      await Promise.race([dc.stop().catch(() => {}), dc.exited()]);
    }
    child.kill('SIGINT');
    expect(await closed).toBe(130);
  });
});

async function debugSession(
  service: string,
  file: string,
  line: number,
  port: number | (() => number),
  attachArgs: Record<string, unknown>,
  change: { before: string; after: string; apply(): void },
  afterAttach?: () => Promise<unknown>,
  broken?: { apply(): void; fix(): void; after: string },
): Promise<void> {
  const appPort = () => (typeof port === 'number' ? port : port());
  const dc = new NhdDapClient();
  dc.launchDap();
  try {
    await dc.initializeRequest({ adapterID: 'nhd', clientID: 'e2e', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = dc.waitForEvent('initialized', WAIT_MS);
    const attached = dc.attachRequest(attachArgs as DebugProtocol.AttachRequestArguments);
    await initialized;
    const bp = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line }] });
    expect(bp.body.breakpoints[0], JSON.stringify(bp.body)).toMatchObject({ verified: true, line, source: { path: file } });
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.configurationDoneRequest();
    await attached;
    await afterAttach?.();

    const first = await requestUntilStopped(dc, appPort(), 0);
    await expectStopAt(dc, first, file, line);
    // Every request still in flight stops too: continue them all until the program answers.
    let stopContinuing = continueAll(dc);
    await dc.continueRequest({ threadId: first.body.threadId! });
    await answer(appPort(), change.before);
    change.apply();
    await until(() => dc.outputs.join('').includes('lost the debugger'), 'the hot reload to take the old debugger away', WAIT_MS);
    stopContinuing();

    // Hot reload: the save was synced, the debug run restarts the debugger, the proxy reattaches
    // and replays the breakpoint; the IDE's session never ended.
    const second = await requestUntilStopped(dc, appPort(), dc.stops.length);
    await expectStopAt(dc, second, file, line);
    stopContinuing = continueAll(dc);
    await dc.continueRequest({ threadId: second.body.threadId! });
    await answer(appPort(), change.after);
    stopContinuing();

    if (broken) {
      // A save that breaks the program: the debugger exits, the session waits (the program's own
      // error in the console), and the fixing save is attached to as any other.
      const lost = () => dc.outputs.join('').split('lost the debugger').length - 1;
      const before = lost();
      broken.apply();
      // The program's own error reaches the IDE's console (the debug run's output).
      await until(() => dc.outputs.join('').includes('SyntaxError'), "the program's error in the console", WAIT_MS);
      await until(() => lost() > before, 'the session to let go of the exited debugger', WAIT_MS);
      broken.fix();
      const third = await requestUntilStopped(dc, appPort(), dc.stops.length);
      await expectStopAt(dc, third, file, line);
      stopContinuing = continueAll(dc);
      await dc.continueRequest({ threadId: third.body.threadId! });
      await answer(appPort(), broken.after);
      stopContinuing();
    }
    // One debugger tree at a time: the old one was killed whole.
    const ps = processes(service);
    if (service === 'authors') expect(ps.match(/dlv debug/g), ps).toHaveLength(1);
    else expect(ps.match(/-m debugpy --listen/g), ps).toHaveLength(1);
    expect(dc.outputs.join('')).toMatch(/lost the debugger \(.*\); waiting for the restarted debuggee/);
    await dc.disconnectRequest({});
  } finally {
    await Promise.race([dc.stop().catch(() => {}), dc.exited()]);
  }
  expect(await dc.exited()).toBe(0);
}
