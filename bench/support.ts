import * as fs from 'node:fs';

/**
 * Benchmarks run as vitest files in the `bench` project (so they share the e2e harness and the
 * cluster's globalSetup); each records its result here, and scripts/bench.mjs prints them all as
 * JSON. Results are medians over repeated runs with the samples kept, and every comparison is
 * measured in the same run as what it is compared with.
 */
export interface BenchResult {
  name: string;
  /** What one sample measures, in words. */
  measures: string;
  unit: 'ms';
  samples: number[];
  median: number;
  p95?: number;
  /** The anchor measured in the same run, when there is one. */
  baseline?: { name: string; measures: string; samples: number[]; median: number };
  /** median / baseline median. */
  ratio?: number;
  /** Set when the benchmark has a target. */
  target?: { median: number };
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** What a benchmark reports; `record` adds the medians and the ratio. */
export interface BenchInput {
  name: string;
  measures: string;
  unit: 'ms';
  samples: number[];
  p95?: number;
  baseline?: { name: string; measures: string; samples: number[] };
  target?: { median: number };
}

export function record(result: BenchInput): BenchResult {
  const { baseline, ...rest } = result;
  const full: BenchResult = { ...rest, median: round(median(result.samples)) };
  if (baseline) {
    full.baseline = { ...baseline, median: round(median(baseline.samples)) };
    full.ratio = Math.round((full.median / full.baseline.median) * 100) / 100;
  }
  const out = process.env['NHD_BENCH_OUT'];
  if (out) fs.appendFileSync(out, JSON.stringify(full) + '\n');
  process.stderr.write(`[bench] ${full.name}: median ${full.median} ms${full.baseline ? ` (baseline ${full.baseline.name}: ${full.baseline.median} ms, ratio ${full.ratio})` : ''}\n`);
  return full;
}

export async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return round(performance.now() - started);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
