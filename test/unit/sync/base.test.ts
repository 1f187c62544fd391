import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../../../server/ports';
import { recordApplied } from '../../../server/sync/base';

const file = (path: string, mtimeMs = 1, mode = 0o644, size = 1): IndexEntry => ({ path, kind: 'file', size, mtimeMs, mode });
const dir = (path: string): IndexEntry => ({ path, kind: 'dir', size: 0, mtimeMs: 0, mode: 0o755 });

describe('recordApplied', () => {
  it('records writes as sent, deletes with everything under them, renames with their subtree, and chmods', () => {
    const base = new Map<string, IndexEntry>([dir('a'), file('a/x'), file('a/y'), dir('old'), file('old/z'), file('m')].map((e) => [e.path, e]));
    recordApplied(
      base,
      [
        { op: 'write', path: 'a/x', size: 9, mtimeMs: 5, mode: 0o755 },
        { op: 'delete', path: 'old' },
        { op: 'rename', from: 'a', to: 'b' },
        { op: 'chmod', path: 'm', mode: 0o600 },
        { op: 'mkdir', path: 'new', mode: 0o700 },
        { op: 'symlink', path: 'link', target: 'm' },
      ],
      new Set(),
    );
    expect([...base.keys()].sort()).toEqual(['b', 'b/x', 'b/y', 'link', 'm', 'new']);
    expect(base.get('b/x')).toEqual(file('b/x', 5, 0o755, 9));
    expect(base.get('m')!.mode).toBe(0o600);
    expect(base.get('link')).toMatchObject({ kind: 'symlink', target: 'm' });
  });

  it('leaves paths whose op failed or was held as they were', () => {
    const base = new Map<string, IndexEntry>([file('keep'), file('held')].map((e) => [e.path, e]));
    recordApplied(base, [{ op: 'write', path: 'keep', size: 2, mtimeMs: 9, mode: 0o644 }, { op: 'delete', path: 'held' }], new Set(['keep', 'held']));
    expect(base.get('keep')).toEqual(file('keep'));
    expect(base.has('held')).toBe(true);
  });
});
