import type { Readable } from 'node:stream';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message } from 'vscode-jsonrpc';
import { RpcErrorCode } from '../../protocol';

/**
 * The LSP base protocol's framing (`Content-Length: N\r\n\r\n<N bytes of JSON>`), read strictly.
 *
 * vscode-jsonrpc's own reader stalls silently on a malformed header and drops invalid JSON with
 * only a local error event; a daemon shared by several clients must instead answer each bad
 * input and keep going. This reader reports every problem through `onBadInput` so the connection
 * can send a JSON-RPC error, and it keeps the stream in sync where the framing allows:
 * - invalid JSON or a message that is not JSON-RPC: an error, the next message is read as usual;
 * - a message that nests arrays and objects deeper than MAX_JSON_DEPTH: refused the same way, so
 *   that nothing after this reader (validation, logging, JSON.stringify) recurses that deep;
 * - a problem with a notification, or with a response from the client, is reported but never
 *   answered (`answer: false`): JSON-RPC forbids replying to either;
 * - a message over `maxMessageBytes`: an error as soon as its header is read (not after its body),
 *   then the body is skipped unread and reading goes on;
 * - a malformed header (a bad or conflicting Content-Length, lines not ended by `\r\n`): an error
 *   and `fatal`, as soon as it can be seen, because the next frame's start cannot be found.
 */
export interface BadInput {
  code: number;
  message: string;
  /** The id of the offending request when it could be read, else null (as JSON-RPC says). */
  id: string | number | null;
  /** The stream cannot be read further; the connection should be closed after replying. */
  fatal: boolean;
  /**
   * Whether the problem gets a JSON-RPC error response. Not for a notification (it has no id), nor
   * for a response from the client (its id is one of the daemon's own requests): log those only.
   */
  answer: boolean;
}

export interface FramingOptions {
  /** Largest message body accepted, in bytes. */
  maxMessageBytes: number;
  onBadInput: (problem: BadInput) => void;
}

/**
 * Deepest nesting of arrays and objects accepted in a message, the message itself being level 1.
 * LSP's deepest (initialize's client capabilities) stays under 10 levels; V8's JSON.parse reads any
 * depth, but JSON.stringify and any recursive reader of the value overflow the stack at a few
 * thousand.
 */
export const MAX_JSON_DEPTH = 64;

const CANCEL_REQUEST = '$/cancelRequest';

/** Longest header block accepted; real headers are well under 100 bytes. */
const MAX_HEADER_BYTES = 8 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');

export class GuardedMessageReader extends AbstractMessageReader {
  private callback: DataCallback | undefined;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read, or -1 while reading headers. */
  private bodyLength = -1;
  /** Bytes still to discard from an oversized body. */
  private skipping = 0;
  private skippedLength = 0;
  private dead = false;

  constructor(
    private readonly input: Readable,
    private readonly options: FramingOptions,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onError = (error: Error) => this.fireError(error);
    const onClose = () => this.fireClose();
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('close', onClose);
    this.input.on('end', onClose);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('error', onError);
        this.input.off('close', onClose);
        this.input.off('end', onClose);
      },
    };
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    if (this.skipping > 0) {
      const skipped = Math.min(this.skipping, chunk.length);
      this.skipping -= skipped;
      chunk = chunk.subarray(skipped);
      if (chunk.length === 0) return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.dead && this.readFrame()) {
      // Read every complete frame in the buffer.
    }
  }

  /** Reads one header block or one body from the buffer; false when more bytes are needed. */
  private readFrame(): boolean {
    if (this.bodyLength < 0) {
      const all = this.peekAll();
      const end = all.indexOf(HEADER_END);
      // A line feed without its carriage return (`\n\n` after the header) would otherwise wait for 8 KiB in silence.
      const bare = bareLineFeed(all, end < 0 ? all.length : end);
      if (bare >= 0) {
        this.fatal('Header lines must end with \\r\\n; found a \\n without \\r.');
        return false;
      }
      if (end < 0) {
        if (all.length > MAX_HEADER_BYTES) this.fatal('The message header is longer than 8 KiB or has no blank line after it.');
        return false;
      }
      const length = this.parseHeader(all.subarray(0, end).toString('ascii'));
      if (length === undefined) return false;
      this.consume(end + HEADER_END.length);
      if (length > this.options.maxMessageBytes) {
        // Answer now: a client that declares 1 GB and sends 30 bytes must not wait for the skip.
        this.skippedLength = length;
        this.reportOversized();
        const available = Math.min(length, this.buffered);
        this.consume(available);
        this.skipping = length - available;
        return this.buffered > 0;
      }
      this.bodyLength = length;
    }
    if (this.buffered < this.bodyLength) return false;
    const body = this.take(this.bodyLength);
    this.bodyLength = -1;
    this.deliver(body);
    return true;
  }

  /** Returns the body's length, or undefined after reporting a fatal error. */
  private parseHeader(text: string): number | undefined {
    let length: number | undefined;
    for (const line of text.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) return this.fatal(`Malformed header line ${JSON.stringify(line)}: expected "Name: value".`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return this.fatal(`Content-Length must be a non-negative integer, got ${JSON.stringify(value)}.`);
        if (length !== undefined && length !== Number(value)) return this.fatal(`Two Content-Length headers disagree (${length} and ${value}).`);
        length = Number(value);
      } else if (name === 'content-type') {
        const charset = /charset=([^;]+)/i.exec(value)?.[1]?.trim().toLowerCase();
        if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
          return this.fatal(`Unsupported charset ${JSON.stringify(charset)}: nhd reads utf-8 only.`);
        }
      }
    }
    if (length === undefined) return this.fatal('The message header has no Content-Length.');
    return length;
  }

  private deliver(body: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (error) {
      this.options.onBadInput({
        code: RpcErrorCode.ParseError,
        message: `The message body is not valid JSON (${(error as Error).message}).`,
        id: null,
        fatal: false,
        answer: true,
      });
      return;
    }
    const problem = checkJsonRpc(value) ?? checkDepth(value as Record<string, unknown>, body);
    if (problem) {
      this.options.onBadInput(problem);
      return;
    }
    const message = value as Record<string, unknown>;
    // LSP clients (Emacs's eglot among them) send `"params": null` for "no params"; JSON-RPC has no
    // null params, and vscode-jsonrpc would hand the null to handlers that take none.
    if (message['params'] === null) delete message['params'];
    try {
      this.callback?.(message as unknown as Message);
    } catch (error) {
      // The connection's own handling threw (a library bug or a message it cannot take): that one
      // message is lost and reported, the process and the stream go on.
      this.fireError(error);
    }
  }

  private reportOversized(): void {
    this.options.onBadInput({
      code: RpcErrorCode.InvalidRequest,
      message: `The message of ${this.skippedLength} bytes exceeds the limit of ${this.options.maxMessageBytes} bytes and was not read.`,
      id: null,
      fatal: false,
      answer: true,
    });
  }

  private fatal(message: string): undefined {
    this.dead = true;
    this.chunks = [];
    this.buffered = 0;
    this.options.onBadInput({ code: RpcErrorCode.ParseError, message, id: null, fatal: true, answer: true });
    return undefined;
  }

  private peekAll(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.peekAll();
    const taken = all.subarray(0, n);
    this.consume(n);
    return taken;
  }

  private consume(n: number): void {
    const all = this.peekAll();
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }
}

/** The offset of the first `\n` before `end` that has no `\r` before it, or -1. */
function bareLineFeed(buffer: Buffer, end: number): number {
  for (let i = buffer.indexOf(0x0a); i >= 0 && i < end; i = buffer.indexOf(0x0a, i + 1)) {
    if (i === 0 || buffer[i - 1] !== 0x0d) return i;
  }
  return -1;
}

/** Checks that a parsed value is one JSON-RPC 2.0 message; returns the problem or undefined. */
export function checkJsonRpc(value: unknown): BadInput | undefined {
  // A message with a method and no id is a notification, whatever else is wrong with it.
  const notification = typeof value === 'object' && value !== null && !Array.isArray(value) && 'method' in value && !('id' in value);
  const answer = !notification;
  const invalid = (message: string, id: string | number | null = null, code: number = RpcErrorCode.InvalidRequest): BadInput => ({
    code,
    message,
    id,
    fatal: false,
    answer,
  });
  if (Array.isArray(value)) return invalid('Batches are not supported: send one JSON-RPC message per frame.');
  if (typeof value !== 'object' || value === null) return invalid('The message is not a JSON object.');
  const message = value as Record<string, unknown>;
  const id = message['id'];
  const validId = typeof id === 'string' || typeof id === 'number' ? id : null;
  if (message['jsonrpc'] !== '2.0') return invalid('The message lacks "jsonrpc": "2.0".', validId);
  if (id !== undefined && id !== null && validId === null) return invalid('The message id must be a string or a number.');
  if ('method' in message) {
    if (typeof message['method'] !== 'string') return invalid('The method must be a string.', validId);
    const params = message['params'];
    // null stands for "no params" (see deliver).
    if (params !== undefined && params !== null && typeof params !== 'object') {
      return invalid('params must be an object or an array.', validId, RpcErrorCode.InvalidParams);
    }
    // vscode-jsonrpc reads params.id of a cancellation as it arrives, before any handler of ours.
    if (message['method'] === CANCEL_REQUEST) {
      const cancelled = (params as Record<string, unknown> | null | undefined)?.['id'];
      if (typeof cancelled !== 'string' && typeof cancelled !== 'number') {
        return invalid(`${CANCEL_REQUEST} needs params.id, the id of the request to cancel (a string or a number).`, validId, RpcErrorCode.InvalidParams);
      }
    }
    return undefined;
  }
  if (validId !== null && ('result' in message || 'error' in message)) return undefined;
  return invalid('The message is neither a request, a notification nor a response.', validId);
}

/** Refuses a JSON-RPC message (`message`, parsed from `body`) nested deeper than MAX_JSON_DEPTH. */
function checkDepth(message: Record<string, unknown>, body: Buffer): BadInput | undefined {
  if (!nestsDeeperThan(body, MAX_JSON_DEPTH)) return undefined;
  const id = typeof message['id'] === 'string' || typeof message['id'] === 'number' ? message['id'] : null;
  const method = typeof message['method'] === 'string' ? message['method'] : undefined;
  return {
    code: method === undefined ? RpcErrorCode.InvalidRequest : RpcErrorCode.InvalidParams,
    message: `${method ?? 'The message'} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, nhd's limit; it was not read. Send flatter params.`,
    id,
    fatal: false,
    // A request is answered; a notification and a response (result or error, no method) are not.
    answer: method !== undefined && 'id' in message,
  };
}

const [QUOTE, BACKSLASH, OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE] = [...Buffer.from('"\\[]{}', 'ascii')];

/**
 * Whether the JSON text `json` (valid JSON, as UTF-8 bytes) nests arrays and objects more than
 * `limit` levels deep, the outermost value being level 1. A scan of the bytes: brackets inside
 * strings do not count, and no byte of a multi-byte character looks like a quote or a bracket.
 */
export function nestsDeeperThan(json: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
  }
  return false;
}
