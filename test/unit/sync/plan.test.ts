import { describe, expect, it } from 'vitest';
import type { IndexEntry, WatchEvent } from '../../../server/ports';
import { conflictCopyName, holdsDeletes, planBatch, planInitialSync, planTwoWay, planWithHashes, type PlannedOp } from '../../../server/sync/plan';
import { makeIgnore, readGitignores, type IgnoreOptions } from '../../../server/sync/ignore';

/** Index literals: a file (size, mtime, mode), a directory, a symlink. */
const f = (path: string, size = 1, mtimeMs = 1000, mode = 0o644, hash?: string): IndexEntry => ({ path, kind: 'file', size, mtimeMs, mode, ...(hash ? { hash } : {}) });
const d = (path: string, mode = 0o755): IndexEntry => ({ path, kind: 'dir', size: 0, mtimeMs: 0, mode });
const l = (path: string, target: string): IndexEntry => ({ path, kind: 'symlink', size: 0, mtimeMs: 0, mode: 0o777, target });

/** Ops as short strings, in order, so expectations read like the plan. */
function show(op: PlannedOp): string {
  switch (op.op) {
    case 'write': return `write ${op.path}${op.source ? ` from ${op.source}` : ''}`;
    case 'mkdir': return `mkdir ${op.path}`;
    case 'symlink': return `symlink ${op.path} -> ${op.target}`;
    case 'delete': return `delete ${op.path}`;
    case 'chmod': return `chmod ${op.path} ${op.mode.toString(8)}`;
    case 'rename': return `rename ${op.from} ${op.to}`;
  }
}

const NOW = Date.UTC(2026, 10, 25, 20, 15, 0);

describe('planInitialSync (send)', () => {
  const check = (
    fixture: { local: IndexEntry[]; remote: IndexEntry[]; base?: IndexEntry[]; mirror?: boolean; ignored?: (p: string, dir: boolean) => boolean },
    expected: string[],
    needHash: string[] = [],
  ) => {
    const plan = planInitialSync(fixture.local, fixture.remote, fixture);
    expect(plan.ops.map(show)).toEqual(expected);
    expect(plan.needHash).toEqual(needHash);
  };

  it('does nothing when both sides are equal', () => check({ local: [d('a'), f('a/x'), l('a/l', 'x')], remote: [d('a'), f('a/x'), l('a/l', 'x')] }, []));

  it('creates missing directories parents first, then writes and symlinks', () =>
    check({ local: [f('a/b/c/x'), d('a/b/c'), d('a'), d('a/b'), f('top'), l('a/link', '../top')], remote: [] },
      ['mkdir a', 'mkdir a/b', 'mkdir a/b/c', 'write top', 'symlink a/link -> ../top', 'write a/b/c/x']));

  it('writes a file whose size differs, and asks for hashes when only the mtime differs', () =>
    check({ local: [f('size', 2), f('mtime', 1, 2000), f('same')], remote: [f('size', 1), f('mtime', 1, 1000), f('same')] }, ['write size'], ['mtime']));

  it('decides with hashes: equal content is left alone, different content is written', () => {
    const local = [f('eq', 1, 2000, 0o644, 'h1'), f('ne', 1, 2000, 0o644, 'h2'), f('nohash', 1, 2000)];
    const remote = [f('eq', 1, 1000, 0o644, 'h1'), f('ne', 1, 1000, 0o644, 'h3'), f('nohash', 1, 1000)];
    expect(planWithHashes(local, remote).map(show)).toEqual(['write ne', 'write nohash']);
  });

  it('changes only the mode when only the mode differs (files and directories)', () =>
    check({ local: [d('bin', 0o700), f('bin/run', 1, 1000, 0o755)], remote: [d('bin', 0o755), f('bin/run', 1, 1000, 0o644)] }, ['chmod bin 700', 'chmod bin/run 755']));

  it('re-points a symlink whose target differs', () => check({ local: [l('link', 'b')], remote: [l('link', 'a')] }, ['symlink link -> b']));

  it('replaces an entry of another kind: delete first, then create', () =>
    check({ local: [f('a'), d('b'), f('b/x')], remote: [d('a'), f('a/old'), f('b')] }, ['delete b', 'delete a', 'mkdir b', 'write a', 'write b/x']));

  it('keeps remote-only paths nhd never synced, and deletes the ones the base lists, children first', () =>
    check({ local: [f('keep')], remote: [f('keep'), d('gone'), f('gone/x'), f('built.o')], base: [f('keep'), d('gone'), f('gone/x')] }, ['delete gone/x', 'delete gone']));

  it('deletes every remote-only path when mirroring, but never a directory holding an ignored path', () =>
    check(
      { local: [], remote: [d('a'), f('a/x'), d('b'), f('b/x.log')], mirror: true, ignored: (p) => p.endsWith('.log') },
      ['delete a/x', 'delete a'],
    ));

  it('neither writes nor deletes ignored paths, or anything inside an ignored directory', () =>
    check(
      { local: [d('node_modules'), f('node_modules/p/i.js'), f('src.ts')], remote: [f('x.log')], mirror: true, ignored: (p, dir) => (dir && p === 'node_modules') || p.endsWith('.log') },
      ['write src.ts'],
    ));
});

describe('planBatch', () => {
  const check = (events: [WatchEvent['kind'], string][], now: IndexEntry[], expected: string[]) => {
    const byPath = new Map(now.map((e) => [e.path, e]));
    expect(planBatch(events.map(([kind, path]) => ({ kind, path })), (p) => byPath.get(p)).map(show)).toEqual(expected);
  };

  it('coalesces a path changed ten times into one write', () =>
    check(Array.from({ length: 10 }, () => ['change', 'a.ts'] as [WatchEvent['kind'], string]), [f('a.ts')], ['write a.ts']));

  it('drops a path added then removed within the batch', () => check([['add', 'tmp'], ['change', 'tmp'], ['unlink', 'tmp']], [], []));

  it('writes what is there now, not what the events said (an atomic save: unlink then add)', () =>
    check([['unlink', 'a.ts'], ['add', 'a.ts']], [f('a.ts', 5)], ['write a.ts']));

  it('deletes a removed directory once, covering its children', () =>
    check([['unlink', 'd/x'], ['unlink', 'd/e/y'], ['unlinkDir', 'd/e'], ['unlinkDir', 'd'], ['unlink', 'other']], [], ['delete other', 'delete d']));

  it('orders mkdirs (parents first), writes, then deletes (children first)', () =>
    check(
      [['unlink', 'old/a'], ['add', 'new/sub/f'], ['addDir', 'new/sub'], ['unlink', 'old'], ['addDir', 'new'], ['add', 'top']],
      [d('new'), d('new/sub'), f('new/sub/f'), f('top')],
      ['mkdir new', 'mkdir new/sub', 'write top', 'write new/sub/f', 'delete old/a', 'delete old'],
    ));

  it('deletes first when a path changed kind', () =>
    check([['unlink', 'p'], ['addDir', 'p'], ['add', 'p/x']], [d('p'), f('p/x')], ['delete p', 'mkdir p', 'write p/x']));

  it('sends symlinks as symlinks', () => check([['add', 'link']], [l('link', 'target')], ['symlink link -> target']));
});

describe('planTwoWay (sendReceive)', () => {
  const check = (
    fixture: { local: IndexEntry[]; remote: IndexEntry[]; base: IndexEntry[] },
    expected: { push?: string[]; pull?: string[]; conflicts?: string[]; needHash?: string[] },
  ) => {
    const plan = planTwoWay(fixture.local, fixture.remote, fixture.base, { now: NOW });
    expect({
      push: plan.push.map(show),
      pull: plan.pull.map(show),
      conflicts: plan.conflicts.map((c) => `${c.path} ${c.resolution}${c.copy ? ` ${c.copy}` : ''}`),
      needHash: plan.needHash,
    }).toEqual({ push: [], pull: [], conflicts: [], needHash: [], ...expected });
  };

  it('does nothing when neither side changed', () => check({ local: [f('a')], remote: [f('a')], base: [f('a')] }, {}));

  it('pushes a change made only locally and pulls one made only remotely', () =>
    check({ local: [f('mine', 2), f('theirs')], remote: [f('mine'), f('theirs', 3)], base: [f('mine'), f('theirs')] }, { push: ['write mine'], pull: ['write theirs'] }));

  it('copies new paths both ways, directories first', () =>
    check({ local: [d('l'), f('l/x')], remote: [d('r'), f('r/y')], base: [] }, { push: ['mkdir l', 'write l/x'], pull: ['mkdir r', 'write r/y'] }));

  it('keeps both versions of a file changed differently on both sides', () =>
    check(
      { local: [d('src'), f('src/app.ts', 5, 3000)], remote: [d('src'), f('src/app.ts', 7, 4000)], base: [d('src'), f('src/app.ts', 1, 1000)] },
      {
        push: ['write src/app.ts'],
        pull: ['write src/app.conflict-20261125-201500-remote.ts from src/app.ts'],
        conflicts: ['src/app.ts kept-both src/app.conflict-20261125-201500-remote.ts'],
      },
    ));

  it('treats the same edit on both sides as no conflict, and asks for hashes when it cannot tell', () =>
    check(
      { local: [f('same', 5, 3000), f('maybe', 5, 3000)], remote: [f('same', 5, 3000), f('maybe', 5, 4000)], base: [f('same'), f('maybe')] },
      { needHash: ['maybe'] },
    ));

  it('deletes on the other side what one side deleted and the other left unchanged', () =>
    check({ local: [f('b')], remote: [f('a')], base: [f('a'), f('b')] }, { push: ['delete a'], pull: ['delete b'] }));

  it('keeps the changed version when one side deleted and the other changed', () =>
    check({ local: [f('a', 9)], remote: [f('b', 9)], base: [f('a'), f('b')] }, { push: ['write a'], pull: ['write b'] }));

  it('keeps a directory deleted locally when something new arrived in it remotely', () =>
    check({ local: [], remote: [d('d'), f('d/old'), f('d/new')], base: [d('d'), f('d/old')] }, { push: ['delete d/old'], pull: ['mkdir d', 'write d/new'] }));

  it('reports a file against a directory, both changed, and syncs nothing under it', () =>
    check(
      { local: [f('p', 3)], remote: [d('p'), f('p/x')], base: [f('p')] },
      { conflicts: ['p unresolved'] },
    ));

  it('pushes a mode-only change as chmod', () =>
    check({ local: [f('run', 1, 1000, 0o755)], remote: [f('run')], base: [f('run')] }, { push: ['chmod run 755'] }));

  it('names conflict copies with the extension last, and keeps dotfiles whole', () => {
    expect(conflictCopyName('a/b.tar.gz', NOW)).toBe('a/b.tar.conflict-20261125-201500-remote.gz');
    expect(conflictCopyName('.env', NOW)).toBe('.env.conflict-20261125-201500-remote');
    expect(conflictCopyName('Makefile', NOW)).toBe('Makefile.conflict-20261125-201500-remote');
  });
});

describe('holdsDeletes (deleteProtection)', () => {
  const deletes = (n: number): PlannedOp[] => Array.from({ length: n }, (_, i) => ({ op: 'delete', path: `f${i}` }));
  const check = (ops: PlannedOp[], otherSide: IndexEntry[] | number, expected: boolean) => expect(holdsDeletes(ops, otherSide)).toBe(expected);

  it('holds a batch deleting more than half of the other side', () => check(deletes(11), 20, true));
  it('lets through a batch deleting half or less', () => check(deletes(10), 20, false));
  it('lets through small deletions however large their share', () => check(deletes(9), 9, false));
  it('lets through batches without deletes', () => check([{ op: 'mkdir', path: 'a', mode: 0o755 }], 0, false));
  it('counts everything under a deleted directory when given the index', () =>
    check([{ op: 'delete', path: 'src' }], [d('src'), ...Array.from({ length: 12 }, (_, i) => f(`src/f${i}`)), f('README')], true));
});

describe('makeIgnore', () => {
  const check = (options: IgnoreOptions, cases: [path: string, isDirectory: boolean, ignored: boolean][]) => {
    const ignored = makeIgnore(options);
    expect(cases.map(([p, dir]) => [p, dir, ignored(p, dir)])).toEqual(cases);
  };

  it('syncs everything by default', () => check({}, [['a', false, false], ['node_modules', true, false], ['', true, false]]));

  it('skips ignoreFilePattern with gitignore semantics', () =>
    check({ ignoreFilePattern: ['node_modules', '*.log', './build/', '!keep.log'] }, [
      ['node_modules', true, true],
      ['app/node_modules', true, true],
      ['x.log', false, true],
      ['keep.log', false, false],
      ['build', true, true],
      ['build', false, false],
      ['app/build', true, false],
      ['src/main.ts', false, false],
    ]));

  it('syncs only what filePattern names, and the directories leading to it', () =>
    check({ filePattern: ['./src/app', './package.json'], ignoreFilePattern: ['*.tmp'] }, [
      ['src', true, false],
      ['src/app', true, false],
      ['src/app/main.ts', false, false],
      ['src/app/x.tmp', false, true],
      ['src/other.ts', false, true],
      ['docs', true, true],
      ['package.json', false, false],
      ['lib/package.json', false, true],
    ]));

  it('keeps every directory when a filePattern can match anywhere', () =>
    check({ filePattern: ['*.go'] }, [
      ['cmd', true, false],
      ['cmd/main.go', false, false],
      ['README.md', false, true],
    ]));

  it('reads the .gitignore in gitIgnore mode, plus ignoreFilePattern', () =>
    check({ mode: 'gitIgnore', gitignoreText: '# deps\nnode_modules/\ndist\n*.pyc\n!important.pyc\n', ignoreFilePattern: ['.idea'] }, [
      ['node_modules', true, true],
      ['dist', false, true],
      ['a/b.pyc', false, true],
      ['important.pyc', false, false],
      ['.idea', true, true],
      ['src/main.py', false, false],
    ]));

  it('honours every .gitignore of the tree, each relative to its directory, the deepest deciding', () =>
    check(
      {
        mode: 'gitIgnore',
        gitignores: new Map([
          ['', '*.log\nbuild/\n'],
          ['src', '!keep.log\n/generated\n'],
          ['src/deep', 'keep.log\n'],
        ]),
      },
      [
        ['app.log', false, true],
        ['src/app.log', false, true],
        ['src/keep.log', false, false],
        ['src/deep/keep.log', false, true],
        ['src/generated', true, true],
        ['generated', true, false],
        ['lib/generated', true, false],
        ['src/build/x.js', false, true],
        ['src/main.py', false, false],
      ],
    ));

  it('finds the .gitignore files as sync walks: not inside what an outer one leaves out, nor in .git', () => {
    const tree: Record<string, string[]> = { '': ['src', 'node_modules', '.git'], src: ['lib'], 'src/lib': [], node_modules: ['pkg'], 'node_modules/pkg': [], '.git': [] };
    const texts: Record<string, string> = { '.gitignore': 'node_modules/\n', 'src/lib/.gitignore': '*.o\n', 'node_modules/pkg/.gitignore': '*\n', '.git/.gitignore': '*\n' };
    const found = readGitignores({}, { readText: (p) => texts[p], subdirectories: (d) => tree[d] ?? [] });
    expect([...found.keys()]).toEqual(['', 'src/lib']);
  });
});

describe('the planner at scale (its speed is bench/planner.bench.ts)', () => {
  /** 100,000 files in 10,000 directories, the size facts/watcher-facts.md measures watchers on. */
  const tree = (mtime: (i: number) => number) => [
    ...Array.from({ length: 10_000 }, (_, i) => d(`d${Math.floor(i / 100)}/s${i}`)),
    ...Array.from({ length: 100 }, (_, i) => d(`d${i}`)),
    ...Array.from({ length: 100_000 }, (_, i) => f(`d${Math.floor(i / 1_000)}/s${Math.floor(i / 10)}/f${i}`, 10, mtime(i))),
  ];

  it('plans an initial sync and a two-way sync of 100,000 files: the one missing file, the newer ones to hash or push', () => {
    const local = tree((i) => (i % 100 === 0 ? 2000 : 1000));
    const remote = tree(() => 1000).filter((e) => !e.path.endsWith('f7'));
    const plan = planInitialSync(local, remote);
    expect(plan.ops.map(show)).toEqual(['write d0/s0/f7']);
    expect(plan.needHash).toHaveLength(1_000);
    expect(planTwoWay(local, remote, remote, { now: NOW }).push).toHaveLength(1_001);
    expect(holdsDeletes([{ op: 'delete', path: 'd1' }], remote)).toBe(false);
  });
});
