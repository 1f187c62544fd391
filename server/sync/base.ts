import type { IndexEntry } from '../ports';
import { isUnder, type PlannedOp } from './ops';

/**
 * Records in `base` (what the far side holds because nhd put it there) the ops that were applied, as they were
 * sent: never from a fresh stat, which could already show a later edit and so hide it from the next batch.
 * `content` gives a write's entry when the op alone does not say it (the remote entry of a pulled file).
 */
export function recordApplied(base: Map<string, IndexEntry>, ops: readonly PlannedOp[], skip: ReadonlySet<string>): void {
  const remove = (p: string) => {
    base.delete(p);
    for (const key of [...base.keys()]) if (isUnder(key, p)) base.delete(key);
  };
  for (const op of ops) {
    if (op.op === 'rename') {
      if (skip.has(op.from) || skip.has(op.to)) continue;
      const moved = [...base.entries()].filter(([key]) => key === op.from || isUnder(key, op.from));
      remove(op.from);
      remove(op.to);
      for (const [key, entry] of moved) {
        const to = op.to + key.slice(op.from.length);
        base.set(to, { ...entry, path: to });
      }
      continue;
    }
    if (skip.has(op.path)) continue;
    switch (op.op) {
      case 'delete':
        remove(op.path);
        break;
      case 'write':
        base.set(op.path, { path: op.path, kind: 'file', size: op.size, mtimeMs: op.mtimeMs, mode: op.mode });
        break;
      case 'mkdir':
        base.set(op.path, { path: op.path, kind: 'dir', size: 0, mtimeMs: base.get(op.path)?.mtimeMs ?? 0, mode: op.mode });
        break;
      case 'symlink':
        base.set(op.path, { path: op.path, kind: 'symlink', size: 0, mtimeMs: 0, mode: 0o777, target: op.target });
        break;
      case 'chmod': {
        const entry = base.get(op.path);
        if (entry) base.set(op.path, { ...entry, mode: op.mode });
        break;
      }
    }
  }
}
