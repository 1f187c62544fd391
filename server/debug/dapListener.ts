import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ErrorCode, type DebugListenResult, type DebugListenTransport } from '../../protocol';
import { NhdError } from '../errors';
import type { DapChannel, Logger } from '../ports';
import { AdmissionGate, newSecret } from './admission';

/** The only address a TCP listener binds: a debug session must never be reachable from the network. */
export const DAP_LISTEN_HOST = '127.0.0.1';
/** A listener that admitted nobody closes after this long. */
export const LISTEN_UNUSED_MS = 60_000;
/** Connections a TCP listener holds unadmitted at once; one more drops the oldest, so idle ones cannot lock the rightful client out. */
const MAX_WAITING = 8;
/** What an unadmitted connection may send (an initialize and an attach are a few KiB); more is dropped, so nobody fills the daemon's memory. */
const MAX_BYTES_BEFORE_ADMISSION = 1024 * 1024;
/** The longest unix socket path Linux accepts (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

export interface DapListenerOptions {
  transport: DebugListenTransport;
  /** Where socket listeners are made: a directory of this user's alone (created 0700). */
  socketDir: string;
  channel: (input: NodeJS.ReadableStream, output: NodeJS.WritableStream) => DapChannel;
  log: Logger;
  /**
   * A connection came: serve DAP on `ide`. `admitted` resolves true when the connection may drive
   * the session (at once on a socket; on TCP once it presented the secret), false when it was
   * refused or left before.
   */
  serve(ide: DapChannel, socket: net.Socket, admitted: Promise<boolean>): void;
}

export interface DapListener {
  readonly endpoint: DebugListenResult;
  /** Stops listening and drops connections not admitted; an admitted session goes on. Idempotent. */
  close(): void;
  /** Resolves when the listener has closed (admitted a connection, unused, or close()). */
  readonly closed: Promise<void>;
}

/**
 * Opens the listener of one DAP session. `socket`: a 0600 unix socket in a 0700 directory of this
 * user's, removed when the listener closes; its first connection is the session, since nobody
 * else can open it. `tcp`: 127.0.0.1 and a random port with a secret, which any local user can
 * reach; each connection goes through an AdmissionGate, one that fails it is dropped, and the
 * listener keeps waiting for the rightful client (so nobody can spend it by connecting first).
 */
export async function openDapListener(options: DapListenerOptions): Promise<DapListener> {
  const { log } = options;
  const socketPath = options.transport === 'socket' ? newSocketPath(options.socketDir) : undefined;
  const secret = options.transport === 'tcp' ? newSecret() : undefined;
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.removeListener('error', reject);
      resolve();
    };
    if (socketPath) server.listen(socketPath, done);
    else server.listen({ host: DAP_LISTEN_HOST, port: 0, exclusive: true }, done);
  }).catch((error: NodeJS.ErrnoException) => {
    throw new NhdError(ErrorCode.DebugAttachFailed, `nhd could not open a DAP listener${socketPath ? ` at ${socketPath}` : ''}: ${error.message}.`);
  });
  // The directory already keeps everyone else out; the mode says so to whoever looks.
  if (socketPath) fs.chmodSync(socketPath, 0o600);
  server.on('error', (error) => log.log('warn', 'dap', `DAP listener failed: ${error.message}`));
  const port = socketPath ? undefined : (server.address() as net.AddressInfo).port;
  const where = socketPath ? { socket: socketPath } : { port };

  const waiting = new Set<net.Socket>();
  let open = true;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = () => {
    if (!open) return;
    open = false;
    clearTimeout(unused);
    server.close();
    if (socketPath) fs.rmSync(socketPath, { force: true });
    for (const socket of waiting) socket.destroy();
    waiting.clear();
    resolveClosed();
  };
  const unused = setTimeout(() => {
    log.log('info', 'dap', 'DAP listener closed unused', where);
    close();
  }, LISTEN_UNUSED_MS);
  unused.unref();

  server.on('connection', (socket) => {
    if (!open) return socket.destroy();
    socket.on('error', (error) => log.log('debug', 'dap', `IDE socket: ${error.message}`));
    if (!secret) {
      close();
      return options.serve(options.channel(socket, socket), socket, Promise.resolve(true));
    }
    if (waiting.size >= MAX_WAITING) {
      const oldest = waiting.values().next().value!;
      waiting.delete(oldest);
      oldest.destroy();
    }
    waiting.add(socket);
    socket.once('close', () => waiting.delete(socket));
    let bytes = 0;
    const count = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BYTES_BEFORE_ADMISSION) return;
      log.log('warn', 'dap', `dropped a DAP connection that sent over ${MAX_BYTES_BEFORE_ADMISSION} bytes without the secret`, where);
      socket.destroy();
    };
    socket.on('data', count);
    const gate = new AdmissionGate(options.channel(socket, socket), secret, (why) => log.log('warn', 'dap', `refused a DAP connection: ${why}`, where));
    const admitted = gate.admitted.then((ok) => {
      if (ok) {
        socket.off('data', count);
        waiting.delete(socket);
        close();
      }
      return ok;
    });
    options.serve(gate, socket, admitted);
  });

  const endpoint: DebugListenResult = socketPath ? { transport: 'socket', path: socketPath } : { transport: 'tcp', host: DAP_LISTEN_HOST, port: port!, secret: secret! };
  return { endpoint, close, closed };
}

/** A fresh socket path in `dir`, which is made (0700) or checked to be this user's alone. */
function newSocketPath(dir: string): string {
  ensurePrivateDir(dir);
  const socketPath = path.join(dir, `${crypto.randomBytes(9).toString('base64url')}.sock`);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new NhdError(
      ErrorCode.DebugAttachFailed,
      `The DAP socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes, the limit of a unix socket: set NHD_HOME to a shorter directory.`,
    );
  }
  return socketPath;
}

/**
 * Makes `dir` 0700, or checks it: a directory (not a symlink) of this user's, in a parent of this
 * user's that nobody else can write (who could write it could swap `dir` for their own).
 */
function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  const refuse = (what: string) => {
    throw new NhdError(ErrorCode.DebugAttachFailed, `nhd keeps its DAP sockets in ${dir}, but ${what}; refusing to use it. Set NHD_HOME to a directory of yours.`);
  };
  const parent = path.dirname(dir);
  for (const [name, stat] of [[parent, fs.lstatSync(parent)], [dir, fs.lstatSync(dir)]] as const) {
    if (!stat.isDirectory()) refuse(`${name} is not a directory`);
    if (uid !== undefined && stat.uid !== uid) refuse(`${name} belongs to uid ${stat.uid}, not to you (uid ${uid})`);
  }
  if ((fs.lstatSync(parent).mode & 0o022) !== 0) refuse(`others can write ${parent}`);
  if ((fs.lstatSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}
