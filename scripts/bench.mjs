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
const report = { machine: { cpus: os.cpus().length, node: process.version }, date: new Date().toISOString(), results };
// Also kept in bench/out/ (ignored by git): npm prints its own banner on stdout unless run with -s.
fs.mkdirSync('bench/out', { recursive: true });
fs.writeFileSync('bench/out/latest.json', JSON.stringify(report, null, 2) + '\n');
if (json) {
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} else {
  for (const r of results) {
    const base = r.baseline ? `   baseline ${r.baseline.name}: ${r.baseline.median} ms (ratio ${r.ratio})` : '';
    process.stdout.write(`${r.name.padEnd(28)} median ${String(r.median).padStart(8)} ms${r.p95 !== undefined ? `  p95 ${r.p95} ms` : ''}${base}\n`);
  }
}
process.exit(run.status ?? 1);
