import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where nhd keeps its state, log and socket.
 * - NHD_HOME set: everything under it (tests use it for isolation): `$NHD_HOME/nhd.sock`,
 *   `$NHD_HOME/logs/daemon.log`.
 * - Otherwise the XDG places: state in `$XDG_STATE_HOME/nhd` (default ~/.local/state/nhd), the
 *   socket in `$XDG_RUNTIME_DIR/nhd/nhd.sock`, or `/tmp/nhd-<uid>/nhd.sock` without a runtime dir.
 * Each directory must be the user's own (`ensureOwnDirectory`).
 */
export interface NhdPaths {
  stateDir: string;
  socketPath: string;
  logFile: string;
}

export function nhdPaths(env: NodeJS.ProcessEnv = process.env): NhdPaths {
  const home = env['NHD_HOME'];
  if (home) {
    const root = path.resolve(home);
    return { stateDir: root, socketPath: path.join(root, 'nhd.sock'), logFile: path.join(root, 'logs', 'daemon.log') };
  }
  const stateDir = path.join(env['XDG_STATE_HOME'] || path.join(os.homedir(), '.local', 'state'), 'nhd');
  const runtime = env['XDG_RUNTIME_DIR'];
  const socketDir = runtime ? path.join(runtime, 'nhd') : path.join(os.tmpdir(), `nhd-${process.getuid?.() ?? 'user'}`);
  return { stateDir, socketPath: path.join(socketDir, 'nhd.sock'), logFile: path.join(stateDir, 'logs', 'daemon.log') };
}

/** The longest unix socket path Linux accepts (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;

/** What to do when a directory of nhdPaths() is refused. */
export const CHOOSE_NHD_HOME = 'Set NHD_HOME to a directory only you can write; nhd creates a missing one 0700.';

/**
 * Makes `dir` a directory only this user can change, for nhd's socket, state or log. What is
 * missing is created, parents too, 0700. What exists is never changed (as root, `--listen
 * /tmp/x.sock` must not lock /tmp): it is refused when it is not a directory, belongs to another
 * user, or its group or others can write it, since they could then swap the socket or the log for
 * their own (gopls refuses such sockets too). `instead` tells the person what to do then.
 */
export function ensureOwnDirectory(dir: string, instead: string): void {
  // The umask, not a chmod afterwards: chmod follows a symlink someone could put in the new name's place.
  const previousUmask = process.umask(0o077);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } finally {
    process.umask(previousUmask);
  }
  const problem = directoryProblem(dir, fs.lstatSync(dir));
  if (problem) throw new Error(`${problem}. ${instead}`);
}

function directoryProblem(dir: string, stat: fs.Stats): string | undefined {
  if (stat.isSymbolicLink()) return `${dir} is a symlink; nhd keeps its socket and state only in a real directory`;
  if (!stat.isDirectory()) return `${dir} is not a directory; nhd keeps its socket and state there`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    return `${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}); nhd keeps its socket and state only in a directory of yours`;
  }
  const writers = [stat.mode & 0o020 ? 'its group' : '', stat.mode & 0o002 ? 'others' : ''].filter(Boolean).join(' and ');
  if (writers) {
    const mode = (stat.mode & 0o7777).toString(8);
    return `${dir} is writable by ${writers} (mode ${mode}), so another user could put their own socket or log in nhd's place; nhd does not use it, and does not change a directory it did not create`;
  }
  return undefined;
}
