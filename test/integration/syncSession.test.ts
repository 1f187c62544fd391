import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalAgent } from '../../adapters/agent';
import { DirectoryWatcher } from '../../adapters/watch';
import { nullLogger } from '../../server/ports';
import { SyncSession, type SyncBatchReport, type SyncSessionOptions } from '../../server/sync/syncSession';

/**
 * server/sync/syncSession end to end without a cluster: a real chokidar watcher on a temporary tree, the built
 * sync agent (dist/agent.js, `npm run build` first) as a local process on another temporary tree.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const BASE = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

function tempDir(name: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(BASE, `nhd-sync-${name}-`)));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every path under root with what identifies it: file content hash and mode, link target, directory mode. */
function treeHash(root: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (skip(child) || name.startsWith('.nhd-tmp-')) continue;
      const abs = path.join(root, child);
      const stat = fs.lstatSync(abs);
      if (stat.isSymbolicLink()) out[child] = `link:${fs.readlinkSync(abs)}`;
      else if (stat.isDirectory()) {
        out[child] = `dir:${(stat.mode & 0o7777).toString(8)}`;
        walk(child);
      } else out[child] = `file:${(stat.mode & 0o7777).toString(8)}:${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
    }
  };
  walk('');
  return out;
}

interface Started {
  local: string;
  remote: string;
  session: SyncSession;
  reports: SyncBatchReport[];
  initial: SyncBatchReport;
  /** Resolves with the first report after now that satisfies `predicate`. */
  nextReport(predicate?: (report: SyncBatchReport) => boolean, timeoutMs?: number): Promise<SyncBatchReport>;
}

async function startSession(
  setup: (local: string, remote: string) => void,
  settings: Partial<SyncSessionOptions['settings']> = {},
  watcher = new DirectoryWatcher(),
): Promise<Started> {
  const local = tempDir('local');
  const remote = tempDir('remote');
  setup(local, remote);
  const agent = await startLocalAgent(remote, { onLog: (text) => process.stderr.write(text) });
  cleanups.push(() => agent.link.close());
  const reports: SyncBatchReport[] = [];
  const waiters: { predicate: (r: SyncBatchReport) => boolean; resolve: (r: SyncBatchReport) => void }[] = [];
  const session = new SyncSession({
    localDir: local,
    link: agent.link,
    watcher,
    settings: { mode: 'pattern', filePattern: ['./'], ignoreFilePattern: [], deleteProtection: true, ...settings },
    log: nullLogger,
    onBatch: (report) => {
      reports.push(report);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(report)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(report);
        }
      }
    },
  });
  cleanups.push(() => session.stop());
  const initial = await session.start();
  return {
    local,
    remote,
    session,
    reports,
    initial,
    nextReport(predicate = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no such sync report arrived')), timeoutMs);
        waiters.push({ predicate, resolve: (r) => { clearTimeout(timer); resolve(r); } });
      });
    },
  };
}

/** Polls until `check` holds (the trees converge through one or more batches). */
async function eventually(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const holds = () => {
    try {
      return check();
    } catch {
      return false; // A tree read while the agent renames a temp file into place.
    }
  };
  while (!holds()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sameTrees = (a: string, b: string) => JSON.stringify(treeHash(a)) === JSON.stringify(treeHash(b));

describe('SyncSession (send) over a local agent and chokidar', () => {
  it('copies a tree initially: files, empty directories, symlinks, exec bits; then edits, adds, deletes, renames and mkdirs arrive', async () => {
    const s = await startSession((local, remote) => {
      fs.mkdirSync(path.join(local, 'src/pkg'), { recursive: true });
      fs.mkdirSync(path.join(local, 'empty'));
      fs.writeFileSync(path.join(local, 'src/main.go'), 'package main\n');
      fs.writeFileSync(path.join(local, 'src/pkg/util.go'), 'package pkg\n');
      fs.writeFileSync(path.join(local, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
      fs.symlinkSync('src/main.go', path.join(local, 'link'));
      fs.writeFileSync(path.join(local, 'same.txt'), 'same');
      // Equal content with another mtime: hashed, not rewritten; stale content of equal size: rewritten.
      fs.writeFileSync(path.join(remote, 'same.txt'), 'same');
      fs.utimesSync(path.join(remote, 'same.txt'), new Date(), new Date(Date.now() - 100_000));
      fs.writeFileSync(path.join(remote, 'run.sh'), '#!/bin/sh\necho ho\n');
      fs.utimesSync(path.join(remote, 'run.sh'), new Date(), new Date(Date.now() - 100_000));
      fs.writeFileSync(path.join(remote, 'remote-only.log'), 'built there');
    });
    const { local, remote } = s;
    expect(s.initial.kind).toBe('initial');
    expect(s.initial.errors).toEqual([]);
    expect(fs.statSync(path.join(remote, 'run.sh')).mode & 0o111).toBe(0o111);
    expect(fs.readlinkSync(path.join(remote, 'link'))).toBe('src/main.go');
    expect(fs.statSync(path.join(remote, 'empty')).isDirectory()).toBe(true);
    // send keeps what the far side made itself.
    expect(fs.readFileSync(path.join(remote, 'remote-only.log'), 'utf8')).toBe('built there');
    expect(treeHash(remote, (p) => p === 'remote-only.log')).toEqual(treeHash(local));

    fs.writeFileSync(path.join(local, 'src/main.go'), 'package main\nfunc main() {}\n');
    fs.writeFileSync(path.join(local, 'added.txt'), 'new');
    fs.rmSync(path.join(local, 'src/pkg/util.go'));
    fs.renameSync(path.join(local, 'same.txt'), path.join(local, 'renamed.txt'));
    fs.mkdirSync(path.join(local, 'newdir/inner'), { recursive: true });
    await eventually(() => JSON.stringify(treeHash(remote, (p) => p === 'remote-only.log')) === JSON.stringify(treeHash(local)));
    expect(fs.readFileSync(path.join(remote, 'src/main.go'), 'utf8')).toContain('func main');
    expect(fs.existsSync(path.join(remote, 'src/pkg/util.go'))).toBe(false);
    expect(fs.existsSync(path.join(remote, 'same.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(remote, 'renamed.txt'), 'utf8')).toBe('same');
    expect(fs.statSync(path.join(remote, 'newdir/inner')).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(remote, 'remote-only.log'))).toBe(true);
    expect(s.reports.filter((r) => r.kind === 'batch').length).toBeGreaterThan(0);
    expect(s.reports.flatMap((r) => r.errors)).toEqual([]);

    // A directory removed locally goes, since nhd put it there.
    fs.rmSync(path.join(local, 'newdir'), { recursive: true });
    await eventually(() => !fs.existsSync(path.join(remote, 'newdir')));
  });

  it('converges after a burst of 500 files', async () => {
    const s = await startSession(() => {});
    for (let d = 0; d < 10; d++) {
      fs.mkdirSync(path.join(s.local, `d${d}`));
      for (let f = 0; f < 50; f++) fs.writeFileSync(path.join(s.local, `d${d}/f${f}.txt`), `file ${d}/${f}\n`.repeat(f + 1));
    }
    await eventually(() => sameTrees(s.local, s.remote), 30_000);
    expect(Object.keys(treeHash(s.remote)).length).toBe(510);
    expect(s.reports.flatMap((r) => r.errors)).toEqual([]);
  });

  it('converges after a checkout-like burst touching 5,000 files in one or a few batches', async () => {
    const s = await startSession((local) => {
      for (let d = 0; d < 50; d++) {
        fs.mkdirSync(path.join(local, `pkg${d}`));
        for (let f = 0; f < 60; f++) fs.writeFileSync(path.join(local, `pkg${d}/m${f}.go`), `package pkg${d} // v1 ${f}\n`);
      }
    });
    const before = s.reports.length;
    // A branch switch: 2,500 files change, 500 go away, 2,000 arrive.
    for (let d = 0; d < 50; d++) {
      for (let f = 0; f < 50; f++) fs.writeFileSync(path.join(s.local, `pkg${d}/m${f}.go`), `package pkg${d} // v2 ${f}\n`);
      for (let f = 50; f < 60; f++) fs.rmSync(path.join(s.local, `pkg${d}/m${f}.go`));
    }
    for (let d = 50; d < 70; d++) {
      fs.mkdirSync(path.join(s.local, `pkg${d}`));
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(s.local, `pkg${d}/m${f}.go`), `package pkg${d} // new ${f}\n`);
    }
    await eventually(() => sameTrees(s.local, s.remote), 60_000);
    await s.session.idle();
    const after = s.reports.slice(before);
    console.log(`checkout burst: ${after.length} reports (${after.map((r) => `${r.kind}:${r.files}`).join(', ')})`);
    expect(after.length).toBeLessThanOrEqual(5);
    expect(after.flatMap((r) => r.errors)).toEqual([]);
    expect(after.flatMap((r) => r.held)).toEqual([]);
  });

  it('warns up front when the tree comes close to the inotify watch limit', async () => {
    const limited = new DirectoryWatcher();
    limited.capacityWarning = (directories: number) => (directories > 2 ? `${directories} directories: raise fs.inotify.max_user_watches` : undefined);
    const s = await startSession((local) => {
      fs.mkdirSync(path.join(local, 'a/b'), { recursive: true });
      fs.mkdirSync(path.join(local, 'node_modules/x'), { recursive: true });
    }, { ignoreFilePattern: ['node_modules'] }, limited);
    // The root, a and a/b; the ignored tree is not counted.
    expect(s.session.warnings).toEqual(['3 directories: raise fs.inotify.max_user_watches']);
  });

  it('respects ignore patterns, initially and for later changes', async () => {
    const s = await startSession(
      (local) => {
        fs.mkdirSync(path.join(local, 'node_modules/dep'), { recursive: true });
        fs.writeFileSync(path.join(local, 'node_modules/dep/index.js'), 'x');
        fs.writeFileSync(path.join(local, 'app.js'), 'app');
        fs.writeFileSync(path.join(local, 'debug.log'), 'log');
      },
      { ignoreFilePattern: ['node_modules', '*.log'] },
    );
    expect(fs.existsSync(path.join(s.remote, 'app.js'))).toBe(true);
    expect(fs.existsSync(path.join(s.remote, 'node_modules'))).toBe(false);
    expect(fs.existsSync(path.join(s.remote, 'debug.log'))).toBe(false);

    fs.writeFileSync(path.join(s.local, 'other.log'), 'log');
    fs.writeFileSync(path.join(s.local, 'node_modules/dep/more.js'), 'y');
    fs.writeFileSync(path.join(s.local, 'kept.js'), 'kept');
    await eventually(() => fs.existsSync(path.join(s.remote, 'kept.js')));
    await s.session.idle();
    expect(fs.existsSync(path.join(s.remote, 'other.log'))).toBe(false);
    expect(fs.existsSync(path.join(s.remote, 'node_modules'))).toBe(false);
  });

  it('in gitIgnore mode honours every .gitignore of the tree, and a .gitignore changed during the session', async () => {
    const s = await startSession(
      (local) => {
        fs.mkdirSync(path.join(local, 'src/cache'), { recursive: true });
        fs.writeFileSync(path.join(local, '.gitignore'), '*.log\n');
        fs.writeFileSync(path.join(local, 'src/.gitignore'), 'cache/\n!keep.log\n');
        fs.writeFileSync(path.join(local, 'src/cache/blob'), 'c');
        fs.writeFileSync(path.join(local, 'src/keep.log'), 'kept');
        fs.writeFileSync(path.join(local, 'src/drop.log'), 'dropped');
        fs.writeFileSync(path.join(local, 'app.js'), 'app');
      },
      { mode: 'gitIgnore' },
    );
    expect(fs.readFileSync(path.join(s.remote, 'src/keep.log'), 'utf8')).toBe('kept');
    expect(fs.existsSync(path.join(s.remote, 'src/drop.log'))).toBe(false);
    expect(fs.existsSync(path.join(s.remote, 'src/cache'))).toBe(false);
    expect(fs.existsSync(path.join(s.remote, 'src/.gitignore'))).toBe(true);

    // No longer ignoring cache/: what is in it arrives, and later changes in it too (it is watched now).
    fs.writeFileSync(path.join(s.local, 'src/.gitignore'), '!keep.log\n');
    await eventually(() => fs.existsSync(path.join(s.remote, 'src/cache/blob')));
    fs.writeFileSync(path.join(s.local, 'src/cache/later'), 'l');
    await eventually(() => fs.existsSync(path.join(s.remote, 'src/cache/later')));
    // A new rule leaves new matches out from now on.
    fs.writeFileSync(path.join(s.local, '.gitignore'), '*.log\n*.tmp\n');
    await s.session.idle();
    fs.writeFileSync(path.join(s.local, 'x.tmp'), 't');
    fs.writeFileSync(path.join(s.local, 'y.js'), 'y');
    await eventually(() => fs.existsSync(path.join(s.remote, 'y.js')));
    await s.session.idle();
    expect(fs.existsSync(path.join(s.remote, 'x.tmp'))).toBe(false);
  });

  it('holds an rm -rf of most of the tree with deleteProtection and reports it', async () => {
    const s = await startSession((local) => {
      fs.mkdirSync(path.join(local, 'src'));
      for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(local, `src/f${i}.txt`), `${i}`);
      fs.writeFileSync(path.join(local, 'keep.txt'), 'keep');
    });
    expect(fs.readdirSync(path.join(s.remote, 'src')).length).toBe(40);
    const held = s.nextReport((r) => r.held.length > 0);
    fs.rmSync(path.join(s.local, 'src'), { recursive: true });
    const report = await held;
    expect(report.held).toEqual(['src']);
    await s.session.idle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The positive control: an edit after the quiet period arrives, so the session was live and
    // applying batches all along; the held deletes still are not applied.
    fs.writeFileSync(path.join(s.local, 'keep.txt'), 'kept and edited');
    await eventually(() => fs.readFileSync(path.join(s.remote, 'keep.txt'), 'utf8') === 'kept and edited');
    await s.session.idle();
    expect(fs.readdirSync(path.join(s.remote, 'src')).length).toBe(40);
  });

  // How fast is bench/sync.bench.ts's question (a same-run anchor, medians); here: each edit arrives, as its own batch.
  it('applies 30 single-file edits in a row, each as a batch of its own, without errors', async () => {
    const s = await startSession((local) => fs.writeFileSync(path.join(local, 'edit.txt'), 'v0'));
    const latencies: number[] = [];
    const wallClock: number[] = [];
    for (let i = 1; i <= 30; i++) {
      const next = s.nextReport((r) => r.kind === 'batch' && r.files > 0);
      const before = performance.now();
      fs.writeFileSync(path.join(s.local, 'edit.txt'), `v${i}`);
      const report = await next;
      wallClock.push(performance.now() - before);
      latencies.push(report.ms);
      expect(report.errors).toEqual([]);
      await s.session.idle();
      expect(fs.readFileSync(path.join(s.remote, 'edit.txt'), 'utf8')).toBe(`v${i}`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    process.stdout.write(`sync latency: median event→applied ${median(latencies).toFixed(1)} ms, write→applied ${median(wallClock).toFixed(1)} ms\n`);
    expect(latencies).toHaveLength(30);
  });

  it('re-reads both trees after a watcher overflow (a burst) and converges', async () => {
    const s = await startSession(() => {}, {}, new DirectoryWatcher({ events: 100, windowMs: 1_000 }));
    const resync = s.nextReport((r) => r.kind === 'resync', 20_000);
    for (let d = 0; d < 5; d++) {
      fs.mkdirSync(path.join(s.local, `d${d}`));
      for (let f = 0; f < 60; f++) fs.writeFileSync(path.join(s.local, `d${d}/f${f}.txt`), `${d}/${f}`);
    }
    const report = await resync;
    expect(report.errors).toEqual([]);
    await eventually(() => sameTrees(s.local, s.remote), 30_000);
    expect(Object.keys(treeHash(s.remote)).length).toBe(305);
  });

  it('holds an rm -rf found by a re-read after a burst, and keeps holding it', async () => {
    const s = await startSession(
      (local) => {
        for (let d = 0; d < 4; d++) {
          fs.mkdirSync(path.join(local, `d${d}`));
          for (let f = 0; f < 60; f++) fs.writeFileSync(path.join(local, `d${d}/f${f}.txt`), `${d}/${f}`);
        }
        fs.writeFileSync(path.join(local, 'keep.txt'), 'keep');
      },
      {},
      new DirectoryWatcher({ events: 100, windowMs: 1_000 }),
    );
    const held = s.nextReport((r) => r.kind === 'resync' && r.held.length > 0, 20_000);
    for (let d = 0; d < 4; d++) fs.rmSync(path.join(s.local, `d${d}`), { recursive: true });
    const report = await held;
    expect(report.held).toEqual(['d0', 'd1', 'd2', 'd3']);
    await s.session.idle();
    for (let d = 0; d < 4; d++) expect(fs.readdirSync(path.join(s.remote, `d${d}`)).length).toBe(60);
    // A later edit still syncs; the held deletes stay held.
    fs.writeFileSync(path.join(s.local, 'keep.txt'), 'kept and edited');
    await eventually(() => fs.readFileSync(path.join(s.remote, 'keep.txt'), 'utf8') === 'kept and edited');
    expect(fs.existsSync(path.join(s.remote, 'd0/f0.txt'))).toBe(true);
  });
});
