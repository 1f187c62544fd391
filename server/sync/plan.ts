/**
 * server/sync/plan: file sync's planner, pure functions from indexes and watch events to the ops the sync agent
 * applies. No I/O: the caller reads indexes, stats paths, attaches content streams and applies the ops.
 *
 * - planInitialSync / planWithHashes: one-way (`send`) from two indexes, hashing only where size and mtime disagree.
 * - planBatch: a batch of local watch events, coalesced.
 * - planTwoWay: `sendReceive` against the index of the last successful sync, with conflicts kept as copies.
 * - holdsDeletes: deleteProtection.
 *
 * The `ignored` matcher for Nocalhost's filePattern / ignoreFilePattern and gitIgnore modes is `makeIgnore` in
 * ./ignore.ts, kept apart because it is the one module that uses a library (`ignore`, gitignore semantics).
 */
export { type IgnoreMatcher, type PlannedOp, type PlannedWrite } from './ops';
export { planInitialSync, planWithHashes, type InitialSyncOptions, type InitialSyncPlan } from './initialSync';
export { planBatch } from './batch';
export { conflictCopyName, planTwoWay, type Conflict, type TwoWayOptions, type TwoWayPlan } from './twoWay';
export { DELETE_PROTECTION_MINIMUM, holdsDeletes } from './deleteProtection';
