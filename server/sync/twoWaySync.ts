/**
 * One round of two-way sync (`sendReceive`): both indexes against the base (what both sides held after the
 * last round), planned by planTwoWay, then applied to each side through its agent: the local directory's agent
 * receives the pulls, the sidecar's the pushes. Every write and delete carries the index entry it was planned
 * against (IfUnchanged), so an edit that lands on either side while the round runs fails that op instead of
 * being overwritten; the next round sees it as a change (or a conflict) and keeps it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AgentLink, BatchResult, IfUnchanged, IndexEntry, SyncOp } from '../ports';
import { recordApplied } from './base';
import { holdsDeletes } from './deleteProtection';
import { hashFile, localIndex } from './localIndex';
import { ancestorsOf, byPath, isUnder, withoutIgnored, type IgnoreMatcher, type PlannedOp } from './ops';
import { planTwoWay, type Conflict } from './twoWay';
import { wholeRead } from './wholeRead';

export interface TwoWayRound {
  root: string;
  ignored: IgnoreMatcher;
  /** The sidecar's agent. */
  remote: AgentLink;
  /** The agent on the local directory. */
  local: AgentLink;
  base: ReadonlyMap<string, IndexEntry>;
  deleteProtection: boolean;
  allowDeletes: boolean;
  now: number;
}

export interface SideResult extends BatchResult {
  /** Ops sent (before errors). */
  ops: PlannedOp[];
  /** Deletes held by deleteProtection (top-level paths). */
  held: string[];
}

export interface TwoWayResult {
  push: SideResult;
  pull: SideResult;
  conflicts: Conflict[];
  /** The base for the next round. */
  base: Map<string, IndexEntry>;
  /** Some op found its target changed meanwhile: run another round soon. */
  raced: boolean;
}

export async function reconcileTwoWay(round: TwoWayRound): Promise<TwoWayResult> {
  const { root, ignored, remote, local: localLink } = round;
  let local = localIndex(root, ignored);
  let remoteEntries = await remote.index();
  const baseEntries = [...round.base.values()];
  let plan = planTwoWay(local, remoteEntries, baseEntries, { ignored, now: round.now });
  if (plan.needHash.length > 0) {
    const wanted = new Set(plan.needHash);
    local = await Promise.all(
      local.map(async (entry) => {
        if (!wanted.has(entry.path)) return entry;
        const hash = await hashFile(path.join(root, entry.path));
        return hash === undefined ? entry : { ...entry, hash };
      }),
    );
    remoteEntries = await remote.index({ hash: plan.needHash });
    plan = planTwoWay(local, remoteEntries, baseEntries, { ignored, now: round.now });
  }
  const remoteKept = withoutIgnored(remoteEntries, ignored);

  // Pulls first: they save the remote versions of conflicts before the pushes replace them.
  const pull = await applySide(plan.pull, local, round, (op) => localLink.apply(op), (source) => readFrom(remote, source));
  // A conflict's remote version was just saved locally under its copy name; the container gets that copy too.
  const pulledCopies = new Set(plan.pull.flatMap((op) => (op.op === 'write' && op.source !== undefined ? [op.path] : [])));
  for (const e of pull.errors) pulledCopies.delete(e.path);
  const copies = plan.pull.flatMap((op): PlannedOp[] =>
    op.op === 'write' && pulledCopies.has(op.path) ? [{ op: 'write', path: op.path, mode: op.mode, mtimeMs: op.mtimeMs, size: op.size }] : [],
  );
  const push = await applySide([...plan.push, ...copies], remoteKept, round, (op) => remote.apply(op), (source) => fs.createReadStream(path.join(root, source)), (source, size) =>
    wholeRead(path.join(root, source), size),
  );

  // Both sides now hold the local tree as planned, plus what was pulled (as it was sent, never re-read: a local
  // edit made during the round must still look changed to the next one). Where an op failed, a delete was held
  // or a conflict is unresolved, the old base stays, so the next round still sees those paths as changed.
  const base = new Map(local.map((entry) => [entry.path, entry]));
  const pullFailed = new Set([...pull.errors.map((e) => e.path), ...pull.held]);
  recordApplied(base, pull.ops, pullFailed);
  const keepOld = [
    ...pull.errors.map((e) => e.path),
    ...push.errors.map((e) => e.path),
    ...pull.held,
    ...push.held,
    ...plan.conflicts.filter((c) => c.resolution === 'unresolved').map((c) => c.path),
  ];
  for (const p of keepOld) {
    for (const key of [...base.keys()]) if (key === p || isUnder(key, p)) base.delete(key);
    for (const [key, entry] of round.base) if (key === p || isUnder(key, p)) base.set(key, entry);
  }
  const raced = [...pull.errors, ...push.errors].some((e) => e.code === 'changed');
  return { push, pull, conflicts: plan.conflicts, base, raced };
}

/** Holds deletes under deleteProtection, guards each op with the entry it was planned against, applies. */
async function applySide(
  planned: PlannedOp[],
  target: readonly IndexEntry[],
  round: TwoWayRound,
  apply: (ops: SyncOp[]) => Promise<BatchResult>,
  open: (source: string) => NodeJS.ReadableStream,
  readWhole?: (source: string, size: number) => { read?: () => Promise<Buffer> },
): Promise<SideResult> {
  let ops = planned;
  let held: string[] = [];
  if (round.deleteProtection && !round.allowDeletes && holdsDeletes(planned, target)) {
    const deletes = new Set(planned.flatMap((op) => (op.op === 'delete' ? [op.path] : [])));
    held = [...deletes].filter((p) => !ancestorsOf(p).some((dir) => deletes.has(dir))).sort();
    ops = planned.filter((op) => op.op !== 'delete');
  }
  if (ops.length === 0) return { ops, held, applied: 0, bytes: 0, errors: [] };
  const result = await apply(guarded(ops, byPath(target), open, readWhole));
  return { ...result, ops, held };
}

/** SyncOps with their IfUnchanged guards: after a delete in the same batch, a path is expected absent. */
export function guarded(
  ops: readonly PlannedOp[],
  target: ReadonlyMap<string, IndexEntry>,
  open: (source: string) => NodeJS.ReadableStream,
  readWhole?: (source: string, size: number) => { read?: () => Promise<Buffer> },
): SyncOp[] {
  const gone = new Set<string>();
  const expect = (p: string): IfUnchanged => {
    if (gone.has(p) || ancestorsOf(p).some((dir) => gone.has(dir))) return null;
    const entry = target.get(p);
    return entry ? { kind: entry.kind, size: entry.size, mtimeMs: entry.mtimeMs } : null;
  };
  return ops.map((op): SyncOp => {
    if (op.op === 'delete') {
      const ifUnchanged = expect(op.path);
      gone.add(op.path);
      return ifUnchanged ? { ...op, ifUnchanged } : op;
    }
    if (op.op !== 'write') return op;
    const source = op.source ?? op.path;
    return { op: 'write', path: op.path, mode: op.mode, mtimeMs: op.mtimeMs, size: op.size, ifUnchanged: expect(op.path), open: () => open(source), ...(readWhole ? readWhole(source, op.size) : {}) };
  });
}

/** A stream now for content the agent sends once asked. */
function readFrom(link: AgentLink, source: string): NodeJS.ReadableStream {
  const out = new PassThrough();
  link.read(source).then(
    (stream) => {
      stream.on('error', (error) => out.destroy(error));
      stream.pipe(out);
    },
    (error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return out;
}
