import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where nhd keeps its state, log and socket.
 * - NHD_HOME set: everything under it (tests use it for isolation): `$NHD_HOME/nhd.sock`,
 *   `$NHD_HOME/logs/daemon.log`.
 * - Otherwise the XDG places: state in `$XDG_STATE_HOME/nhd` (default ~/.local/state/nhd), the
 *   socket in `$XDG_RUNTIME_DIR/nhd/nhd.sock`, or `/tmp/nhd-<uid>/nhd.sock` without a runtime dir.
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
