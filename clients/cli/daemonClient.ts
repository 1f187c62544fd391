import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { isSea } from 'node:sea';
import {
  CancellationTokenSource,
  ProgressType,
  SocketMessageReader,
  SocketMessageWriter,
  createMessageConnection,
  type MessageConnection,
  type RequestType,
} from 'vscode-jsonrpc/node';
import { DaemonStopRequest, PROTOCOL_VERSION, type NhdServerCapabilities } from '../../protocol';
import { CHOOSE_NHD_HOME, ensureOwnDirectory, nhdPaths, type NhdPaths } from './paths';
import { stuckDaemonMessage } from './stuckDaemon';
import { VERSION } from './version';

/** How long an auto-started daemon may take to listen. */
const START_TIMEOUT_MS = 15_000;
/** How long connecting and `initialize` may take by default (NHD_CONNECT_TIMEOUT overrides it). */
const CONNECT_TIMEOUT_SECONDS = 10;
/** Auto-started daemons exit after this long without clients or sessions. */
export const AUTO_IDLE_TIMEOUT_SECONDS = 300;

/** LSP's $/progress payloads, as the CLI renders them. */
export interface WorkDoneProgressValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
}
const workDoneProgress = new ProgressType<WorkDoneProgressValue>();

/**
 * A connection to the shared daemon, found on its socket or started on first use (the way
 * `gopls -remote=auto` does). A daemon of another version is asked to stop and replaced, so the
 * CLI and the daemon never disagree on the protocol. Getting there is bounded (the handshake
 * timeout, NHD_CONNECT_TIMEOUT): a daemon that accepts and never answers is reported, not waited
 * for and not replaced. Requests after the handshake are not bounded: dev start may take minutes.
 */
export class DaemonClient {
  private constructor(
    readonly connection: MessageConnection,
    private readonly socket: net.Socket,
    readonly capabilities: NhdServerCapabilities,
  ) {}

  static async connect(clientName = 'nhd-cli', paths: NhdPaths = nhdPaths(), timeoutMs = connectTimeoutMs()): Promise<DaemonClient> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const socket = (await tryConnect(paths.socketPath, paths.logFile)) ?? (await startDaemon(paths));
      const client = await DaemonClient.handshake(socket, clientName, paths, timeoutMs);
      if (client.capabilities.daemonVersion === VERSION) return client;
      await client.replace(paths, timeoutMs);
    }
    throw new Error(`Could not get an nhd ${VERSION} daemon on ${paths.socketPath}; see ${paths.logFile}.`);
  }

  /**
   * `initialize`, bounded: the kernel queues connections for a stopped or stuck daemon, which then
   * never answers. (Connecting itself never waits on a unix socket: it is queued, refused, or
   * fails with EAGAIN once the queue is full, see tryConnect.)
   */
  private static async handshake(socket: net.Socket, clientName: string, paths: NhdPaths, timeoutMs: number): Promise<DaemonClient> {
    const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    connection.listen();
    const initialize = connection.sendRequest('initialize', {
      processId: process.pid,
      clientInfo: { name: clientName, version: VERSION },
      rootUri: null,
      capabilities: { window: { workDoneProgress: true } },
      initializationOptions: kubeconfigOption(),
    }) as Promise<{ capabilities: { experimental?: { nhd?: NhdServerCapabilities } } }>;
    const result = await within(
      initialize,
      timeoutMs,
      () => stuckDaemonMessage(paths.socketPath, `accepted the connection but did not answer initialize within ${seconds(timeoutMs)}`, paths.logFile),
      () => {
        connection.dispose();
        socket.destroy();
      },
    );
    const nhd = result.capabilities.experimental?.nhd;
    if (!nhd) throw new Error('The process on the nhd socket is not an nhd daemon.');
    if (nhd.daemonVersion === VERSION) await connection.sendNotification('initialized', {});
    return new DaemonClient(connection, socket, nhd);
  }

  /** Stops this daemon (another version) and waits, bounded, until its socket is gone. */
  private async replace(paths: NhdPaths, timeoutMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    const stopped = this.connection.sendRequest(DaemonStopRequest.method, { reason: `replaced by nhd ${VERSION} (protocol ${PROTOCOL_VERSION})` });
    const what = `is nhd ${this.capabilities.daemonVersion}; it was asked to make way for nhd ${VERSION} but did not stop within ${seconds(timeoutMs)}`;
    await within(
      Promise.race([stopped.catch(() => {}), closed]).then(() => closed),
      timeoutMs,
      () => stuckDaemonMessage(paths.socketPath, what, paths.logFile),
      () => this.socket.destroy(),
    );
    this.connection.dispose();
  }

  /**
   * Sends a request; `onProgress` receives its $/progress reports. Ctrl-C while it runs sends
   * $/cancelRequest, and the daemon stops the work.
   */
  async request<P extends object, R>(type: RequestType<P, R, void>, params: P, onProgress?: (value: WorkDoneProgressValue) => void): Promise<R> {
    const cancel = new CancellationTokenSource();
    const onSigint = () => cancel.cancel();
    process.once('SIGINT', onSigint);
    let progress: { dispose(): void } | undefined;
    let sent: P = params;
    if (onProgress) {
      const token = `cli-${process.pid}-${Date.now()}`;
      progress = this.connection.onProgress(workDoneProgress, token, onProgress);
      sent = { ...params, workDoneToken: token };
    }
    try {
      return (await this.connection.sendRequest(type.method, sent, cancel.token)) as R;
    } finally {
      process.off('SIGINT', onSigint);
      progress?.dispose();
      cancel.dispose();
    }
  }

  /** Ends the LSP session politely and closes the socket. */
  async close(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      // The daemon is gone already.
    }
    this.connection.dispose();
    this.socket.end();
  }
}

/**
 * Connects to a live daemon; undefined when none listens (no socket file, or a stale one). Refuses
 * a socket of another user, and a daemon that accepts no more connections (a stopped daemon's
 * queue fills up): that one is stuck, not gone, and must not be replaced.
 */
export async function tryConnect(socketPath: string, logFile: string): Promise<net.Socket | undefined> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socketPath);
  } catch {
    return undefined;
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new Error(`${socketPath} belongs to uid ${stat.uid}, not to you (uid ${uid}); refusing to connect. Set NHD_HOME to a directory of yours.`);
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EAGAIN') return resolve(undefined);
      reject(new Error(stuckDaemonMessage(socketPath, 'accepts no more connections: its queue of waiting connections is full', logFile)));
    });
  });
}

/**
 * Starts a detached daemon listening on the socket and connects to it. Its directories are checked
 * first (the daemon checks them too), so that nothing is created in a directory others can write
 * and the refusal reaches the person rather than the log.
 */
export async function startDaemon(paths: NhdPaths): Promise<net.Socket> {
  ensureOwnDirectory(paths.stateDir, CHOOSE_NHD_HOME);
  ensureOwnDirectory(path.dirname(paths.logFile), CHOOSE_NHD_HOME);
  ensureOwnDirectory(path.dirname(paths.socketPath), CHOOSE_NHD_HOME);
  const stderr = fs.openSync(paths.logFile, 'a', 0o600);
  const logStart = fs.fstatSync(stderr).size;
  const child = spawn(process.execPath, [...selfArgs(), 'serve', '--listen', paths.socketPath, '--idle-timeout', String(AUTO_IDLE_TIMEOUT_SECONDS)], {
    detached: true,
    stdio: ['ignore', 'ignore', stderr],
    env: process.env,
  });
  child.unref();
  fs.closeSync(stderr);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const socket = await tryConnect(paths.socketPath, paths.logFile);
    if (socket) return socket;
    // A daemon that exits 0 lost a start race to another one; keep looking for that one.
    if (exited !== undefined && exited !== 0) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const said = lastComplaint(paths.logFile, logStart);
  throw new Error(`The nhd daemon did not start listening on ${paths.socketPath}${said ? `: ${said}` : ''}; see ${paths.logFile}.`);
}

/** The last `nhd: ...` line the daemon wrote to its stderr (the log) since `offset`. */
function lastComplaint(logFile: string, offset: number): string | undefined {
  try {
    const fd = fs.openSync(logFile, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(Math.max(fs.fstatSync(fd).size - offset, 0), 64 * 1024));
      fs.readSync(fd, buffer, 0, buffer.length, offset);
      return buffer.toString('utf8').split('\n').filter((line) => line.startsWith('nhd: ')).at(-1)?.slice('nhd: '.length).replace(/\.$/, '');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * The arguments before nhd's own that run this nhd again with process.execPath: the script under
 * node (a checkout, an npm install), nothing for the single executable, which is nhd itself.
 */
export function selfArgs(): string[] {
  if (isSea()) return [];
  const script = process.argv[1];
  if (!script) throw new Error('Cannot tell which script runs nhd, so the daemon cannot be started.');
  return [script];
}

/**
 * NHD_CONNECT_TIMEOUT: the seconds connecting and the `initialize` round trip may take (default
 * 10), for a machine so loaded that a healthy daemon answers slower.
 */
export function connectTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = env['NHD_CONNECT_TIMEOUT'];
  if (value === undefined || value === '') return CONNECT_TIMEOUT_SECONDS * 1000;
  const secondsGiven = Number(value);
  if (!Number.isFinite(secondsGiven) || secondsGiven <= 0) {
    throw new Error(`NHD_CONNECT_TIMEOUT is ${JSON.stringify(value)}; set it to the seconds nhd waits for the daemon to answer (default ${CONNECT_TIMEOUT_SECONDS}), or unset it.`);
  }
  // setTimeout takes at most 2^31-1 ms (about 24 days) and fires at once beyond it.
  return Math.min(secondsGiven * 1000, 2 ** 31 - 1);
}

/**
 * `work`, or an Error saying `message()` once `timeoutMs` passed without it settling; `abandon`
 * then closes what `work` waits on (after the rejection, so that its own error is not the one seen).
 */
async function within<T>(work: Promise<T>, timeoutMs: number, message: () => string, abandon: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(message()));
      abandon();
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The CLI's KUBECONFIG, with relative paths made absolute, for a daemon started elsewhere. */
function kubeconfigOption(): { kubeconfig?: string } {
  const value = process.env['KUBECONFIG'];
  if (!value) return {};
  return { kubeconfig: value.split(path.delimiter).filter(Boolean).map((p) => path.resolve(p)).join(path.delimiter) };
}
