import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GuardedMessageReader, MAX_JSON_DEPTH, checkJsonRpc, nestsDeeperThan, type BadInput } from '../../server/rpc/framing';

/** Feeds `chunks` to a reader and returns what it delivered and the problems it reported, whole. */
async function readProblems(chunks: (string | Buffer)[], maxMessageBytes = 1024) {
  const input = new PassThrough();
  const messages: unknown[] = [];
  const problems: BadInput[] = [];
  const reader = new GuardedMessageReader(input, { maxMessageBytes, onBadInput: (p) => problems.push(p) });
  reader.listen((m) => messages.push(m));
  for (const chunk of chunks) {
    input.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { messages, problems };
}

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

  it('delivers "params": null as a message without params, as LSP clients such as eglot send it', async () => {
    const { messages, problems } = await read([frame('{"jsonrpc":"2.0","id":1,"method":"shutdown","params":null}'), frame('{"jsonrpc":"2.0","method":"exit","params":null}')]);
    expect(problems).toEqual([]);
    expect(messages).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'shutdown' },
      { jsonrpc: '2.0', method: 'exit' },
    ]);
  });

  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it(`reads ${MAX_JSON_DEPTH} levels of nesting and refuses a 100,000-deep message as invalid params, then reads on`, async () => {
    // The message is level 1 and params level 2: the deepest accepted value inside params is MAX_JSON_DEPTH - 2 levels.
    const deepest = `{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":${nested(MAX_JSON_DEPTH - 2)}}}`;
    const tooDeep = `{"jsonrpc":"2.0","id":2,"method":"x","params":{"a":${nested(MAX_JSON_DEPTH - 1)}}}`;
    const huge = `{"jsonrpc":"2.0","id":3,"method":"nhd/config/validate","params":{"path":${nested(100_000)}}}`;
    const reader = await readProblems([frame(deepest), frame(tooDeep), frame(huge), frame(msg(4))], 4 * 1024 * 1024);
    expect(reader.messages.map((m) => (m as { id: number }).id)).toEqual([1, 4]);
    expect(reader.problems).toEqual([
      { code: -32602, id: 2, fatal: false, answer: true, message: `x nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, nhd's limit; it was not read. Send flatter params.` },
      {
        code: -32602,
        id: 3,
        fatal: false,
        answer: true,
        message: `nhd/config/validate nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, nhd's limit; it was not read. Send flatter params.`,
      },
    ]);
  });

  it('marks a bad notification, or a response, as not to be answered, so that it is only logged', async () => {
    const { problems } = await readProblems([
      frame(`{"jsonrpc":"2.0","method":"x","params":{"a":${nested(100)}}}`),
      frame('{"jsonrpc":"2.0","method":"x","params":7}'),
      frame('{"method":"x"}'),
      frame('{"jsonrpc":"2.0","method":"$/cancelRequest"}'),
      frame('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":{}}}'),
      frame(`{"jsonrpc":"2.0","id":5,"result":${nested(100)}}`),
    ]);
    expect(problems.map((p) => `${p.answer} ${p.code}: ${p.message}`)).toEqual([
      `false -32602: x nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, nhd's limit; it was not read. Send flatter params.`,
      'false -32602: params must be an object or an array.',
      'false -32600: The message lacks "jsonrpc": "2.0".',
      'false -32602: $/cancelRequest needs params.id, the id of the request to cancel (a string or a number).',
      'false -32602: $/cancelRequest needs params.id, the id of the request to cancel (a string or a number).',
      `false -32600: The message nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, nhd's limit; it was not read. Send flatter params.`,
    ]);
  });

  it('reports a message the connection throws on as a reader error and reads on', async () => {
    const input = new PassThrough();
    const errors: string[] = [];
    const delivered: unknown[] = [];
    const reader = new GuardedMessageReader(input, { maxMessageBytes: 1024, onBadInput: () => {} });
    reader.onError((error) => errors.push(error.message));
    reader.listen((m) => {
      if ((m as { id?: number }).id === 1) throw new Error('the library choked');
      delivered.push(m);
    });
    input.write(frame(msg(1)) + frame(msg(2)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual(['the library choked']);
    expect(delivered).toHaveLength(1);
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

  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'x' }],
    [{ jsonrpc: '2.0', method: 'x', params: [] }],
    [{ jsonrpc: '2.0', id: 2, method: 'shutdown', params: null }],
    [{ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 3 } }],
    [{ jsonrpc: '2.0', id: 'a', result: null }],
  ])(
    'accepts %j',
    (value) => expect(checkJsonRpc(value)).toBeUndefined(),
  );
});

describe('nestsDeeperThan', () => {
  const deeper = (json: string, limit: number) => nestsDeeperThan(Buffer.from(json, 'utf8'), limit);

  it('counts the outermost value as level 1, arrays and objects alike', () => {
    expect(deeper('1', 0)).toBe(false);
    expect(deeper('{}', 0)).toBe(true);
    expect(deeper('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(deeper('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(deeper('[[],[[]],"x",[[[]]]]', 3)).toBe(true);
    expect(deeper('[[],[[]],"x",[[1]]]', 3)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes and multi-byte characters included', () => {
    expect(deeper('{"a":"[[[{{{"}', 1)).toBe(false);
    expect(deeper('{"a":"\\"[[[\\\\"}', 1)).toBe(false);
    expect(deeper('{"a\\\\":[]}', 1)).toBe(true);
    expect(deeper('["✓[🚀{",["é"]]', 2)).toBe(false);
  });

  it('scans a 200,000-deep text without recursing', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(deeper(deep, 199_999)).toBe(true);
    expect(deeper(deep, 200_000)).toBe(false);
  });
});
