import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalAgent } from '../adapters/agent';
import { median, percentile, record, round } from './support';
import { benchSession, onCleanup, prng, runCleanups, sleep, tempDir, textFrom } from './syncSupport';
import { startSyncthingPair, syncthingVersion } from './syncthing';

/**
 * The anchor for save-to-remote latency: Syncthing as Nocalhost runs it (bench/syncthing.ts), and
 * nhd's local transport (SyncSession + DirectoryWatcher + the agent as a local process), on the
 * same edits between two local folders, interleaved edit by edit so that a noisy neighbour hits both
 * alike. Latency = write → the file has the new content on the other side (fs.watch on the target
 * directory, with a 20 ms poll as a safety net), the same detector for both.
 * Knob: NHD_BENCH_EDITS (default 100).
 */
const EDITS = Math.max(1, Number(process.env['NHD_BENCH_EDITS'] ?? 100));
const WARMUP = 3;
const FILES = 20;

afterAll(runCleanups, 60_000);

/** Resolves with performance.now() when `file` holds `content`. */
function whenContent(file: string, content: string, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const expected = Buffer.from(content);
    let done = false;
    const check = () => {
      if (done) return;
      let now: Buffer | undefined;
      try {
        now = fs.readFileSync(file);
      } catch {
        return; // Not there yet, or being renamed into place.
      }
      if (!now.equals(expected)) return;
      const at = performance.now();
      finish();
      resolve(at);
    };
    const watcher = fs.watch(path.dirname(file), check);
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${file} did not get the new content within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = () => {
      done = true;
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
    };
    check();
  });
}

function seedProject(dir: string, bodies: string[]): void {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  bodies.forEach((body, i) => fs.writeFileSync(path.join(dir, 'src', `m${i}.js`), body));
}

describe('save-to-remote latency against Syncthing', () => {
  it(`${EDITS} single-file edits through Syncthing (Nocalhost's settings) and through nhd's local transport, interleaved`, async () => {
    const version = syncthingVersion();
    expect(version, 'syncthing is not installed: run scripts/install-deps.sh (Debian package syncthing)').toBeDefined();
    const rng = prng(11);
    const bodies = Array.from({ length: FILES }, () => textFrom(rng, 500 + Math.floor(rng() * 3000)).toString());

    const stSource = tempDir('st-src');
    const stTarget = tempDir('st-dst');
    seedProject(stSource, bodies);
    await startSyncthingPair(stSource, stTarget);
    for (let i = 0; i < FILES; i++) await whenContent(path.join(stTarget, 'src', `m${i}.js`), bodies[i]!);

    const nhdSource = tempDir('nhd-src');
    const nhdTarget = tempDir('nhd-dst');
    seedProject(nhdSource, bodies);
    const agent = await startLocalAgent(nhdTarget, { onLog: (text) => process.stderr.write(text) });
    onCleanup('local agent', () => agent.link.close());
    const s = benchSession(nhdSource, agent.link);
    await s.session.start();

    const syncthing: number[] = [];
    const nhd: number[] = [];
    const nhdBatch: number[] = [];
    for (let i = 0; i < WARMUP + EDITS; i++) {
      const rel = path.join('src', `m${i % FILES}.js`);
      const content = `// edit ${i}\n${bodies[i % FILES]}`;

      let t0 = performance.now();
      fs.writeFileSync(path.join(stSource, rel), content);
      const stAt = await whenContent(path.join(stTarget, rel), content);
      if (i >= WARMUP) syncthing.push(round(stAt - t0));

      const seen = s.log.length;
      t0 = performance.now();
      fs.writeFileSync(path.join(nhdSource, rel), content);
      const nhdAt = await whenContent(path.join(nhdTarget, rel), content);
      await s.session.idle();
      if (i >= WARMUP) {
        nhd.push(round(nhdAt - t0));
        // The content can be seen before the agent's answer reaches the session: onBatch of the first batch after the write.
        const applied = s.log[seen];
        if (applied !== undefined) nhdBatch.push(round(applied.at - t0));
      }
      await sleep(20);
    }
    await s.stop();

    record({
      name: 'sync: save → other side, local (nhd vs Syncthing)',
      measures: 'writeFileSync of one ~2 KB file in a local folder → the same content readable in another local folder, through nhd\'s local transport (SyncSession + chokidar + agent process)',
      unit: 'ms',
      samples: nhd,
      percentiles: true,
      baseline: {
        name: `Syncthing (${version?.split(' ')[1] ?? 'syncthing'}), Nocalhost's settings`,
        measures: 'the same edits through two Syncthing instances on 127.0.0.1, send-only → receive-only, fsWatcherDelayS=1, rescanIntervalS=300',
        samples: syncthing,
      },
      figures: {
        ratioP95: round(percentile(nhd, 95) / percentile(syncthing, 95), 3),
        nhdOnBatchP50Ms: nhdBatch.length > 0 ? round(median(nhdBatch)) : NaN,
      },
      targets: [{ figure: 'ratio', atMost: 1, note: 'nhd is at least as fast as the Syncthing anchor (median)' }],
      notes: [
        `${WARMUP} warm-up edits are not counted; edits alternate Syncthing, nhd, each waiting for the previous to arrive.`,
        'Syncthing waits fsWatcherDelayS (1 s) to aggregate watcher events before it scans: that delay is Nocalhost\'s setting, and dominates its figure.',
        'ratio = nhd median / Syncthing median; ratioP95 likewise for p95.',
        'nhdOnBatchP50Ms: write → onBatch of the first batch after it (the file can be visible slightly before the agent\'s answer arrives); ~5 ms of nhd\'s figures is SyncSession\'s coalesce window.',
      ],
    });
  });
});
