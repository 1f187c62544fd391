import { DaemonClient, tryConnect } from './daemonClient';
import { nhdPaths } from './paths';

/**
 * `nhd serve --remote=auto`: what an editor spawns. It makes sure a daemon of this version runs
 * (starting or replacing it), then copies bytes between stdio and a fresh socket connection, so
 * the editor holds a full LSP session with the shared daemon.
 */
export async function forwardStdio(): Promise<number> {
  const paths = nhdPaths();
  const probe = await DaemonClient.connect('nhd-forwarder', paths);
  await probe.close();
  const socket = await tryConnect(paths.socketPath, paths.logFile);
  if (!socket) {
    process.stderr.write(`nhd: the daemon on ${paths.socketPath} went away; see ${paths.logFile}.\n`);
    return 1;
  }
  return new Promise((resolve) => {
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
    process.stdin.on('end', () => socket.end());
    socket.on('close', () => resolve(0));
    socket.on('error', (error) => {
      process.stderr.write(`nhd: lost the daemon: ${error.message}\n`);
      resolve(1);
    });
  });
}
