import { describe, expect, it } from 'vitest';
import type { RunOutputParams } from '../../../protocol';
import { outputFollower, type OutputEvent, type OutputStream } from '../../../clients/cli/outputFollower';

/**
 * The output following of `nhd run` and `nhd debug` (clients/cli/outputFollower.ts): base64 chunks
 * cut anywhere, a character split across chunks, and a cut-off character at the very end.
 */

const RUN = 'run-1';
const chunk = (stream: OutputStream, bytes: Buffer, runId = RUN): RunOutputParams => ({ runId, stream, data: bytes.toString('base64') });

// "✓" is 3 bytes (e2 9c 93) and "é" 2 (c3 a9); each is cut between two chunks.
const out = Buffer.from('ok ✓ done\n', 'utf8');
const err = Buffer.from('héllo\n', 'utf8');
const cutOff = Buffer.from('✓', 'utf8').subarray(0, 2);
const chunks = [
  chunk('stdout', out.subarray(0, 4)), // "ok " and the first byte of "✓"
  chunk('stderr', err.subarray(0, 2)), // "h" and the first byte of "é"
  chunk('stdout', out.subarray(4, 5)), // the middle byte of "✓"
  chunk('stderr', err.subarray(2)),
  chunk('stdout', out.subarray(5)),
  chunk('stdout', cutOff), // the program ended in the middle of a character
];

describe('outputFollower, --json', () => {
  function follow(params: RunOutputParams[]) {
    const events: OutputEvent[] = [];
    const follower = outputFollower(() => RUN, { kind: 'json', event: (e) => events.push(e) });
    for (const p of params) follower.push(p);
    return { events, follower };
  }

  it('puts a character split across chunks whole into one event, per stream', () => {
    const { events } = follow(chunks.slice(0, -1));
    const text = (stream: OutputStream) => events.filter((e) => e.stream === stream).map((e) => e.text);
    expect(text('stdout')).toEqual(['ok ', '✓ done\n']);
    expect(text('stderr')).toEqual(['h', 'éllo\n']);
    expect(events.every((e) => e.event === 'output' && !e.text.includes('\ufffd'))).toBe(true);
  });

  it('flushes a cut-off character at the end instead of dropping it, once', () => {
    const { events, follower } = follow(chunks);
    const before = events.length;
    follower.end();
    expect(events.slice(before)).toEqual([{ event: 'output', stream: 'stdout', text: '\ufffd' }]);
    follower.end();
    expect(events).toHaveLength(before + 1);
    expect(events.filter((e) => e.stream === 'stdout').map((e) => e.text).join('')).toBe('ok ✓ done\n\ufffd');
  });

  it('emits nothing at the end when every character was whole', () => {
    const { events, follower } = follow(chunks.slice(0, -1));
    const before = events.length;
    follower.end();
    expect(events).toHaveLength(before);
  });
});

describe('outputFollower, plain', () => {
  it('writes every byte to its stream as it came, the split and the cut-off character included', () => {
    const written: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
    const follower = outputFollower(() => RUN, { kind: 'plain', write: (stream, bytes) => written[stream].push(bytes) });
    for (const p of chunks) follower.push(p);
    follower.end();
    expect(Buffer.concat(written.stdout)).toEqual(Buffer.concat([out, cutOff]));
    expect(Buffer.concat(written.stderr)).toEqual(err);
    expect(Buffer.concat(written.stdout).toString('utf8')).toBe('ok ✓ done\n\ufffd');
  });
});

describe('outputFollower, which run', () => {
  it('ignores output of another run, and any before the run is known', () => {
    let runId: string | undefined;
    const events: OutputEvent[] = [];
    const written: Buffer[] = [];
    const json = outputFollower(() => runId, { kind: 'json', event: (e) => events.push(e) });
    const plain = outputFollower(() => runId, { kind: 'plain', write: (_stream, bytes) => written.push(bytes) });
    const early = chunk('stdout', Buffer.from('early'));
    const other = chunk('stdout', Buffer.from('other'), 'run-2');
    const mine = chunk('stdout', Buffer.from('mine'));
    for (const f of [json, plain]) f.push(early);
    runId = RUN;
    for (const f of [json, plain]) {
      f.push(other);
      f.push(mine);
      f.end();
    }
    expect(events).toEqual([{ event: 'output', stream: 'stdout', text: 'mine' }]);
    expect(Buffer.concat(written).toString()).toBe('mine');
  });
});
