// `npm run bench [-- --json] [-- FILTER]`: runs the benchmarks in bench/ (the vitest project
// `bench`, on the local cluster) and prints their results: a table, or JSON with --json.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filters = args.filter((a) => a !== '--json');
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-bench-')), 'results.jsonl');
fs.writeFileSync(out, '');
const run = spawnSync('vitest', ['run', '--project', 'bench', ...filters], {
  stdio: ['ignore', 2, 2],
  env: { ...process.env, NHD_BENCH_OUT: out },
});
const results = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
fs.rmSync(path.dirname(out), { recursive: true, force: true });
// A missed target does not fail the run (these are measurements, not tests); it is listed here and in each result's `met`.
const targetsMissed = results.filter((r) => r.met === false).map((r) => r.name);
const report = { machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg() }, date: new Date().toISOString(), targetsMissed, results };
// Also kept in bench/out/ (ignored by git): npm prints its own banner on stdout unless run with -s.
fs.mkdirSync('bench/out', { recursive: true });
fs.writeFileSync('bench/out/latest.json', JSON.stringify(report, null, 2) + '\n');
if (json) {
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} else {
  for (const r of results) {
    const unit = r.unit ?? 'ms';
    const pct = r.p95 !== undefined ? `  p50 ${r.p50 ?? '-'}  p95 ${r.p95}` : '';
    const base = r.baseline ? `   baseline ${r.baseline.name}: ${r.baseline.median} ${unit} (ratio ${r.ratio})` : '';
    const targets = r.targets ? `   targets ${r.met ? 'met' : 'MISSED'}: ${r.targets.map((t) => `${t.figure} ${t.actual}${t.atMost !== undefined ? ` ≤ ${t.atMost}` : ''}${t.atLeast !== undefined ? ` ≥ ${t.atLeast}` : ''}`).join(', ')}` : '';
    process.stdout.write(`${r.name.padEnd(48)} median ${String(r.median).padStart(9)} ${unit}${pct}${base}${targets}\n`);
  }
}
process.exit(run.status ?? 1);
