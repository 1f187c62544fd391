import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../server/ports';
import { planInitialSync, planTwoWay } from '../server/sync/plan';
import { record, round } from './support';

/**
 * The pure sync planner on the tree size watcher-facts.md measures watchers on: 100,000 files in
 * 10,100 directories. Two figures, each against a same-run anchor that does the least work any
 * planner must (one Map of the remote index by path, one pass over the local index comparing size
 * and mtime):
 *
 * - initial sync: `planInitialSync(local, remote)` where 1 file is missing remotely and 1 in 100
 *   has a newer mtime (so it needs a hash).
 * - two-way sync: `planTwoWay(local, remote, base)` on the same trees.
 *
 * The targets are ours: planning must stay a small multiple of that pass, so that a resync of a
 * large tree is never the slow part. Knob: NHD_BENCH_PLANNER_RUNS (7).
 */
const RUNS = Math.max(1, Number(process.env['NHD_BENCH_PLANNER_RUNS'] ?? 7));
const NOW = Date.parse('2026-01-01T00:00:00Z');

function tree(mtime: (i: number) => number): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (let i = 0; i < 100; i++) entries.push({ path: `d${i}`, kind: 'dir', size: 0, mtimeMs: 0, mode: 0o755 });
  for (let i = 0; i < 10_000; i++) entries.push({ path: `d${Math.floor(i / 100)}/s${i}`, kind: 'dir', size: 0, mtimeMs: 0, mode: 0o755 });
  for (let i = 0; i < 100_000; i++) entries.push({ path: `d${Math.floor(i / 1_000)}/s${Math.floor(i / 10)}/f${i}`, kind: 'file', size: 10, mtimeMs: mtime(i), mode: 0o644 });
  return entries;
}

/** The anchor: what differs, by a Map join on path. */
function mapJoin(local: readonly IndexEntry[], remote: readonly IndexEntry[]): number {
  const byPath = new Map(remote.map((e) => [e.path, e]));
  let differ = 0;
  for (const e of local) {
    const r = byPath.get(e.path);
    if (!r || r.size !== e.size || r.mtimeMs !== e.mtimeMs) differ++;
  }
  return differ;
}

function timed(work: () => void): number {
  const started = performance.now();
  work();
  return round(performance.now() - started);
}

describe('sync planner', () => {
  it('plans 110,100 entries, initial and two-way', () => {
    const local = tree((i) => (i % 100 === 0 ? 2000 : 1000));
    const remote = tree(() => 1000).filter((e) => !e.path.endsWith('/f7'));
    const initial: number[] = [];
    const twoWay: number[] = [];
    const anchor: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      anchor.push(timed(() => expect(mapJoin(local, remote)).toBe(1_001)));
      initial.push(timed(() => expect(planInitialSync(local, remote).needHash).toHaveLength(1_000)));
      twoWay.push(timed(() => expect(planTwoWay(local, remote, remote, { now: NOW }).push).toHaveLength(1_001)));
    }
    const baseline = { name: 'Map join', measures: 'a Map of the remote index by path and one pass over the local one comparing size and mtime', samples: anchor };
    record({ name: 'planner: initial sync of 110,100 entries', measures: 'planInitialSync(local, remote), 1 file missing remotely, 1,000 newer', unit: 'ms', samples: initial, baseline, targets: [{ figure: 'ratio', atMost: 20, note: 'at most 20× the Map join' }] });
    record({ name: 'planner: two-way sync of 110,100 entries', measures: 'planTwoWay(local, remote, base) on the same trees', unit: 'ms', samples: twoWay, baseline, targets: [{ figure: 'ratio', atMost: 20, note: 'at most 20× the Map join' }] });
  });
});
