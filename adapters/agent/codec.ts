/**
 * The agent's wire format, shared by the agent (inside the sidecar) and the daemon's link.
 *
 * A frame is `[u32 length][u8 type][u32 request id][payload]`, big-endian, where `length` counts
 * the type, the id and the payload. Control frames carry a JSON payload; DATA frames carry raw
 * file content, so content is never base64-encoded. The agent writes PREAMBLE before its first
 * frame, which lets the daemon tell the agent's output apart from anything else on the stream
 * (a shell banner, `node: not found`) and say so instead of misreading it as a frame length.
 *
 * This file imports only node built-ins: the agent is bundled from it alone (STYLE item 5).
 */

/** Bumped whenever the frames or the ops change meaning; both ends must agree. */
export const AGENT_PROTOCOL_VERSION = 1;

/** The bytes the agent writes before anything else. */
export const PREAMBLE = Buffer.from('NHDAGENT1\n', 'latin1');

/** File content travels in chunks of this size, so memory stays flat for files of any size. */
export const CHUNK_SIZE = 256 * 1024;

/** Index entries travel in PARTIAL frames of at most this many entries. */
export const INDEX_CHUNK_ENTRIES = 4096;

/** A bigger frame means the stream is corrupt (or is not the agent's), never a real frame. */
export const MAX_FRAME_LENGTH = 64 * 1024 * 1024;

export const FrameType = {
  /** Daemon → agent: starts a request; JSON `AgentRequest`. */
  Request: 1,
  /** Agent → daemon: the request's final result; JSON. */
  Result: 2,
  /** Agent → daemon: the request failed as a whole; JSON `{ code, message }`; final. */
  Error: 3,
  /** Agent → daemon: part of a result (index entries, a read's header, watch events); JSON. */
  Partial: 4,
  /** Either way: raw file content for the request's current file. */
  Data: 5,
  /** Either way: the current file's content is complete; JSON `{}` or `{ error }` to abandon it. */
  End: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const HEADER_LENGTH = 9;

export interface Frame {
  type: FrameType;
  id: number;
  payload: Buffer;
}

/** The requests the agent serves, as sent in a Request frame. */
export type AgentRequest =
  | { op: 'hello' }
  | { op: 'index'; hash?: boolean | string[] }
  | { op: 'apply'; ops: WireSyncOp[] }
  | { op: 'read'; path: string }
  | { op: 'watch' };

/** A sync op on the wire: a write's content follows as Data frames closed by an End frame. */
export type WireSyncOp =
  | { op: 'write'; path: string; mode: number; mtimeMs: number; size: number; ifUnchanged?: WireIfUnchanged }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'delete'; path: string; ifUnchanged?: WireIfUnchanged }
  | { op: 'rename'; from: string; to: string }
  | { op: 'chmod'; path: string; mode: number };

/** What the target must still be for a write or delete to proceed; null: it must not exist. */
export type WireIfUnchanged = { kind: 'file' | 'dir' | 'symlink'; size: number; mtimeMs: number } | null;

/** One index entry on the wire; the same shape as IndexEntry in server/ports.ts. */
export interface WireIndexEntry {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
  mode: number;
  target?: string;
  hash?: string;
}

/** One op the agent refused or failed; the same shape as SyncOpError in server/ports.ts. */
export interface WireOpError {
  path: string;
  code: string;
  message: string;
}

export interface ApplyResult {
  applied: number;
  bytes: number;
  errors: WireOpError[];
}

/** The first Partial frame of a read: the file was opened. */
export interface ReadHeader {
  size: number;
  mode: number;
  mtimeMs: number;
}

/** A request's failure as a whole (Error frame), or an abandoned file (End frame). */
export interface WireError {
  code: string;
  message: string;
}

/** Temp files the agent writes before renaming; the index and the watcher skip them. */
export const TEMP_PREFIX = '.nhd-tmp-';

export interface HelloResult {
  agent: 'nhd-agent';
  version: number;
  root: string;
  node: string;
  pid: number;
}

/** Payloads up to this size are copied behind their header, so a small frame is one write. */
const COPY_LIMIT = 64 * 1024;

/**
 * One frame as the buffers to write back to back: a single buffer for a small frame (each write
 * may become its own websocket message or syscall), header and payload for a large one (no copy).
 */
export function encodeFrame(type: FrameType, id: number, payload: Buffer): Buffer[] {
  const small = payload.length <= COPY_LIMIT;
  const header = Buffer.allocUnsafe(HEADER_LENGTH + (small ? payload.length : 0));
  header.writeUInt32BE(payload.length + 5, 0);
  header.writeUInt8(type, 4);
  header.writeUInt32BE(id, 5);
  if (!small) return [header, payload];
  payload.copy(header, HEADER_LENGTH);
  return [header];
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson<T>(frame: Frame): T {
  return JSON.parse(frame.payload.toString('utf8')) as T;
}

/** Thrown when the byte stream cannot be read as frames; the connection cannot recover. */
export class FramingError extends Error {}

/**
 * Cuts a byte stream into frames. Chunks are kept as a list and joined once per frame, so a large
 * Data frame arriving in many pipe-sized pieces is copied once.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private preambleLeft: number;

  /** `expectPreamble`: the stream must start with PREAMBLE (the daemon's side). */
  constructor(expectPreamble: boolean) {
    this.preambleLeft = expectPreamble ? PREAMBLE.length : 0;
  }

  push(chunk: Buffer): void {
    if (this.preambleLeft > 0) chunk = this.checkPreamble(chunk);
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame, or undefined until more bytes arrive. */
  next(): Frame | undefined {
    if (this.buffered < HEADER_LENGTH) return undefined;
    const head = this.peek(HEADER_LENGTH);
    const length = head.readUInt32BE(0);
    if (length < 5 || length > MAX_FRAME_LENGTH) throw new FramingError(`Bad frame length ${length}: the stream is corrupt.`);
    if (this.buffered < length + 4) return undefined;
    const type = head.readUInt8(4);
    if (type < FrameType.Request || type > FrameType.End) throw new FramingError(`Unknown frame type ${type}.`);
    const whole = this.take(length + 4);
    return { type: type as FrameType, id: whole.readUInt32BE(5), payload: whole.subarray(HEADER_LENGTH) };
  }

  private checkPreamble(chunk: Buffer): Buffer {
    const offset = PREAMBLE.length - this.preambleLeft;
    const n = Math.min(this.preambleLeft, chunk.length);
    if (!chunk.subarray(0, n).equals(PREAMBLE.subarray(offset, offset + n))) {
      const seen = chunk.subarray(0, 120).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
      throw new FramingError(`The agent's output does not start with its preamble; it began with: "${seen}".`);
    }
    this.preambleLeft -= n;
    return chunk.subarray(n);
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    let result: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      result = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const parts: Buffer[] = [];
      let needed = n;
      while (needed > 0) {
        const c = this.chunks[0]!;
        if (c.length <= needed) {
          parts.push(c);
          this.chunks.shift();
          needed -= c.length;
        } else {
          parts.push(c.subarray(0, needed));
          this.chunks[0] = c.subarray(needed);
          needed = 0;
        }
      }
      result = Buffer.concat(parts, n);
    }
    this.buffered -= n;
    return result;
  }
}
