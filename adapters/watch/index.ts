/**
 * adapters/watch implements the `FileWatcher` port on chokidar 6 (chokidarWatcher.ts) and checks the kernel's
 * inotify limits up front (inotify.ts), so a tree too large to watch is reported before changes go missing.
 *
 * It imports only chokidar, node built-ins and the types of server/ports.ts.
 */
export { ChokidarFileWatcher, describeWatchError, type BurstOptions } from './chokidarWatcher';
export { checkWatchLimit, inotifyLimits, type InotifyLimits } from './inotify';
