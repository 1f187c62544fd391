import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DebugListenRequest, type DebugListenParams, type DebugListenSocketResult, type DebugListenTcpResult } from '../../protocol';
import { NHD, connectSocketClient, nhdEnv, startSocketDaemon, tempHome, until, type TestClient } from '../harness/daemon';
import { breakLine, freePort, prepareFixture, SocketDebugClient, waitForPort, type DebugFixture } from '../harness/debuggers';

/** testsupport's DebugClient on a DAP adapter's stdio (`nhd dap`). */
class StdioDebugClient extends DebugClient {
  constructor(input: Readable, output: Writable) {
    super('node', '', 'nhd');
    this.defaultTimeout = 10_000;
    this.connect(input, output);
  }
}

/**
 * Who can reach the DAP listeners of `nhd/debug/listen` (docs/security.md): the built daemon on its
 * shared socket, real DAP clients (testsupport's DebugClient on the listener, and on `nhd dap`'s
 * stdio) and a real debugpy, no cluster: the attach names the debugger's port, which the session's
 * provider takes as is. A TCP listener serves only who presents its secret and stays open for them
 * whatever came before; a socket listener is a 0600 file in a 0700 directory, gone once used.
 */
describe('the DAP listeners of nhd/debug/listen', () => {
  let home: string;
  let daemon: Awaited<ReturnType<typeof startSocketDaemon>>;
  let client: TestClient;
  let fixture: DebugFixture;

  beforeAll(async () => {
    home = tempHome();
    daemon = await startSocketDaemon(home);
    client = await connectSocketClient(daemon.socketPath, 'dap-listener-test');
    fixture = prepareFixture('python');
  }, 60_000);
  afterAll(async () => {
    client?.dispose();
    await daemon?.stop();
    fixture?.dispose();
  });

  /** The daemon's log entries whose message starts with `prefix`. */
  const logged = (prefix: string) =>
    fs
      .readFileSync(path.join(home, 'logs', 'daemon.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => String(e['message']).startsWith(prefix));

  const listen = (params: DebugListenParams) => client.connection.sendRequest(DebugListenRequest.type, params);

  async function tcpListener(params: DebugListenParams): Promise<DebugListenTcpResult> {
    const endpoint = await listen(params);
    expect(endpoint).toMatchObject({ transport: 'tcp', host: '127.0.0.1', port: expect.any(Number), secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    return endpoint as DebugListenTcpResult;
  }

  async function socketListener(params: DebugListenParams = { transport: 'socket' }): Promise<DebugListenSocketResult> {
    const endpoint = await listen(params);
    expect(endpoint).toMatchObject({ transport: 'socket', path: expect.any(String) });
    return endpoint as DebugListenSocketResult;
  }

  /** A whole session through the listener: attach to debugpy, stop at a breakpoint, continue, disconnect. */
  async function debugThrough(dc: DebugClient, extra: Record<string, unknown> = {}): Promise<void> {
    const debugPort = await freePort();
    const appPort = await freePort();
    const debuggee = await fixture.start(debugPort, appPort);
    try {
      const init = await dc.initializeRequest({ adapterID: 'nhd', clientID: 'vitest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      expect(init.body?.supportsConfigurationDoneRequest).toBe(true);
      const initialized = dc.waitForEvent('initialized', 30_000);
      const attached = dc.attachRequest({ language: 'python', port: debugPort, localRoot: fixture.localRoot, remoteRoot: fixture.remoteRoot, ...extra } as DebugProtocol.AttachRequestArguments);
      await initialized;
      const file = path.join(fixture.localRoot, fixture.files.handler);
      const line = breakLine(file, 'handler');
      const response = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line }] });
      expect(response.body.breakpoints[0]).toMatchObject({ verified: true, line, source: { path: file } });
      await dc.configurationDoneRequest();
      await attached;
      await waitForPort(appPort);
      const stopped = dc.waitForEvent('stopped', 20_000) as Promise<DebugProtocol.StoppedEvent>;
      const reply = fetch(`http://127.0.0.1:${appPort}/?name=rightful`).then((r) => r.text());
      const event = await stopped;
      expect(event.body.reason).toBe('breakpoint');
      await dc.continueRequest({ threadId: event.body.threadId! });
      expect(await reply).toBe('hello, rightful\n');
      await dc.disconnectRequest({});
    } finally {
      await debuggee.kill();
    }
  }

  function refusesConnections(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
  }

  it('tcp (the default): drops connections without the secret, with a wrong one, or that send anything else first, and still serves the rightful client', async () => {
    // No transport: what a client of protocol 0.1 sends.
    const endpoint = await tcpListener({});

    for (const [what, args] of [
      ['no secret', {}],
      ['a wrong secret', { nhdSecret: 'A'.repeat(43) }],
      ['a wrong secret', { nhdSecret: endpoint.secret.slice(0, -1) }],
    ] as const) {
      const intruder = new SocketDebugClient();
      await intruder.connectTo(endpoint.port);
      // initialize is answered before the secret: a DAP client waits for it before it attaches.
      expect((await intruder.initializeRequest()).body?.supportsConfigurationDoneRequest).toBe(true);
      const error = await intruder.attachRequest({ language: 'python', port: 1, ...args } as unknown as DebugProtocol.AttachRequestArguments).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toContain(`nhd refused this debug session: it came to a TCP port, which any user of this machine can reach, with ${what}`);
      expect(error?.message).toContain('"nhdSecret"');
      await intruder.closed;
    }

    const early = new SocketDebugClient();
    await early.connectTo(endpoint.port);
    const threads = await early.threadsRequest().then(() => undefined, (e: Error) => e);
    expect(threads?.message).toContain('with a message before launch or attach');
    await early.closed;

    // Bytes without end and without the secret: dropped past 1 MiB, not buffered.
    const flood = net.connect(endpoint.port, '127.0.0.1');
    flood.on('error', () => {});
    const floodClosed = new Promise<void>((resolve) => flood.once('close', () => resolve()));
    flood.write(`Content-Length: ${8 * 1024 * 1024}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 24 && !flood.destroyed; i++) flood.write(chunk);
    await floodClosed;
    expect(logged('refused a DAP connection').map((e) => e['message'])).toEqual([
      'refused a DAP connection: no secret',
      'refused a DAP connection: a wrong secret',
      'refused a DAP connection: a wrong secret',
      'refused a DAP connection: a message before launch or attach',
    ]);
    await until(() => logged('dropped a DAP connection that sent over 1048576 bytes').length === 1, 'the flood dropped for its size');

    // Idle connections hold no slot the rightful client needs.
    const connectIdle = () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(endpoint.port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      });
    const idle = await Promise.all(Array.from({ length: 10 }, connectIdle));

    const dc = new SocketDebugClient();
    await dc.connectTo(endpoint.port);
    try {
      await debugThrough(dc, { nhdSecret: endpoint.secret });
    } finally {
      dc.close();
      for (const s of idle) s.destroy();
    }
    // It served its one session: nobody else gets in now.
    expect(await refusesConnections(endpoint.port)).toBe(true);
  }, 90_000);

  it('socket: a 0600 socket in the 0700 dap/ directory of the runtime dir, removed once connected, serving a whole session without a secret', async () => {
    const { path: socketPath } = await socketListener();
    expect(path.dirname(socketPath)).toBe(path.join(home, 'dap'));
    const stat = fs.lstatSync(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(stat.uid).toBe(process.getuid!());
    expect(fs.lstatSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);

    const dc = new SocketDebugClient();
    await dc.connectTo(socketPath);
    try {
      await until(() => !fs.existsSync(socketPath), 'the socket file removed once its one connection came');
      await debugThrough(dc);
    } finally {
      dc.close();
    }
  }, 90_000);

  it('socket: closes, removing its file, when the requesting client leaves before anyone connected; a dap/ directory others could enter is made 0700 again', async () => {
    fs.chmodSync(path.join(home, 'dap'), 0o755);
    const other = await connectSocketClient(daemon.socketPath, 'leaves-early');
    const { path: socketPath } = (await other.connection.sendRequest(DebugListenRequest.type, { transport: 'socket' })) as DebugListenSocketResult;
    expect(fs.lstatSync(path.join(home, 'dap')).mode & 0o777).toBe(0o700);
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true);
    other.dispose();
    await until(() => !fs.existsSync(socketPath), 'the socket file removed when its listener closed');
  });

  it('nhd dap asks for the socket: a whole session through its stdio, and the daemon logs a socket session', async () => {
    const opened = () => logged('debug session opened');
    const before = opened().length;
    const child = spawn(process.execPath, [NHD, 'dap'], { env: nhdEnv(home), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const dc = new StdioDebugClient(child.stdout, child.stdin);
    try {
      await debugThrough(dc);
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill();
    }
    const sessions = opened().slice(before);
    expect(sessions, JSON.stringify(sessions)).toEqual([expect.objectContaining({ transport: 'socket' })]);
  }, 90_000);
});
