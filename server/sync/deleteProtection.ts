import type { IndexEntry } from '../ports';
import { ancestorsOf, type PlannedOp } from './ops';

/** Below this many deletions a batch is never held: deleting 3 of 4 files is an ordinary edit. */
export const DELETE_PROTECTION_MINIMUM = 10;

/**
 * deleteProtection: true when `ops` would delete more than half of the other side's entries, and at least
 * `DELETE_PROTECTION_MINIMUM` of them (a mistaken root, an unmounted volume, a checkout gone wrong). The caller
 * holds such a batch and reports it instead of applying it.
 *
 * `otherSide` is either that side's index, in which case a directory delete counts everything under it, or just
 * its entry count, in which case each delete op counts once.
 */
export function holdsDeletes(ops: readonly PlannedOp[], otherSide: readonly IndexEntry[] | number): boolean {
  const deletePaths = ops.filter((op) => op.op === 'delete').map((op) => op.path);
  if (deletePaths.length === 0) return false;
  let total: number;
  let deleted: number;
  if (typeof otherSide === 'number') {
    total = otherSide;
    deleted = deletePaths.length;
  } else {
    total = otherSide.length;
    const deleting = new Set(deletePaths);
    deleted = otherSide.filter((e) => deleting.has(e.path) || ancestorsOf(e.path).some((dir) => deleting.has(dir))).length;
  }
  return deleted >= DELETE_PROTECTION_MINIMUM && deleted > total / 2;
}
