import type { IndexEntry, SyncOp } from '../ports';

/**
 * A write as the planner sees it: what to write, not yet how to read it. The caller adds `open` (reading
 * `source ?? path` on the side the write comes from) to make it a `SyncOp`.
 */
export interface PlannedWrite {
  op: 'write';
  path: string;
  mode: number;
  mtimeMs: number;
  size: number;
  /** Where to read the content on the source side, when it is not `path` (a conflict copy). */
  source?: string;
}

export type PlannedOp = Exclude<SyncOp, { op: 'write' }> | PlannedWrite;

/** Decides whether a relative path is left out of sync; `isDirectory` matters for patterns like `build/`. */
export type IgnoreMatcher = (relativePath: string, isDirectory: boolean) => boolean;

export const depth = (p: string) => p.split('/').length;
export const isUnder = (p: string, dir: string) => p.startsWith(`${dir}/`);

/** Parents before children (mkdir, writes), then by path so plans are deterministic. */
export const parentsFirst = (a: string, b: string) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
/** Children before parents (deletes). */
export const childrenFirst = (a: string, b: string) => parentsFirst(b, a);

/** The op that makes an entry exist on the other side with this entry's content. */
export function createOp(entry: IndexEntry, path = entry.path): PlannedOp {
  switch (entry.kind) {
    case 'dir':
      return { op: 'mkdir', path, mode: entry.mode };
    case 'symlink':
      return { op: 'symlink', path, target: entry.target ?? '' };
    case 'file':
      return path === entry.path
        ? { op: 'write', path, mode: entry.mode, mtimeMs: entry.mtimeMs, size: entry.size }
        : { op: 'write', path, mode: entry.mode, mtimeMs: entry.mtimeMs, size: entry.size, source: entry.path };
  }
}

/**
 * Whether two entries hold the same content: `unknown` when files have the same size and different
 * mtimes and no hashes, which only a content hash settles.
 */
export function sameContent(a: IndexEntry, b: IndexEntry): 'same' | 'different' | 'unknown' {
  if (a.kind !== b.kind) return 'different';
  if (a.kind === 'dir') return 'same';
  if (a.kind === 'symlink') return a.target === b.target ? 'same' : 'different';
  if (a.size !== b.size) return 'different';
  if (a.hash !== undefined && b.hash !== undefined) return a.hash === b.hash ? 'same' : 'different';
  return a.mtimeMs === b.mtimeMs ? 'same' : 'unknown';
}

/**
 * The order the agent applies a plan in: deletes that clear a path for an entry of another kind, mkdirs
 * (parents first), writes and symlinks, chmods, then the other deletes (children first). Deleting last means
 * an interrupted plan leaves the far side with too much rather than too little.
 */
export function ordered(parts: {
  replaced?: string[];
  creates?: PlannedOp[];
  chmods?: PlannedOp[];
  deletes?: string[];
}): PlannedOp[] {
  const creates = parts.creates ?? [];
  const pathOf = (op: PlannedOp) => (op.op === 'rename' ? op.to : op.path);
  const byPath = (a: PlannedOp, b: PlannedOp) => parentsFirst(pathOf(a), pathOf(b));
  return [
    ...[...(parts.replaced ?? [])].sort(childrenFirst).map((path): PlannedOp => ({ op: 'delete', path })),
    ...creates.filter((op) => op.op === 'mkdir').sort(byPath),
    ...creates.filter((op) => op.op !== 'mkdir').sort(byPath),
    ...[...(parts.chmods ?? [])].sort(byPath),
    ...[...(parts.deletes ?? [])].sort(childrenFirst).map((path): PlannedOp => ({ op: 'delete', path })),
  ];
}

/** Entries that are not ignored and not inside an ignored directory. */
export function withoutIgnored(entries: readonly IndexEntry[], ignored: IgnoreMatcher | undefined): IndexEntry[] {
  if (!ignored) return [...entries];
  const ignoredDirs = new Set<string>();
  const kept: IndexEntry[] = [];
  // Parents first, so a directory's verdict is known before its children are looked at.
  for (const entry of [...entries].sort((a, b) => parentsFirst(a.path, b.path))) {
    if (ancestorsOf(entry.path).some((dir) => ignoredDirs.has(dir))) {
      if (entry.kind === 'dir') ignoredDirs.add(entry.path);
      continue;
    }
    if (ignored(entry.path, entry.kind === 'dir')) {
      if (entry.kind === 'dir') ignoredDirs.add(entry.path);
      continue;
    }
    kept.push(entry);
  }
  return kept;
}

/** `a/b/c` → `a/b`, `a`. */
export function ancestorsOf(p: string): string[] {
  const ancestors: string[] = [];
  for (let slash = p.lastIndexOf('/'); slash > 0; slash = p.lastIndexOf('/', slash - 1)) ancestors.push(p.slice(0, slash));
  return ancestors;
}

export const byPath = (entries: readonly IndexEntry[]) => new Map(entries.map((e) => [e.path, e]));

/**
 * Deletes are recursive on the agent, so a directory is deleted only when everything under it on that side
 * (ignored paths included: pass the whole index) is deleted too; the others are returned as `kept` (the directory must stay, or be re-created).
 */
export function guardDirectoryDeletes(deletes: string[], side: readonly IndexEntry[]): { deletes: string[]; kept: string[] } {
  const deleting = new Set(deletes);
  const blocked = new Set<string>();
  for (const entry of side) {
    if (deleting.has(entry.path)) continue;
    // Every ancestor of a surviving entry must survive.
    for (const ancestor of ancestorsOf(entry.path)) if (deleting.has(ancestor)) blocked.add(ancestor);
  }
  return { deletes: deletes.filter((p) => !blocked.has(p)), kept: [...blocked] };
}
