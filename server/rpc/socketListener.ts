import * as fs from 'node:fs';
import * as net from 'node:net';
import { ErrorCode } from '../../protocol';
import { NhdError } from '../errors';

/**
 * The shared daemon's listener: a unix socket only its owner can use. The caller has made its
 * directory the user's own (clients/cli/paths.ts, ensureOwnDirectory: created 0700, refused when
 * someone else owns or can write it, never chmodded); the socket is 0600; a socket file owned by
 * someone else is refused rather than removed, and a daemon already listening there, answering or
 * stuck, is reported, not replaced.
 */
export async function listenOnUnixSocket(socketPath: string, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  await removeStaleSocket(socketPath);
  const server = net.createServer(onConnection);
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new NhdError(ErrorCode.Internal, `Another nhd daemon took ${socketPath} at the same moment; use that one.`, { alreadyRunning: true });
    }
    throw error;
  } finally {
    process.umask(previousUmask);
  }
  fs.chmodSync(socketPath, 0o600);
  return server;
}

/**
 * Removes a socket file no daemon listens on (left by a crash). Refuses a file that is not a
 * socket or not ours, throws `alreadyRunning` when a daemon accepts the connection, and refuses
 * when one is there but accepts no more (a stopped daemon's full queue), which is not stale.
 */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new NhdError(ErrorCode.Internal, `${socketPath} belongs to uid ${stat.uid}, not to you (uid ${uid}); refusing to use or remove it.`);
  }
  if (!stat.isSocket()) throw new NhdError(ErrorCode.Internal, `${socketPath} exists and is not a socket; remove it or choose another path.`);
  const listener = await probe(socketPath);
  if (listener === 'accepts') {
    throw new NhdError(ErrorCode.Internal, `An nhd daemon already listens on ${socketPath}.`, { alreadyRunning: true });
  }
  if (listener === 'queueFull') {
    throw new NhdError(
      ErrorCode.Internal,
      `A process listens on ${socketPath} but accepts no more connections (its queue is full: a stopped or stuck daemon?); end that process, or choose another path.`,
    );
  }
  if (listener !== 'none') {
    throw new NhdError(ErrorCode.Internal, `Cannot tell whether a daemon listens on ${socketPath} (connect failed with ${listener.failed}); remove it if none does, or choose another path.`);
  }
  fs.rmSync(socketPath, { force: true });
}

/** Who is behind a socket file: a listener that accepts, one whose queue is full, nobody, or an error. */
function probe(socketPath: string): Promise<'accepts' | 'queueFull' | 'none' | { failed: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepts');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EAGAIN') resolve('queueFull');
      else if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve('none');
      else resolve({ failed: error.code ?? error.message });
    });
  });
}
