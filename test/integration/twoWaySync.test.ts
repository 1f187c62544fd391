import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalAgent } from '../../adapters/agent';
import { DirectoryWatcher } from '../../adapters/watch';
import { nullLogger } from '../../server/ports';
import { SyncSession, type SyncBatchReport } from '../../server/sync/syncSession';

/**
 * sendReceive end to end without a cluster: chokidar on the local tree, the built agent (dist/agent.js) as the
 * "remote" on another tree, and a second agent on the local tree that applies what comes back.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const BASE = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

function tempDir(name: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(BASE, `nhd-2way-${name}-`)));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      if (name.startsWith('.nhd-tmp-')) continue;
      const child = rel ? `${rel}/${name}` : name;
      const stat = fs.lstatSync(path.join(root, child));
      if (stat.isDirectory()) {
        out[child] = 'dir';
        walk(child);
      } else out[child] = createHash('sha256').update(fs.readFileSync(path.join(root, child))).digest('hex').slice(0, 12);
    }
  };
  walk('');
  return out;
}

async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (check()) return;
    } catch {
      // A tree read while an agent renames a temp file into place.
    }
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function start(setup: (local: string, remote: string) => void) {
  const local = tempDir('local');
  const remote = tempDir('remote');
  setup(local, remote);
  const remoteAgent = await startLocalAgent(remote, { onLog: (text) => process.stderr.write(text) });
  const localAgent = await startLocalAgent(local, { onLog: (text) => process.stderr.write(text) });
  cleanups.push(() => {
    remoteAgent.link.close();
    localAgent.link.close();
  });
  const reports: SyncBatchReport[] = [];
  const session = new SyncSession({
    localDir: local,
    link: remoteAgent.link,
    localLink: localAgent.link,
    watcher: new DirectoryWatcher(),
    settings: { type: 'sendReceive', mode: 'pattern', filePattern: ['./'], ignoreFilePattern: [], deleteProtection: true },
    log: nullLogger,
    onBatch: (report) => reports.push(report),
  });
  cleanups.push(() => session.stop());
  await session.start();
  return { local, remote, session, reports, remoteLink: remoteAgent.link };
}

describe('SyncSession (sendReceive) over local agents', () => {
  it('merges both trees at start, then carries edits, adds and deletes both ways', async () => {
    const s = await start((local, remote) => {
      fs.mkdirSync(path.join(local, 'src'));
      fs.writeFileSync(path.join(local, 'src/app.py'), 'local app\n');
      fs.mkdirSync(path.join(remote, 'out'));
      fs.writeFileSync(path.join(remote, 'out/report.txt'), 'made in the container\n');
    });
    expect(tree(s.local)).toEqual(tree(s.remote));
    expect(Object.keys(tree(s.local))).toEqual(['out', 'out/report.txt', 'src', 'src/app.py']);
    expect(s.reports.some((r) => r.direction === 'pull' && r.paths.includes('out/report.txt'))).toBe(true);

    fs.writeFileSync(path.join(s.remote, 'out/report.txt'), 'regenerated\n');
    await eventually(() => fs.readFileSync(path.join(s.local, 'out/report.txt'), 'utf8') === 'regenerated\n', 'a remote edit arrives locally');
    fs.writeFileSync(path.join(s.local, 'src/app.py'), 'local edit\n');
    await eventually(() => fs.readFileSync(path.join(s.remote, 'src/app.py'), 'utf8') === 'local edit\n', 'a local edit arrives remotely');
    fs.writeFileSync(path.join(s.remote, 'out/new.log'), 'new\n');
    fs.rmSync(path.join(s.local, 'src/app.py'));
    await eventually(() => fs.existsSync(path.join(s.local, 'out/new.log')) && !fs.existsSync(path.join(s.remote, 'src/app.py')), 'an add there and a delete here');
    fs.rmSync(path.join(s.remote, 'out/new.log'));
    await eventually(() => !fs.existsSync(path.join(s.local, 'out/new.log')), 'a remote delete arrives locally');
    // The positive control: a local change made now is pushed, so any echo of what came back
    // (the local watcher seeing the local agent's writes) has been reported before it.
    fs.writeFileSync(path.join(s.local, 'src/control.txt'), 'control\n');
    await eventually(() => s.reports.some((r) => r.direction === 'push' && r.paths.includes('src/control.txt')), 'a local change after the rest is pushed');
    await s.session.idle();
    expect(tree(s.local)).toEqual(tree(s.remote));
    // What came back is not sent again: every push after the start carried a local change.
    expect(s.reports.filter((r) => r.direction === 'push' && r.kind === 'batch' && r.paths.includes('out/report.txt'))).toEqual([]);
  });

  it('keeps both versions of a file changed on both sides while disconnected, and reports the conflict', async () => {
    const s = await start((local) => fs.writeFileSync(path.join(local, 'notes.md'), 'original\n'));
    s.session.detach();
    fs.writeFileSync(path.join(s.local, 'notes.md'), 'edited locally\n');
    fs.writeFileSync(path.join(s.remote, 'notes.md'), 'edited in the container\n');
    const report = await s.session.attach(s.remoteLink);
    expect(report.conflicts).toEqual([expect.objectContaining({ path: 'notes.md', resolution: 'kept-both' })]);
    const copy = report.conflicts[0]!.copy!;
    expect(copy).toMatch(/^notes\.conflict-\d{8}-\d{6}-remote\.md$/);
    for (const root of [s.local, s.remote]) {
      expect(fs.readFileSync(path.join(root, 'notes.md'), 'utf8')).toBe('edited locally\n');
      expect(fs.readFileSync(path.join(root, copy), 'utf8')).toBe('edited in the container\n');
    }
  });

  it('never overwrites a remote edit that lands between the plan and the write', async () => {
    const s = await start((local) => fs.writeFileSync(path.join(local, 'race.txt'), 'v0\n'));
    // The remote changes first; the local save follows before the remote watcher has reported it.
    fs.writeFileSync(path.join(s.remote, 'race.txt'), 'remote v1, longer\n');
    fs.writeFileSync(path.join(s.local, 'race.txt'), 'local v1\n');
    await eventually(() => fs.readdirSync(s.local).some((n) => n.startsWith('race.conflict-')), 'the conflict copy arrives locally');
    await s.session.idle();
    const copy = fs.readdirSync(s.local).find((n) => n.startsWith('race.conflict-'))!;
    expect(fs.readFileSync(path.join(s.local, copy), 'utf8')).toBe('remote v1, longer\n');
    expect(fs.readFileSync(path.join(s.remote, 'race.txt'), 'utf8')).toBe('local v1\n');
    expect(tree(s.local)).toEqual(tree(s.remote));
  });
});
