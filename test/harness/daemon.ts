import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

/** The built CLI; integration tests run what users run (`npm run build` comes first). */
export const NHD = path.resolve(import.meta.dirname, '../../dist/nhd.js');
export const REPO = path.resolve(import.meta.dirname, '../..');

/** How long `until` waits by default; NHD_TEST_TIMEOUT (ms) raises it on slow machines. */
export const TIMEOUT_MS = Number(process.env['NHD_TEST_TIMEOUT'] ?? 10_000);

/** A fresh NHD_HOME, so each test has its own socket, state and log. */
export function tempHome(): string {
  // Short: unix socket paths are limited to 107 bytes.
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-'));
}

export function nhdEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NHD_HOME: home, NHD_TEST_HOOKS: '1', ...extra };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = REPO): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NHD, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A client on a daemon: the JSON-RPC connection and what the daemon pushed to it. */
export interface TestClient {
  connection: MessageConnection;
  notifications: { method: string; params: unknown }[];
  initializeResult: InitializeResultShape;
  dispose(): void;
}

export interface InitializeResultShape {
  capabilities: {
    executeCommandProvider?: { commands: string[] };
    experimental?: { nhd?: { protocolVersion: string; daemonVersion: string; pid: number; methods: string[] } };
    [key: string]: unknown;
  };
  serverInfo?: { name: string; version?: string };
}

/** What the harness's clients advertise unless a test says otherwise: progress, and markdown documentation as VS Code does. */
export const DEFAULT_CAPABILITIES = {
  window: { workDoneProgress: true },
  textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] }, completion: { completionItem: { documentationFormat: ['markdown', 'plaintext'] } } },
};

/** Listens on the connection, sends initialize and initialized, and records what the daemon pushes. */
export async function initializeConnection(connection: MessageConnection, name: string, capabilities: object = DEFAULT_CAPABILITIES): Promise<TestClient> {
  const notifications: TestClient['notifications'] = [];
  connection.onNotification((method, params) => {
    notifications.push({ method, params });
  });
  // vscode-jsonrpc routes $/progress apart from other notifications.
  connection.onUnhandledProgress((params) => notifications.push({ method: '$/progress', params }));
  connection.listen();
  const initializeResult = (await connection.sendRequest('initialize', {
    processId: process.pid,
    clientInfo: { name, version: '0' },
    rootUri: null,
    capabilities,
  })) as InitializeResultShape;
  await connection.sendNotification('initialized', {});
  return { connection, notifications, initializeResult, dispose: () => connection.dispose() };
}

/** `nhd serve` on stdio, as an editor spawns it. */
export async function startStdioDaemon(home: string): Promise<TestClient & { process: ChildProcess }> {
  const child = spawn(process.execPath, [NHD, 'serve'], { env: nhdEnv(home), stdio: ['pipe', 'pipe', 'pipe'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const client = await initializeConnection(connection, 'stdio-test');
  return { ...client, process: child, dispose: () => { connection.dispose(); child.kill(); } };
}

/** `nhd serve --listen PATH`; resolves once the socket accepts connections. */
export async function startSocketDaemon(home: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<{ process: ChildProcess; socketPath: string; stop(): Promise<void> }> {
  const socketPath = path.join(home, 'nhd.sock');
  const child = spawn(process.execPath, [NHD, 'serve', '--listen', socketPath, ...extraArgs], { env: nhdEnv(home, env), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await until(async () => fs.existsSync(socketPath) && (await canConnect(socketPath)), `daemon listening on ${socketPath} (stderr: ${stderr})`);
  return {
    process: child,
    socketPath,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function connectSocketClient(socketPath: string, name = 'socket-test', capabilities?: object): Promise<TestClient & { socket: net.Socket }> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  const client = await initializeConnection(connection, name, capabilities);
  return { ...client, socket, dispose: () => { connection.dispose(); socket.destroy(); } };
}

export function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Whether a process with this pid exists (signal 0 tests without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check` holds (an eventual expectation, gopls' Await); fails with `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** Frames a JSON-RPC message the way the base protocol does. */
export function frame(body: string | Buffer): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'ascii'), bytes]);
}

/**
 * A raw client for bad-input tests: it writes arbitrary bytes and parses whatever framed
 * messages come back, over a socket, a child's stdio or an in-memory pair (test/harness/modes.ts).
 */
export class RawClient {
  readonly received: Record<string, unknown>[] = [];
  /** The daemon's side ended: it closed the connection (or the stdio daemon exited). */
  closed = false;
  private buffer = Buffer.alloc(0);

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly end: () => void,
  ) {
    input.on('data', (chunk: Buffer) => this.onData(chunk));
    input.on('end', () => (this.closed = true));
    input.on('close', () => (this.closed = true));
    input.on('error', () => {});
    output.on('error', () => {});
  }

  static async connect(socketPath: string): Promise<RawClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    return new RawClient(socket, socket, () => socket.destroy());
  }

  /** Leaves abruptly, as a client that crashed. */
  close(): void {
    this.end();
  }

  write(bytes: Buffer | string): void {
    this.output.write(bytes);
  }

  send(message: object): void {
    this.write(frame(JSON.stringify({ jsonrpc: '2.0', ...message })));
  }

  async response(id: number | string | null): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await until(() => (found = this.received.find((m) => m['id'] === id && ('result' in m || 'error' in m))) !== undefined, `a response with id ${id}`);
    return found!;
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      this.received.push(JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')));
      this.buffer = this.buffer.subarray(end + 4 + length);
    }
  }
}
