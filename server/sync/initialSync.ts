import type { IndexEntry } from '../ports';
import { ancestorsOf, byPath, createOp, guardDirectoryDeletes, ordered, sameContent, withoutIgnored, type IgnoreMatcher, type PlannedOp } from './ops';

export interface InitialSyncOptions {
  /** Paths left out of sync on both sides: never written, never deleted. */
  ignored?: IgnoreMatcher;
  /**
   * The index at the last successful sync, if any. With `send`, a remote path absent locally is deleted only
   * if the base lists it (nhd put it there and it was deleted locally since); paths created on the remote side
   * (build output, uploads) are kept, as Nocalhost's send (a syncthing receive-only folder) keeps them.
   */
  base?: readonly IndexEntry[];
  /** Delete every remote path absent locally, base or not: an exact mirror. */
  mirror?: boolean;
}

export interface InitialSyncPlan {
  ops: PlannedOp[];
  /** Files of equal size and different mtimes: hash these on both sides, then call `planWithHashes`. */
  needHash: string[];
}

/**
 * The ops that make the remote tree equal to the local one for `send` (one-way). Renames are not detected:
 * a renamed file is a write and a delete. Files are compared by size and mtime; when only the mtime differs,
 * the content may still be equal, and the path is returned in `needHash` instead of being planned.
 */
export function planInitialSync(local: readonly IndexEntry[], remote: readonly IndexEntry[], options: InitialSyncOptions = {}): InitialSyncPlan {
  return plan(local, remote, options, false);
}

/**
 * Finishes a plan once the `needHash` paths carry hashes on both sides (the whole indexes again, hashed
 * where asked): equal hashes mean equal content; a file still without a hash on either side is written.
 */
export function planWithHashes(local: readonly IndexEntry[], remote: readonly IndexEntry[], options: InitialSyncOptions = {}): PlannedOp[] {
  return plan(local, remote, options, true).ops;
}

function plan(localAll: readonly IndexEntry[], remoteAll: readonly IndexEntry[], options: InitialSyncOptions, hashesFinal: boolean): InitialSyncPlan {
  const local = withoutIgnored(localAll, options.ignored);
  const remote = withoutIgnored(remoteAll, options.ignored);
  const remoteByPath = byPath(remote);
  const localByPath = byPath(local);
  const replaced: string[] = [];
  const creates: PlannedOp[] = [];
  const chmods: PlannedOp[] = [];
  const needHash: string[] = [];

  for (const entry of local) {
    const there = remoteByPath.get(entry.path);
    if (!there) {
      creates.push(createOp(entry));
      continue;
    }
    if (there.kind !== entry.kind) {
      replaced.push(entry.path);
      creates.push(createOp(entry));
      continue;
    }
    const content = sameContent(entry, there);
    if (content === 'different' || (content === 'unknown' && hashesFinal)) {
      creates.push(createOp(entry));
    } else if (content === 'unknown') {
      needHash.push(entry.path);
    } else if (entry.kind !== 'symlink' && entry.mode !== there.mode) {
      chmods.push({ op: 'chmod', path: entry.path, mode: entry.mode });
    }
  }

  const base = options.base ? byPath(options.base) : undefined;
  const extras = remote
    .filter((entry) => !localByPath.has(entry.path))
    .filter((entry) => options.mirror || base?.has(entry.path))
    .map((entry) => entry.path);
  // A replaced directory is deleted whole before its new content is written; its children need no delete of their own.
  const replacedDirs = new Set(replaced.filter((p) => remoteByPath.get(p)?.kind === 'dir'));
  const insideReplaced = (p: string) => replacedDirs.size > 0 && ancestorsOf(p).some((dir) => replacedDirs.has(dir));
  const deletes = guardDirectoryDeletes(
    extras.filter((p) => !insideReplaced(p)),
    // The whole remote index: an ignored path inside a directory keeps that directory.
    remoteAll.filter((entry) => !insideReplaced(entry.path)),
  ).deletes;

  return { ops: ordered({ replaced, creates, chmods, deletes }), needHash: needHash.sort() };
}
