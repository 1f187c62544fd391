import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChokidarFileWatcher, DirectoryWatcher, checkWatchLimit, describeWatchError, inotifyLimits, type BurstOptions } from '../../adapters/watch';
import type { FileWatcher, WatchEvent } from '../../server/ports';

type MakeWatcher = (burst?: BurstOptions) => FileWatcher;

/**
 * adapters/watch on a real temporary tree, both implementations (DirectoryWatcher on fs.watch, which the daemon
 * uses, and chokidar 6 with the options the sync engine used before): events in
 * batches with relative `/` paths, ignored directories never scanned, bursts fully reported, and the
 * latency of one save.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(name: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(base, `nhd-watch-${name}-`)));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ignoreNodeModules = (relativePath: string, isDirectory: boolean) =>
  isDirectory && relativePath.split('/').includes('node_modules');

interface Recorder {
  events: WatchEvent[];
  batches: number;
  overflows: string[];
  /** Resolves when an event matching `predicate` has arrived (at most `timeoutMs` later). */
  waitFor(predicate: (event: WatchEvent) => boolean, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

async function watchTree(make: MakeWatcher, root: string, ignored = ignoreNodeModules, burst?: BurstOptions): Promise<Recorder> {
  const waiters: { predicate: (e: WatchEvent) => boolean; resolve: (at: number) => void }[] = [];
  const recorder = {
    events: [] as WatchEvent[],
    batches: 0,
    overflows: [] as string[],
    waitFor(predicate: (event: WatchEvent) => boolean, timeoutMs = 5_000) {
      if (recorder.events.some(predicate)) return Promise.resolve(performance.now());
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no such event arrived')), timeoutMs);
        waiters.push({ predicate, resolve: (at) => { clearTimeout(timer); resolve(at); } });
      });
    },
    close: async () => {},
  };
  const watching = await make(burst).watch(
    root,
    { ignored },
    (batch) => {
      const at = performance.now();
      recorder.batches++;
      recorder.events.push(...batch);
      for (const waiter of waiters.splice(0)) {
        if (batch.some(waiter.predicate)) waiter.resolve(at);
        else waiters.push(waiter);
      }
    },
    (reason) => recorder.overflows.push(reason),
  );
  recorder.close = () => watching.close();
  cleanups.push(() => watching.close());
  return recorder;
}

/** inotify watches this process holds now, from /proc/self/fdinfo (nhd's watchers are Linux-only: inotify). */
function inotifyWatchCount(): number {
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') continue;
      count += fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((line) => line.startsWith('inotify wd:')).length;
    } catch {
      // The fd closed while we looked.
    }
  }
  return count;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
const is = (kind: WatchEvent['kind'], p: string) => (e: WatchEvent) => e.kind === kind && e.path === p;

/**
 * The positive control of a "nothing arrived" check: after the quiet period, a file written in the
 * watched tree must arrive. It proves the watcher was live; whatever it would have reported for
 * what came before has arrived by then too (events are delivered in order).
 */
async function control(w: Recorder, root: string, name = 'control.txt'): Promise<void> {
  fs.writeFileSync(path.join(root, name), 'control');
  await w.waitFor(is('add', name));
}

const implementations: [string, MakeWatcher][] = [
  ['DirectoryWatcher', (burst) => new DirectoryWatcher(burst)],
  ['ChokidarFileWatcher', (burst) => new ChokidarFileWatcher(burst)],
];

describe.each(implementations)('%s', (_name, make) => {
  it('reports add, change, unlink, addDir and unlinkDir with relative / paths', async () => {
    const root = tempDir('kinds');
    const w = await watchTree(make, root);
    fs.mkdirSync(path.join(root, 'src/lib'), { recursive: true });
    await w.waitFor(is('addDir', 'src/lib'));
    fs.writeFileSync(path.join(root, 'src/lib/a.ts'), 'one');
    await w.waitFor(is('add', 'src/lib/a.ts'));
    await sleep(20);
    fs.appendFileSync(path.join(root, 'src/lib/a.ts'), 'two');
    await w.waitFor(is('change', 'src/lib/a.ts'));
    fs.unlinkSync(path.join(root, 'src/lib/a.ts'));
    await w.waitFor(is('unlink', 'src/lib/a.ts'));
    fs.rmSync(path.join(root, 'src'), { recursive: true });
    await w.waitFor(is('unlinkDir', 'src/lib'));
    await w.waitFor(is('unlinkDir', 'src'));
    expect(w.events.filter((e) => e.kind === 'addDir').map((e) => e.path)).toEqual(expect.arrayContaining(['src', 'src/lib']));
    for (const event of w.events) expect(event.path).not.toMatch(/^\/|\\|^\.\.?\//);
    expect(w.overflows).toEqual([]);
  });

  it('never reports anything under an ignored directory, existing or created later', async () => {
    const root = tempDir('ignored');
    fs.mkdirSync(path.join(root, 'node_modules/pkg'), { recursive: true });
    const w = await watchTree(make, root);
    fs.writeFileSync(path.join(root, 'node_modules/pkg/index.js'), 'x');
    fs.mkdirSync(path.join(root, 'app/node_modules/deep'), { recursive: true });
    fs.writeFileSync(path.join(root, 'app/node_modules/deep/file.js'), 'x');
    fs.writeFileSync(path.join(root, 'app/main.js'), 'x');
    await w.waitFor(is('add', 'app/main.js'));
    await sleep(100);
    await control(w, root);
    expect(w.events.filter((e) => e.path.includes('node_modules'))).toEqual([]);
  });

  it('reports every path of a burst of 2,000 file writes, in batches', async () => {
    const root = tempDir('burst');
    for (let d = 0; d < 20; d++) fs.mkdirSync(path.join(root, `d${d}`));
    // A wide window, so a slow machine still sees one burst.
    const w = await watchTree(make, root, ignoreNodeModules, { events: 500, windowMs: 5_000 });
    const expected = new Set<string>();
    const started = performance.now();
    for (let i = 0; i < 2_000; i++) {
      const relative = `d${i % 20}/f${i}.txt`;
      fs.writeFileSync(path.join(root, relative), `content ${i}`);
      expected.add(relative);
    }
    const deadline = Date.now() + 20_000;
    const seen = () => new Set(w.events.filter((e) => e.kind === 'add' || e.kind === 'change').map((e) => e.path));
    while (Date.now() < deadline && [...expected].some((p) => !seen().has(p))) await sleep(20);
    const elapsed = performance.now() - started;
    const missing = [...expected].filter((p) => !seen().has(p));
    console.log(`burst: ${expected.size - missing.length}/${expected.size} paths in ${elapsed.toFixed(0)} ms, ${w.batches} batches`);
    expect(missing).toEqual([]);
    // Reported once, so the caller re-checks the tree: past the kernel's queue events would be lost silently.
    expect(w.overflows).toHaveLength(1);
    expect(w.overflows[0]).toMatch(/burst/i);
  });

  it('reports a burst once, however long it lasts, and a later burst again', async () => {
    const root = tempDir('bursts');
    const w = await watchTree(make, root, ignoreNodeModules, { events: 20, windowMs: 200 });
    for (let i = 0; i < 60; i++) fs.writeFileSync(path.join(root, `a${i}`), 'x');
    await w.waitFor(is('add', 'a59'));
    expect(w.overflows).toHaveLength(1);
    await sleep(400);
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(root, `b${i}`), 'x');
    await w.waitFor(is('add', 'b9'));
    expect(w.overflows).toHaveLength(1);
    await sleep(400);
    for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(root, `c${i}`), 'x');
    await w.waitFor(is('add', 'c29'));
    expect(w.overflows).toHaveLength(2);
  });

  it('gets ready quickly on 10,000 files in 1,000 directories, ignoring a 20,000-file node_modules', async () => {
    const root = tempDir('ready');
    for (let d = 0; d < 1_000; d++) {
      const dir = path.join(root, `src/d${d}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(dir, `f${i}.ts`), 'x');
    }
    for (let d = 0; d < 1_000; d++) {
      const dir = path.join(root, `node_modules/p${d}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, `i${i}.js`), 'x');
    }
    const watchesBefore = inotifyWatchCount();
    const started = performance.now();
    const w = await watchTree(make, root);
    const ready = performance.now() - started;
    const watches = inotifyWatchCount() - watchesBefore;
    fs.writeFileSync(path.join(root, 'src/d500/f0.ts'), 'changed');
    fs.writeFileSync(path.join(root, 'node_modules/p500/i0.js'), 'changed');
    await w.waitFor(is('change', 'src/d500/f0.ts'));
    await sleep(100);
    await control(w, root);
    console.log(`ready on 10,000 files / 1,001 directories (+20,000 ignored): ${ready.toFixed(0)} ms, ${watches} inotify watches`);
    // Directories only (root, src, src/d*), nothing for files or the ignored tree; a little slack for parents.
    // Both implementations sit on inotify here; at least one watch per directory, or events would be missed.
    expect(watches).toBeGreaterThanOrEqual(1_002);
    expect(watches).toBeLessThanOrEqual(1_010);
    expect(w.events.filter((e) => e.path.startsWith('node_modules'))).toEqual([]);
  });

  // chokidar throttles `change` per file for 50 ms: a save within 50 ms of the previous one to the same file
  // arrives at the end of that window. Saves here are 100 ms apart, as a person's are.
  // How quickly is bench/sync.bench.ts's question (save → live, with an anchor); here: every save arrives.
  it('delivers each of 50 saves, one after the other', async () => {
    const root = tempDir('latency');
    fs.writeFileSync(path.join(root, 'file.txt'), 'start');
    const w = await watchTree(make, root);
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      const before = w.events.length;
      const written = performance.now();
      fs.writeFileSync(path.join(root, 'file.txt'), `save ${i}`);
      const arrived = await w.waitFor((e) => w.events.indexOf(e) >= before && e.path === 'file.txt');
      latencies.push(arrived - written);
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[25]!;
    const p95 = latencies[Math.floor(latencies.length * 0.95)]!;
    console.log(`single-save latency: median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${latencies.at(-1)!.toFixed(2)} ms`);
    expect(latencies).toHaveLength(50);
  });

  it('reports a symlink as a file and never looks inside what it points to', async () => {
    const root = tempDir('symlink');
    const outside = tempDir('outside');
    const w = await watchTree(make, root);
    fs.symlinkSync(outside, path.join(root, 'link'));
    await w.waitFor(is('add', 'link'));
    fs.writeFileSync(path.join(outside, 'inside.txt'), 'x');
    await sleep(100);
    await control(w, root);
    expect(w.events.filter((e) => e.path.startsWith('link'))).toEqual([{ kind: 'add', path: 'link' }]);
  });

  it('refuses a root that is not a directory', async () => {
    await expect(new ChokidarFileWatcher().watch(path.join(tempDir('missing'), 'nope'), { ignored: () => false }, () => {}, () => {})).rejects.toThrow(/not a directory/);
  });

  it('reports a listener that throws instead of crashing, and keeps watching', async () => {
    const root = tempDir('throws');
    const overflows: string[] = [];
    const seen: string[] = [];
    const watching = await make().watch(root, { ignored: () => false }, (batch) => {
      seen.push(...batch.map((e) => e.path));
      if (batch.some((e) => e.path === 'bad')) throw new Error('listener failed');
    }, (reason) => overflows.push(reason));
    cleanups.push(() => watching.close());
    fs.writeFileSync(path.join(root, 'bad'), 'x');
    await until(() => seen.includes('bad'));
    fs.writeFileSync(path.join(root, 'good'), 'x');
    await until(() => seen.includes('good'));
    expect(seen).toEqual(['bad', 'good']);
    expect(overflows).toEqual([expect.stringContaining('listener failed')]);
  });

  it('stops reporting once closed', async () => {
    const root = tempDir('close');
    const w = await watchTree(make, root);
    fs.writeFileSync(path.join(root, 'before.txt'), 'x');
    await w.waitFor(is('add', 'before.txt'));
    // A second watcher on the same tree stays open: it must see what the closed one must not.
    const open = await watchTree(make, root);
    await w.close();
    const count = w.events.length;
    fs.writeFileSync(path.join(root, 'after.txt'), 'x');
    fs.mkdirSync(path.join(root, 'afterDir'));
    await open.waitFor(is('addDir', 'afterDir'));
    await open.waitFor(is('add', 'after.txt'));
    await sleep(150);
    await control(open, root);
    expect(w.events.length).toBe(count);
  });
});

describe('DirectoryWatcher only', () => {
  // chokidar 6 reports no event at all for these (a file created after it got ready): a new script made
  // executable would never sync.
  it('reports a chmod of a file created after it got ready', async () => {
    const root = tempDir('chmod');
    const w = await watchTree((burst) => new DirectoryWatcher(burst), root);
    fs.mkdirSync(path.join(root, 'bin'));
    fs.writeFileSync(path.join(root, 'bin/run.sh'), '#!/bin/sh\n');
    await w.waitFor(is('add', 'bin/run.sh'));
    fs.readFileSync(path.join(root, 'bin/run.sh'));
    const before = w.events.length;
    fs.chmodSync(path.join(root, 'bin/run.sh'), 0o755);
    await w.waitFor((e) => w.events.indexOf(e) >= before && e.path === 'bin/run.sh');
  });

  it('reports the contents of a directory moved in, and the removal of one moved out', async () => {
    const root = tempDir('moves');
    const outside = tempDir('moves-outside');
    fs.mkdirSync(path.join(outside, 'pkg/lib'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'pkg/lib/a.js'), 'a');
    const w = await watchTree((burst) => new DirectoryWatcher(burst), root);
    fs.renameSync(path.join(outside, 'pkg'), path.join(root, 'pkg'));
    await w.waitFor(is('add', 'pkg/lib/a.js'));
    expect(w.events.filter((e) => e.kind === 'addDir').map((e) => e.path)).toEqual(['pkg', 'pkg/lib']);
    fs.renameSync(path.join(root, 'pkg'), path.join(outside, 'back'));
    await w.waitFor(is('unlinkDir', 'pkg'));
    // Its old watches are gone: a write there now is not reported under the old path.
    const count = w.events.length;
    fs.writeFileSync(path.join(outside, 'back/lib/b.js'), 'b');
    await sleep(100);
    await control(w, root);
    expect(w.events.slice(count)).toEqual([{ kind: 'add', path: 'control.txt' }]);
  });
});

describe('inotify limits', () => {
  it('turns ENOSPC into a message naming fs.inotify.max_user_watches and the sysctl that raises it', () => {
    const error = Object.assign(new Error('ENOSPC: System limit for number of file watchers reached, watch \'/src\''), { code: 'ENOSPC' });
    const message = describeWatchError(error);
    expect(message).toContain('fs.inotify.max_user_watches');
    expect(message).toMatch(/sudo sysctl -w fs\.inotify\.max_user_watches=\d+/);
    expect(describeWatchError(new Error('boom'))).toContain('boom');
  });

  it('reads the limits from /proc on Linux', () => {
    const limits = inotifyLimits();
    if (process.platform !== 'linux') return expect(limits).toBeUndefined();
    expect(limits!.maxUserWatches).toBeGreaterThan(0);
    expect(limits!.maxUserInstances).toBeGreaterThan(0);
  });

  it('says how to raise fs.inotify.max_user_watches when a tree needs more than half of it', () => {
    const limits = { maxUserWatches: 8_192, maxUserInstances: 128 };
    expect(checkWatchLimit(1_000, limits)).toBeUndefined();
    const message = checkWatchLimit(10_000, limits)!;
    expect(message).toContain('fs.inotify.max_user_watches');
    expect(message).toContain('sudo sysctl -w fs.inotify.max_user_watches=');
    expect(message).toContain('10000');
  });
});
