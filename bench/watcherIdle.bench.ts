import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { median, record, round } from './support';
import { makeWideTree, onCleanup, runCleanups, sleep, tempDir } from './syncSupport';

/**
 * The watcher alone (adapters/watch DirectoryWatcher, the daemon's; chokidar 6 measured beside it for comparison; no SyncSession,
 * no agent) on a 100,000-file tree in 10,000 directories, in a child process of its own: wait until
 * it is ready and settled, then measure its CPU time (getrusage, all threads) and RSS over an idle
 * window. The same-run baseline is the same child doing nothing (an idle Node process).
 * Knobs: NHD_BENCH_WATCH_FILES (100000), NHD_BENCH_WATCH_RUNS (3), NHD_BENCH_IDLE_S (10), NHD_BENCH_SETTLE_S (5).
 */
const FILES = Number(process.env['NHD_BENCH_WATCH_FILES'] ?? 100_000);
const RUNS = Math.max(1, Number(process.env['NHD_BENCH_WATCH_RUNS'] ?? 3));
const IDLE_S = Math.max(10, Number(process.env['NHD_BENCH_IDLE_S'] ?? 10));
const SETTLE_S = Number(process.env['NHD_BENCH_SETTLE_S'] ?? 5);
const MiB = 1024 * 1024;

afterAll(runCleanups, 60_000);

interface Sample {
  type: 'sample';
  cpu: NodeJS.CpuUsage;
  rss: number;
  heapUsed: number;
  events: number;
  overflows: number;
}

interface Run {
  readyMs: number;
  idleCpuMs: number;
  /** The largest RSS seen during the idle window (sampled every second). */
  idleRssMB: number;
  /** VmHWM: the peak RSS of the process's life (the initial scan included). */
  peakRssMB: number;
  inotifyWatches: number;
  events: number;
}

function bundleChild(): string {
  const dir = tempDir('watch-child', os.tmpdir());
  const outfile = path.join(dir, 'child.cjs');
  buildSync({ entryPoints: [path.join(import.meta.dirname, 'watcherIdleChild.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node22', outfile, logLevel: 'error' });
  return outfile;
}

/** inotify watches held by a process (one `inotify wd:` line per watch in its fdinfo). */
function inotifyWatches(pid: number): number {
  let count = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      count += (fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
    } catch {
      // Closed meanwhile.
    }
  }
  return count;
}

function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}

function message<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the watcher child sent no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: any) => {
      if (m?.type !== type) return;
      done();
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`the watcher child exited (${code}) before ${type}`));
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function measure(child: string, mode: 'watcher' | 'chokidar' | 'none', root: string): Promise<Run> {
  const proc = fork(child, [mode, root], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const killed = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  onCleanup(`watcher child ${proc.pid}`, async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await killed;
    }
  });
  try {
    const ready = await message<{ readyMs: number }>(proc, 'ready', 300_000);
    await sleep(SETTLE_S * 1000);
    const sample = async () => {
      proc.send('sample');
      return message<Sample>(proc, 'sample', 10_000);
    };
    const first = await sample();
    let maxRss = first.rss;
    let last = first;
    for (let s = 0; s < IDLE_S; s++) {
      await sleep(1000);
      last = await sample();
      maxRss = Math.max(maxRss, last.rss);
    }
    const cpuMs = (last.cpu.user + last.cpu.system - first.cpu.user - first.cpu.system) / 1000;
    return {
      readyMs: round(ready.readyMs),
      idleCpuMs: round(cpuMs),
      idleRssMB: round(maxRss / MiB),
      peakRssMB: round(peakRss(proc.pid!)),
      inotifyWatches: inotifyWatches(proc.pid!),
      events: last.events,
    };
  } finally {
    proc.kill('SIGKILL');
    await killed;
  }
}

describe('watcher at rest on a large tree', () => {
  it(`DirectoryWatcher (and chokidar) on ${FILES} files: CPU and RSS over ${IDLE_S} s idle, ${RUNS} fresh processes, against an idle node`, async () => {
    const root = tempDir('watch-tree');
    const stats = makeWideTree(root, FILES);
    process.stderr.write(`[bench] generated the watcher's tree: ${JSON.stringify(stats)}\n`);
    const child = bundleChild();
    const watcher: Run[] = [];
    const idle: Run[] = [];
    const chokidar: Run[] = [];
    for (let run = 0; run < RUNS; run++) {
      idle.push(await measure(child, 'none', root));
      watcher.push(await measure(child, 'watcher', root));
      chokidar.push(await measure(child, 'chokidar', root));
      process.stderr.write(`[bench] watcher run ${run + 1}: ${JSON.stringify(watcher.at(-1))}, chokidar: ${JSON.stringify(chokidar.at(-1))}\n`);
    }
    for (const r of watcher) expect(r.events).toBe(0);
    const col = (runs: Run[], key: keyof Run) => runs.map((r) => r[key]);
    const common = {
      readyMsMedian: round(median(col(watcher, 'readyMs'))),
      peakRssMBMedian: round(median(col(watcher, 'peakRssMB'))),
      inotifyWatches: median(col(watcher, 'inotifyWatches')),
      chokidarReadyMsMedian: round(median(col(chokidar, 'readyMs'))),
      chokidarIdleRssMBMedian: round(median(col(chokidar, 'idleRssMB'))),
      chokidarIdleCpuMsMedian: round(median(col(chokidar, 'idleCpuMs'))),
      files: stats.files,
      dirs: stats.dirs,
    };
    const baseline = (key: keyof Run, what: string) => ({ name: 'idle node process', measures: `${what} of the same child process running no watcher`, samples: col(idle, key) });
    record({
      name: 'watcher: idle CPU, 100k files',
      measures: `CPU time (user+system, all threads) of a process running DirectoryWatcher alone on ${stats.files} files / ${stats.dirs} dirs, over ${IDLE_S} s after ready + ${SETTLE_S} s settle`,
      unit: 'CPU ms',
      samples: col(watcher, 'idleCpuMs'),
      baseline: baseline('idleCpuMs', 'CPU time over the same window'),
      figures: { ...common, cpuPercentOfOneCore: round((median(col(watcher, 'idleCpuMs')) / (IDLE_S * 1000)) * 100, 2) },
      targets: [{ figure: 'cpuPercentOfOneCore', atMost: 0.5, note: 'idle CPU ~0 (taken as ≤ 0.5% of one core)' }],
    });
    record({
      name: 'watcher: idle RSS, 100k files',
      measures: `largest RSS during the ${IDLE_S} s idle window of the same process`,
      unit: 'MB',
      samples: col(watcher, 'idleRssMB'),
      baseline: baseline('idleRssMB', 'largest RSS over the same window'),
      figures: common,
      targets: [{ figure: 'median', atMost: 150, note: 'RSS ≤ 150 MB (MB = MiB here)' }],
      notes: ['peakRssMBMedian is VmHWM, the peak over the process\'s life including the initial scan.'],
    });
  });
});
