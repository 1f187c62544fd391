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
import { nhdPaths, type NhdPaths } from './paths';
import { VERSION } from './version';

/** How long an auto-started daemon may take to listen. */
const START_TIMEOUT_MS = 15_000;
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
 * CLI and the daemon never disagree on the protocol.
 */
export class DaemonClient {
  private constructor(
    readonly connection: MessageConnection,
    private readonly socket: net.Socket,
    readonly capabilities: NhdServerCapabilities,
  ) {}

  static async connect(clientName = 'nhd-cli', paths: NhdPaths = nhdPaths()): Promise<DaemonClient> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const socket = (await tryConnect(paths.socketPath)) ?? (await startDaemon(paths));
      const client = await DaemonClient.handshake(socket, clientName);
      if (client.capabilities.daemonVersion === VERSION) return client;
      await client.replace();
    }
    throw new Error(`Could not get an nhd ${VERSION} daemon on ${paths.socketPath}; see ${paths.logFile}.`);
  }

  private static async handshake(socket: net.Socket, clientName: string): Promise<DaemonClient> {
    const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    connection.listen();
    const result = (await connection.sendRequest('initialize', {
      processId: process.pid,
      clientInfo: { name: clientName, version: VERSION },
      rootUri: null,
      capabilities: { window: { workDoneProgress: true } },
      initializationOptions: kubeconfigOption(),
    })) as { capabilities: { experimental?: { nhd?: NhdServerCapabilities } } };
    const nhd = result.capabilities.experimental?.nhd;
    if (!nhd) throw new Error('The process on the nhd socket is not an nhd daemon.');
    if (nhd.daemonVersion === VERSION) await connection.sendNotification('initialized', {});
    return new DaemonClient(connection, socket, nhd);
  }

  /** Stops this daemon (another version) and waits until its socket is gone. */
  private async replace(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    const stopped = this.connection.sendRequest(DaemonStopRequest.method, { reason: `replaced by nhd ${VERSION} (protocol ${PROTOCOL_VERSION})` });
    await Promise.race([stopped.catch(() => {}), closed]);
    await closed;
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

/** Connects to a live daemon; undefined when none listens. Refuses a socket of another user. */
export async function tryConnect(socketPath: string): Promise<net.Socket | undefined> {
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
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(undefined));
  });
}

/** Starts a detached daemon listening on the socket and connects to it. */
export async function startDaemon(paths: NhdPaths): Promise<net.Socket> {
  fs.mkdirSync(path.dirname(paths.logFile), { recursive: true, mode: 0o700 });
  const stderr = fs.openSync(paths.logFile, 'a', 0o600);
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
    const socket = await tryConnect(paths.socketPath);
    if (socket) return socket;
    // A daemon that exits 0 lost a start race to another one; keep looking for that one.
    if (exited !== undefined && exited !== 0) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`The nhd daemon did not start listening on ${paths.socketPath}; see ${paths.logFile}.`);
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

/** The CLI's KUBECONFIG, with relative paths made absolute, for a daemon started elsewhere. */
function kubeconfigOption(): { kubeconfig?: string } {
  const value = process.env['KUBECONFIG'];
  if (!value) return {};
  return { kubeconfig: value.split(path.delimiter).filter(Boolean).map((p) => path.resolve(p)).join(path.delimiter) };
}
