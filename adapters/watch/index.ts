/**
 * adapters/watch implements the `FileWatcher` port twice: on node:fs.watch with one inotify watch per directory
 * (directoryWatcher.ts, what the daemon uses: little memory, every chmod seen) and on chokidar 6
 * (chokidarWatcher.ts, kept for comparison in tests and benchmarks). inotify.ts checks the kernel's limits up
 * front, so a tree too large to watch is reported before changes go missing.
 *
 * It imports only chokidar, node built-ins and the types of server/ports.ts.
 */
export { ChokidarFileWatcher, describeWatchError } from './chokidarWatcher';
export type { BurstOptions } from './eventBatcher';
export { DirectoryWatcher } from './directoryWatcher';
export { checkWatchLimit, inotifyLimits, type InotifyLimits } from './inotify';
