import * as fs from 'node:fs';

/**
 * Benchmarks run as vitest files in the `bench` project (so they share the e2e harness and the
 * cluster's globalSetup); each records its result here, and scripts/bench.mjs prints them all as
 * JSON. Results are medians over repeated runs with the samples kept, and every comparison is
 * measured in the same run as what it is compared with. A result with targets says for each one
 * which figure it is about, the figure measured, and whether it was met; `met` is false as soon as
 * one target is missed, so a miss is visible in the JSON without reading the numbers.
 */
export type Unit = 'ms' | 'MB' | 'MB/s' | 'CPU ms';

/** A bound on one figure of a result: `median`, `p50`, `p95`, `ratio`, or a key of `figures`. */
export interface Target {
  figure: string;
  atMost?: number;
  atLeast?: number;
  /** What the bound stands for, in words (e.g. "≥ 80% of raw tar over exec"). */
  note?: string;
}

export interface TargetResult extends Target {
  actual: number | null;
  met: boolean;
}

export interface BaselineResult {
  name: string;
  measures: string;
  samples: number[];
  median: number;
  p50?: number;
  p95?: number;
}

export interface BenchResult {
  name: string;
  /** What one sample measures, in words. */
  measures: string;
  unit: Unit;
  samples: number[];
  median: number;
  p50?: number;
  p95?: number;
  /** The anchor measured in the same run, when there is one. */
  baseline?: BaselineResult;
  /** median / baseline median. */
  ratio?: number;
  /** Further figures derived in the same run (throughput, ratios of other figures, peaks), named with their unit. */
  figures?: Record<string, number>;
  targets?: TargetResult[];
  /** Every target met (absent when there are none). */
  met?: boolean;
  /** Anything a reader needs to interpret the figures (what is included, what differs from the brief). */
  notes?: string[];
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** What a benchmark reports; `record` adds the medians, percentiles, the ratio and the verdicts. */
export interface BenchInput {
  name: string;
  measures: string;
  unit: Unit;
  samples: number[];
  /** Add p50 and p95 of the samples (and of the baseline's). */
  percentiles?: boolean;
  p95?: number;
  baseline?: { name: string; measures: string; samples: number[] };
  figures?: Record<string, number>;
  targets?: Target[];
  notes?: string[];
}

export function record(result: BenchInput): BenchResult {
  const { baseline, percentiles, targets, ...rest } = result;
  if (result.samples.length === 0) throw new Error(`${result.name}: no samples`);
  const full: BenchResult = { ...rest, median: round(median(result.samples)) };
  if (percentiles) {
    full.p50 = round(percentile(result.samples, 50));
    full.p95 = round(percentile(result.samples, 95));
  }
  if (baseline) {
    full.baseline = { ...baseline, median: round(median(baseline.samples)) };
    if (percentiles) {
      full.baseline.p50 = round(percentile(baseline.samples, 50));
      full.baseline.p95 = round(percentile(baseline.samples, 95));
    }
    full.ratio = round(full.median / full.baseline.median, 3);
  }
  if (targets && targets.length > 0) {
    const figureOf = (name: string): number | undefined => {
      if (name === 'median' || name === 'p50' || name === 'p95' || name === 'ratio') return full[name];
      return full.figures?.[name];
    };
    full.targets = targets.map((target) => {
      const actual = figureOf(target.figure);
      const met =
        actual !== undefined &&
        Number.isFinite(actual) &&
        (target.atMost === undefined || actual <= target.atMost) &&
        (target.atLeast === undefined || actual >= target.atLeast);
      return { ...target, actual: actual ?? null, met };
    });
    full.met = full.targets.every((t) => t.met);
  }
  const out = process.env['NHD_BENCH_OUT'];
  if (out) fs.appendFileSync(out, JSON.stringify(full) + '\n');
  const pct = full.p95 !== undefined ? ` (p50 ${full.p50 ?? '-'}, p95 ${full.p95})` : '';
  const base = full.baseline ? ` (baseline ${full.baseline.name}: ${full.baseline.median} ${full.unit}, ratio ${full.ratio})` : '';
  const verdict = full.targets ? ` targets ${full.met ? 'met' : 'MISSED'}: ${full.targets.map(describeTarget).join('; ')}` : '';
  process.stderr.write(`[bench] ${full.name}: median ${full.median} ${full.unit}${pct}${base}${verdict}\n`);
  return full;
}

export function describeTarget(t: TargetResult): string {
  const bound = [t.atMost !== undefined ? `≤ ${t.atMost}` : '', t.atLeast !== undefined ? `≥ ${t.atLeast}` : ''].filter(Boolean).join(' and ');
  return `${t.figure} ${t.actual} (${bound}) ${t.met ? 'ok' : 'missed'}`;
}

export async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return round(performance.now() - started);
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
