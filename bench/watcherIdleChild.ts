/**
 * The child process of watcherIdle.bench.ts (bundled by it with esbuild): `node child.cjs MODE ROOT`.
 * MODE `watcher` runs DirectoryWatcher on ROOT (the daemon's watcher), MODE `chokidar` the chokidar adapter
 * for comparison; MODE `none` runs nothing (the same-run baseline: an idle Node process with this harness).
 * It says `ready` over IPC, then answers each `sample` with its CPU time, RSS and event counts.
 */
import { ChokidarFileWatcher, DirectoryWatcher } from '../adapters/watch';

const [mode, root] = process.argv.slice(2);
let events = 0;
let overflows = 0;

async function main(): Promise<void> {
  const started = performance.now();
  if (mode === 'watcher' || mode === 'chokidar') {
    await (mode === 'watcher' ? new DirectoryWatcher() : new ChokidarFileWatcher()).watch(
      root!,
      { ignored: () => false },
      (batch) => (events += batch.length),
      () => overflows++,
    );
  } else if (mode !== 'none') {
    throw new Error(`unknown mode ${mode}`);
  }
  const readyMs = performance.now() - started;
  process.on('message', (message) => {
    if (message !== 'sample') return;
    process.send!({ type: 'sample', cpu: process.cpuUsage(), rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, events, overflows });
  });
  process.send!({ type: 'ready', readyMs, rss: process.memoryUsage().rss });
}

main().catch((error: unknown) => {
  process.stderr.write(`watcher child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
