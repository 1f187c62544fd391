import type { IndexEntry, WatchEvent } from '../ports';
import { ancestorsOf, createOp, ordered, type PlannedOp } from './ops';

/** What a batch's events say about one path: whether it existed before the batch, and how it was removed. */
interface PathHistory {
  existedBefore: boolean;
  /** The kind the last removal event named, when a removal came before the path appeared again. */
  removedAs?: 'file' | 'dir';
}

/**
 * The ops for a batch of local changes. Events only say which paths to look at; `stat` (an lstat of the path
 * now) says what to send, so a path changed ten times is one write and a path added then removed is nothing.
 * A deleted directory's delete covers everything under it (the agent deletes recursively). Order: mkdirs
 * (parents first), writes and symlinks, then deletes (children first); a path that changed kind (a file
 * replaced by a directory) is deleted first.
 */
export function planBatch(events: readonly WatchEvent[], stat: (path: string) => IndexEntry | undefined): PlannedOp[] {
  const histories = new Map<string, PathHistory>();
  for (const event of events) {
    let history = histories.get(event.path);
    if (!history) {
      history = { existedBefore: event.kind !== 'add' && event.kind !== 'addDir' };
      histories.set(event.path, history);
    }
    if (event.kind === 'unlink') history.removedAs = 'file';
    if (event.kind === 'unlinkDir') history.removedAs = 'dir';
  }

  const replaced: string[] = [];
  const creates: PlannedOp[] = [];
  const deletes: string[] = [];
  for (const [path, history] of histories) {
    const now = stat(path);
    if (!now) {
      // Added and removed within the batch: the other side never saw it.
      if (history.existedBefore) deletes.push(path);
      continue;
    }
    const nowAs = now.kind === 'dir' ? 'dir' : 'file';
    if (history.removedAs && history.removedAs !== nowAs) replaced.push(path);
    creates.push(createOp(now));
  }

  // The agent deletes recursively: a delete under a deleted directory is covered by it.
  const deletedDirs = new Set(deletes.filter((p) => histories.get(p)?.removedAs === 'dir'));
  const topDeletes = deletes.filter((p) => !ancestorsOf(p).some((dir) => deletedDirs.has(dir)));
  return ordered({ replaced, creates, deletes: topDeletes });
}
