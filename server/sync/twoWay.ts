import type { IndexEntry } from '../ports';
import { ancestorsOf, byPath, createOp, guardDirectoryDeletes, ordered, sameContent, withoutIgnored, type IgnoreMatcher, type PlannedOp } from './ops';

export interface TwoWayOptions {
  ignored?: IgnoreMatcher;
  /** The time that names conflict copies (milliseconds since the epoch); injected so planning stays pure. */
  now: number;
}

export interface Conflict {
  path: string;
  /**
   * `kept-both`: the local version stays at `path` (and is pushed), the remote version is pulled next to it
   * as `copy`. `unresolved`: a file on one side and a directory on the other, both changed; nothing under
   * `path` is synced until a person resolves it.
   */
  resolution: 'kept-both' | 'unresolved';
  copy?: string;
  local: IndexEntry;
  remote: IndexEntry;
}

export interface TwoWayPlan {
  /** Ops for the remote side (content read locally). Apply `pull` first: it saves conflict copies. */
  push: PlannedOp[];
  /** Ops for the local side (content read remotely, `source` naming the remote path). */
  pull: PlannedOp[];
  conflicts: Conflict[];
  /** Files changed on both sides to the same size: hash these on both sides and plan again. */
  needHash: string[];
}

/** `src/app.ts` → `src/app.conflict-20261125-201500-remote.ts`; a dotfile keeps its name whole. */
export function conflictCopyName(path: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  return `${path.slice(0, slash + 1)}${stem}.conflict-${stamp}-remote${ext}`;
}

/** Whether an entry differs from what it was at the last sync (existence, kind, content or mode). */
function changedSince(entry: IndexEntry | undefined, base: IndexEntry | undefined): boolean {
  if (!entry || !base) return entry !== base;
  if (sameContent(entry, base) !== 'same') return true;
  return entry.kind !== 'symlink' && entry.mode !== base.mode;
}

/** One side's ops, collected. */
class Side {
  replaced: string[] = [];
  creates: PlannedOp[] = [];
  chmods: PlannedOp[] = [];
  deletes: string[] = [];

  /** Makes `path` on this side what `source` is on the other. */
  take(source: IndexEntry, current: IndexEntry | undefined): void {
    if (current && current.kind !== source.kind) this.replaced.push(source.path);
    if (current && current.kind === source.kind && sameContent(source, current) === 'same') {
      if (source.kind !== 'symlink' && source.mode !== current.mode) this.chmods.push({ op: 'chmod', path: source.path, mode: source.mode });
      return;
    }
    this.creates.push(createOp(source));
  }
}

/**
 * Two-way sync (`sendReceive`) against `base`, the index at the last successful sync: a path changed on one
 * side only is copied to the other; deleted on one side and unchanged on the other, it is deleted there; deleted
 * on one side and changed on the other, the changed one wins; changed on both sides to different content, both
 * versions are kept and a conflict is reported. Nothing is ever overwritten without a copy surviving.
 */
export function planTwoWay(
  localAll: readonly IndexEntry[],
  remoteAll: readonly IndexEntry[],
  baseAll: readonly IndexEntry[],
  options: TwoWayOptions,
): TwoWayPlan {
  const local = withoutIgnored(localAll, options.ignored);
  const remote = withoutIgnored(remoteAll, options.ignored);
  const localByPath = byPath(local);
  const remoteByPath = byPath(remote);
  const baseByPath = byPath(withoutIgnored(baseAll, options.ignored));
  const push = new Side();
  const pull = new Side();
  const conflicts: Conflict[] = [];
  const needHash: string[] = [];
  const blocked = new Set<string>();

  const paths = [...new Set([...localByPath.keys(), ...remoteByPath.keys(), ...baseByPath.keys()])].sort();
  for (const path of paths) {
    if (blocked.size > 0 && ancestorsOf(path).some((dir) => blocked.has(dir))) continue;
    const l = localByPath.get(path);
    const r = remoteByPath.get(path);
    const b = baseByPath.get(path);
    const localChanged = changedSince(l, b);
    const remoteChanged = changedSince(r, b);
    if (!localChanged && !remoteChanged) continue;

    if (localChanged && !remoteChanged) {
      if (l) push.take(l, r);
      else if (r) push.deletes.push(path);
      continue;
    }
    if (remoteChanged && !localChanged) {
      if (r) pull.take(r, l);
      else if (l) pull.deletes.push(path);
      continue;
    }
    // Changed on both sides. A deletion loses to a change.
    if (!l && !r) continue;
    if (!l) { pull.take(r!, undefined); continue; }
    if (!r) { push.take(l, undefined); continue; }

    const content = sameContent(l, r);
    if (content === 'same') {
      // Converged (the same edit on both sides); the local mode wins if only modes differ.
      if (l.kind !== 'symlink' && l.mode !== r.mode) push.chmods.push({ op: 'chmod', path, mode: l.mode });
      continue;
    }
    if (content === 'unknown') {
      needHash.push(path);
      continue;
    }
    if (l.kind === 'dir' && r.kind === 'dir') continue;
    if (r.kind === 'dir' || l.kind === 'dir') {
      conflicts.push({ path, resolution: 'unresolved', local: l, remote: r });
      blocked.add(path);
      continue;
    }
    const copy = conflictCopyName(path, options.now);
    pull.creates.push(createOp(r, copy));
    push.take(l, r);
    conflicts.push({ path, resolution: 'kept-both', copy, local: l, remote: r });
  }

  // The whole indexes: an ignored path inside a directory keeps that directory.
  keepDirectoriesWithSurvivors(push, remoteAll, pull, localByPath);
  keepDirectoriesWithSurvivors(pull, localAll, push, remoteByPath);
  return { push: ordered(push), pull: ordered(pull), conflicts, needHash };
}

/**
 * A directory this side would delete stays when something under it survives there (kept, or arriving from the
 * other side): the agent's delete is recursive. The other side then needs the directory too.
 */
function keepDirectoriesWithSurvivors(side: Side, sideEntries: readonly IndexEntry[], mirror: Side, otherByPath: Map<string, IndexEntry>): void {
  const deleting = new Set(side.deletes);
  const surviving = sideEntries.filter((e) => !deleting.has(e.path));
  const arriving = side.creates.map((op): IndexEntry => ({ path: op.op === 'rename' ? op.to : op.path, kind: 'file', size: 0, mtimeMs: 0, mode: 0 }));
  const { deletes, kept } = guardDirectoryDeletes(side.deletes, [...surviving, ...arriving]);
  side.deletes = deletes;
  const sideByPath = kept.length > 0 ? byPath(sideEntries) : new Map<string, IndexEntry>();
  for (const dir of kept) {
    const entry = sideByPath.get(dir);
    if (entry && !otherByPath.has(dir)) mirror.creates.push(createOp(entry));
  }
}
