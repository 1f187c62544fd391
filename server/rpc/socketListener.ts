import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ErrorCode } from '../../protocol';
import { NhdError } from '../errors';

/**
 * The shared daemon's listener: a unix socket only its owner can use. The directory is created
 * 0700 and must belong to this user with no group or other access; the socket is 0600; a socket
 * file owned by someone else is refused rather than removed, and a live daemon already
 * listening there is reported, not replaced.
 */
export async function listenOnUnixSocket(socketPath: string, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  ensurePrivateDirectory(path.dirname(socketPath));
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

/** Creates the directory 0700 if needed and refuses one that others could use. */
export function ensurePrivateDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory()) throw new NhdError(ErrorCode.Internal, `${dir} is not a directory; nhd keeps its socket there.`);
  if (uid !== undefined && stat.uid !== uid) {
    throw new NhdError(ErrorCode.Internal, `${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}); refusing to use it. Set NHD_HOME to a directory of yours.`);
  }
  if ((stat.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

/**
 * Removes a socket file no daemon answers on (left by a crash). Refuses a file that is not a
 * socket or not ours, and throws `alreadyRunning` when a daemon answers.
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
  if (await answers(socketPath)) {
    throw new NhdError(ErrorCode.Internal, `An nhd daemon already listens on ${socketPath}.`, { alreadyRunning: true });
  }
  fs.unlinkSync(socketPath);
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
