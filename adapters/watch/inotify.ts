import { readFileSync } from 'node:fs';

/** The kernel's inotify limits for this user, or undefined where there is no inotify (not Linux). */
export interface InotifyLimits {
  /** Watches one user may hold across all processes (`fs.inotify.max_user_watches`). */
  maxUserWatches: number;
  /** inotify instances one user may hold (`fs.inotify.max_user_instances`). */
  maxUserInstances: number;
}

const PROC_DIR = '/proc/sys/fs/inotify';

function readNumber(file: string): number | undefined {
  try {
    const value = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function inotifyLimits(procDir = PROC_DIR): InotifyLimits | undefined {
  const maxUserWatches = readNumber(`${procDir}/max_user_watches`);
  const maxUserInstances = readNumber(`${procDir}/max_user_instances`);
  if (maxUserWatches === undefined || maxUserInstances === undefined) return undefined;
  return { maxUserWatches, maxUserInstances };
}

/** How to raise the limit, for every message that mentions it. */
export function raiseWatchLimitAdvice(suggested: number): string {
  return (
    `Raise it with \`sudo sysctl -w fs.inotify.max_user_watches=${suggested}\`, and keep it across reboots with ` +
    `\`echo fs.inotify.max_user_watches=${suggested} | sudo tee /etc/sysctl.d/60-inotify.conf\`, ` +
    'or ignore large generated directories (ignoreFilePattern).'
  );
}

/**
 * chokidar 6 watches directories only (one inotify watch each). Other programs of the same user (editors,
 * other watchers) share the limit, so a tree needing more than half of it is reported before watching starts:
 * past the limit, watches fail with ENOSPC and changes in the unwatched directories are silently missed.
 * Returns an actionable message, or undefined when the tree fits (or the platform has no inotify).
 */
export function checkWatchLimit(estimatedDirectories: number, limits = inotifyLimits()): string | undefined {
  if (limits === undefined) return undefined;
  if (estimatedDirectories <= limits.maxUserWatches / 2) return undefined;
  const suggested = Math.max(524_288, 2 ** Math.ceil(Math.log2(estimatedDirectories * 4)));
  return (
    `Watching this tree needs about ${estimatedDirectories} inotify watches (one per directory), and ` +
    `fs.inotify.max_user_watches is ${limits.maxUserWatches}, shared with every other program of this user. ` +
    raiseWatchLimitAdvice(suggested)
  );
}
