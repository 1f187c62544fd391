/**
 * Small stream relays between client-node's websockets and the caller's streams. client-node
 * writes whatever arrives into the Writable it is given and sends whatever its Readable emits,
 * with no flow control either way and with end() on the Writable when the remote side finishes.
 * These relays never end the caller's streams, survive a caller stream that is gone, and add
 * backpressure: the websocket is paused while the caller's Writable is full, and the caller's
 * Readable is paused while the websocket has too much unsent data.
 */
import { PassThrough, Writable } from 'node:stream';

/** What the relays need of a ws WebSocket. */
export interface FlowSocket {
  pause?(): void;
  resume?(): void;
  readonly bufferedAmount: number;
  readonly readyState: number;
}

const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

const gone = (s: NodeJS.WritableStream) => !!((s as any).destroyed || (s as any).writableEnded);

/** A Writable that forwards to `target` (never ending it), pausing the socket when `target` is full. */
export class OutputRelay extends Writable {
  socket: FlowSocket | undefined;
  private waiting = false;
  constructor(private readonly target: NodeJS.WritableStream | undefined) {
    super({
      write: (chunk: Buffer, _enc, cb) => {
        this.forward(chunk);
        cb();
      },
    });
    // Our own 'error' (write after end) must never be unhandled.
    this.on('error', () => {});
  }

  private forward(chunk: Buffer): void {
    const target = this.target;
    if (!target || gone(target) || chunk.length === 0) return;
    let ok = true;
    try {
      ok = target.write(chunk);
    } catch {
      return;
    }
    if (!ok && !this.waiting && this.socket?.pause) {
      this.waiting = true;
      this.socket.pause();
      const resume = () => {
        this.waiting = false;
        target.removeListener('drain', resume);
        target.removeListener('close', resume);
        this.socket?.resume?.();
      };
      target.once('drain', resume);
      target.once('close', resume);
    }
  }
}

/** Chunks written within one turn of the event loop travel as one websocket message, up to this size. */
const COALESCE_MAX = 256 * 1024;

/**
 * Feeds `source` into a fresh PassThrough (which client-node sends on the socket), pausing
 * `source` while the socket's send buffer is above the high-water mark. `stop()` detaches.
 * What arrives in one event-loop turn is sent as one message: client-node makes a websocket
 * message of every chunk, and thousands of small frames (a sync of small files) cost more in
 * the API server and kubelet than their bytes.
 */
export function inputRelay(source: NodeJS.ReadableStream): { stream: PassThrough; start(socket: FlowSocket): void; stop(): void } {
  const stream = new PassThrough();
  stream.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  let socket: FlowSocket | undefined;
  let parts: Buffer[] = [];
  let size = 0;
  let scheduled: NodeJS.Immediate | undefined;
  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (size === 0) return;
    const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    if (stream.writableEnded || stream.destroyed) return;
    stream.write(chunk);
    if (socket && socket.bufferedAmount > HIGH_WATER && !timer) {
      source.pause();
      timer = setInterval(() => {
        if (!socket || socket.bufferedAmount < LOW_WATER || socket.readyState !== 1) {
          clearInterval(timer);
          timer = undefined;
          source.resume();
        }
      }, 5);
    }
  };
  const onData = (chunk: Buffer | string) => {
    if (stream.writableEnded || stream.destroyed) return;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    parts.push(buffer);
    size += buffer.length;
    if (size >= COALESCE_MAX) flush();
    else scheduled ??= setImmediate(flush);
  };
  const onEnd = () => {
    flush();
    if (!stream.writableEnded && !stream.destroyed) stream.end();
  };
  const onError = () => onEnd();
  return {
    stream,
    start(s) {
      socket = s;
      if ((source as any).readableEnded) return onEnd();
      source.on('data', onData);
      source.on('end', onEnd);
      source.on('error', onError);
      source.resume();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
      parts = [];
      size = 0;
      source.removeListener('data', onData);
      source.removeListener('end', onEnd);
      source.removeListener('error', onError);
      // Left flowing without a listener, the caller's stream would drop what comes next.
      source.pause();
      stream.destroy();
    },
  };
}
