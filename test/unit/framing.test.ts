import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GuardedMessageReader, checkJsonRpc, type BadInput } from '../../server/rpc/framing';

/** Feeds `chunks` to a reader and returns what it delivered and what it reported. */
async function read(chunks: (string | Buffer)[], maxMessageBytes = 1024) {
  const input = new PassThrough();
  const messages: unknown[] = [];
  const problems: BadInput[] = [];
  const reader = new GuardedMessageReader(input, { maxMessageBytes, onBadInput: (p) => problems.push(p) });
  reader.listen((m) => messages.push(m));
  for (const chunk of chunks) {
    input.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { messages, problems: problems.map((p) => `${p.code}${p.fatal ? ' fatal' : ''}: ${p.message}`) };
}

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const msg = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'nhd/status' });

describe('GuardedMessageReader', () => {
  it('reads frames split at any byte and several frames in one chunk', async () => {
    const bytes = frame(msg(1)) + frame(msg(2)) + frame(msg(3));
    for (const cut of [1, 7, 18, 20, 40, bytes.length - 1]) {
      const { messages, problems } = await read([bytes.slice(0, cut), bytes.slice(cut)]);
      expect(problems).toEqual([]);
      expect(messages.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3]);
    }
  });

  it('counts Content-Length in bytes, not characters', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { text: 'héllo ✓ 🚀' } });
    const { messages } = await read([Buffer.from(frame(body), 'utf8')]);
    expect(messages).toEqual([JSON.parse(body)]);
  });

  it('answers invalid JSON with a parse error and reads on', async () => {
    const { messages, problems } = await read([frame('{"jsonrpc": "2.0", '), frame(msg(2))]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^-32700: The message body is not valid JSON/);
    expect(messages).toHaveLength(1);
  });

  it('skips an oversized body unread and reads on', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'x', params: { pad: 'x'.repeat(5000) } });
    const bytes = frame(big);
    const { messages, problems } = await read([bytes.slice(0, 100), bytes.slice(100, 3000), bytes.slice(3000) + frame(msg(2))]);
    expect(problems).toEqual([`-32600: The message of ${Buffer.byteLength(big)} bytes exceeds the limit of 1024 bytes and was not read.`]);
    expect(messages.map((m) => (m as { id: number }).id)).toEqual([2]);
  });

  it.each([
    ['no Content-Length', 'Content-Type: application/json\r\n\r\n{}', 'The message header has no Content-Length.'],
    ['a non-numeric Content-Length', 'Content-Length: abc\r\n\r\n{}', 'Content-Length must be a non-negative integer, got "abc".'],
    ['a negative Content-Length', 'Content-Length: -5\r\n\r\n{}', 'Content-Length must be a non-negative integer, got "-5".'],
    ['a line without a colon', 'Content-Length 5\r\n\r\n{}', 'Malformed header line "Content-Length 5": expected "Name: value".'],
    ['another charset', 'Content-Length: 2\r\nContent-Type: application/json; charset=latin1\r\n\r\n{}', 'Unsupported charset "latin1": nhd reads utf-8 only.'],
  ])('reports a header with %s as fatal and reads nothing after it', async (_, bytes, message) => {
    const { messages, problems } = await read([bytes + frame(msg(1))]);
    expect(problems).toEqual([`-32700 fatal: ${message}`]);
    expect(messages).toEqual([]);
  });

  it('refuses two Content-Length headers that disagree, and accepts two that agree', async () => {
    const body = msg(1);
    const conflicting = await read([`Content-Length: ${body.length}\r\nContent-Length: ${body.length + 5}\r\n\r\n${body}`]);
    expect(conflicting.problems).toEqual([`-32700 fatal: Two Content-Length headers disagree (${body.length} and ${body.length + 5}).`]);
    expect(conflicting.messages).toEqual([]);
    const agreeing = await read([`Content-Length: ${body.length}\r\ncontent-length: ${body.length}\r\n\r\n${body}`]);
    expect(agreeing.problems).toEqual([]);
    expect(agreeing.messages).toHaveLength(1);
  });

  it('refuses a header ended by a bare \\n\\n at once, not after 8 KiB', async () => {
    const { messages, problems } = await read([`Content-Length: 2\n\n{}`]);
    expect(problems).toEqual(['-32700 fatal: Header lines must end with \\r\\n; found a \\n without \\r.']);
    expect(messages).toEqual([]);
  });

  it('answers a message declared far over the limit as soon as its header arrives', async () => {
    const input = new PassThrough();
    const problems: string[] = [];
    const reader = new GuardedMessageReader(input, { maxMessageBytes: 1024, onBadInput: (p) => problems.push(`${p.code}: ${p.message}`) });
    reader.listen(() => {});
    input.write(`Content-Length: 1000000000\r\n\r\n${'x'.repeat(30)}`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(problems).toEqual(['-32600: The message of 1000000000 bytes exceeds the limit of 1024 bytes and was not read.']);
  });

  it('reports endless garbage without a header end as fatal', async () => {
    const { problems } = await read(['x'.repeat(9000)]);
    expect(problems).toEqual(['-32700 fatal: The message header is longer than 8 KiB or has no blank line after it.']);
  });
});

describe('checkJsonRpc', () => {
  it.each([
    [[1, 2], '-32600 null: Batches are not supported: send one JSON-RPC message per frame.'],
    ['"text"', '-32600 null: The message is not a JSON object.'],
    [{ id: 1, method: 'x' }, '-32600 1: The message lacks "jsonrpc": "2.0".'],
    [{ jsonrpc: '2.0', id: {}, method: 'x' }, '-32600 null: The message id must be a string or a number.'],
    [{ jsonrpc: '2.0', id: 3, method: 5 }, '-32600 3: The method must be a string.'],
    [{ jsonrpc: '2.0', id: 4, method: 'x', params: 'p' }, '-32602 4: params must be an object or an array.'],
    [{ jsonrpc: '2.0', id: 5 }, '-32600 5: The message is neither a request, a notification nor a response.'],
  ])('refuses %j', (value, expected) => {
    const p = checkJsonRpc(value)!;
    expect(`${p.code} ${p.id}: ${p.message}`).toBe(expected);
  });

  it.each([[{ jsonrpc: '2.0', id: 1, method: 'x' }], [{ jsonrpc: '2.0', method: 'x', params: [] }], [{ jsonrpc: '2.0', id: 'a', result: null }]])(
    'accepts %j',
    (value) => expect(checkJsonRpc(value)).toBeUndefined(),
  );
});
