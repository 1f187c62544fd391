/**
 * The daemon's end of the sync agent: `AgentLink` over any pair of byte streams (the agent's stdin
 * and stdout), whether they come from a Kubernetes exec or a local process. Requests carry ids and
 * run concurrently; when the streams end or the process exits, `closed` resolves with the reason
 * and every pending request is rejected, so nothing waits forever.
 */
import { PassThrough } from 'node:stream';
import type { AgentLink, BatchResult, IndexEntry, SyncOp } from '../../server/ports';
import {
  AGENT_PROTOCOL_VERSION,
  CHUNK_SIZE,
  FrameDecoder,
  FrameType,
  MAX_FRAME_LENGTH,
  decodeJson,
  encodeFrame,
  encodeJson,
  type AgentRequest,
  type ApplyResult,
  type Frame,
  type HelloResult,
  type WireError,
  type WireIndexEntry,
  type WireSyncOp,
} from './codec';
import { messageOf } from '../../server/ports';

export interface AgentStreams {
  /** The agent's stdin. */
  input: NodeJS.WritableStream;
  /** The agent's stdout. */
  output: NodeJS.ReadableStream;
  /** Resolves when the agent's process (or exec) ended, with a sentence saying how. */
  exited: Promise<string>;
  /** Ends the process for good; called by close() after the agent had a moment to exit on EOF. */
  kill?: () => void;
}

export interface ConnectOptions {
  /** How long the agent has to answer hello. */
  helloTimeoutMs?: number;
}

/** A request failed on the agent's side as a whole, or the link went away under it. */
export class AgentError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** How one pending request consumes the frames addressed to it. */
interface Pending {
  onFrame(frame: Frame): void;
  fail(error: Error): void;
}

const KILL_GRACE_MS = 2_000;
/** Whole-file reads in flight ahead of the one being sent. */
const READ_AHEAD = 32;
/** How long a broken stream waits for the exit status before closing with what it knows. */
const EXIT_REASON_WAIT_MS = 250;

export class StreamAgentLink implements AgentLink {
  readonly closed: Promise<{ reason: string }>;
  private resolveClosed!: (value: { reason: string }) => void;
  private closeReason: string | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly decoder = new FrameDecoder(true);
  /** Set while a read stream's consumer is behind; the agent's output is paused until it drains. */
  private blockedOn: PassThrough | undefined;
  /** One promise for every writer waiting on the agent's stdin; rejected when the link closes. */
  private drained: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | undefined;
  private remoteListeners: ((paths: string[]) => void)[] = [];
  private hello: HelloResult | undefined;

  /** Connects to an agent and checks its hello; the link is closed again if that fails. */
  static async connect(streams: AgentStreams, options: ConnectOptions = {}): Promise<StreamAgentLink> {
    const link = new StreamAgentLink(streams);
    const timeoutMs = options.helloTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AgentError('timeout', `The sync agent did not answer hello within ${timeoutMs} ms.`)), timeoutMs);
    });
    try {
      const hello = await Promise.race([link.request<HelloResult>({ op: 'hello' }), timeout]);
      if (hello.agent !== 'nhd-agent' || hello.version !== AGENT_PROTOCOL_VERSION) {
        throw new AgentError('version', `The sync agent speaks protocol ${hello.version}, the daemon ${AGENT_PROTOCOL_VERSION}.`);
      }
      link.hello = hello;
      return link;
    } catch (error) {
      link.shutDown(messageOf(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private constructor(private readonly streams: AgentStreams) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const { input, output, exited } = streams;
    output.on('data', (chunk: Buffer) => this.onBytes(chunk));
    output.on('end', () => this.lost('The sync agent closed its output.'));
    output.on('error', (error: Error) => this.lost(`The sync agent's output failed: ${error.message}`));
    input.on('error', (error: Error) => this.lost(`Writing to the sync agent failed: ${error.message}`));
    exited.then(
      (how) => this.shutDown(how),
      (error: unknown) => this.shutDown(`The sync agent's process failed: ${messageOf(error)}`),
    );
  }

  get root(): string {
    return this.hello?.root ?? '';
  }

  /** The agent's node version (`v24.1.0`), from its hello. */
  get agentNode(): string {
    return this.hello?.node ?? '';
  }

  async index(options: { hash?: boolean | string[] } = {}): Promise<IndexEntry[]> {
    const entries: IndexEntry[] = [];
    const request: AgentRequest = options.hash === undefined ? { op: 'index' } : { op: 'index', hash: options.hash };
    await this.request<{ count: number }>(request, (frame) => {
      for (const entry of decodeJson<WireIndexEntry[]>(frame)) entries.push(entry);
    });
    return entries;
  }

  async apply(ops: SyncOp[]): Promise<BatchResult> {
    const wireOps: WireSyncOp[] = ops.map(toWireOp);
    const id = this.nextId++;
    const result = this.request<ApplyResult>({ op: 'apply', ops: wireOps }, undefined, id);
    // Content follows the request in op order; the agent takes it as it reaches each write.
    const sending = this.sendContents(id, ops);
    const [applied] = await Promise.all([result, sending]);
    return applied;
  }

  read(path: string): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) => {
      if (this.closeReason !== undefined) {
        reject(new AgentError('closed', `The sync agent link is closed: ${this.closeReason}`));
        return;
      }
      const id = this.nextId++;
      const stream = new PassThrough({ highWaterMark: CHUNK_SIZE * 2 });
      let opened = false;
      this.pending.set(id, {
        onFrame: (frame) => {
          switch (frame.type) {
            case FrameType.Partial:
              opened = true;
              resolve(stream);
              return;
            case FrameType.Data:
              // A consumer that destroyed the stream gets nothing more; the rest of the file is dropped.
              if (!stream.destroyed && !stream.write(frame.payload)) this.blockOutput(stream);
              return;
            case FrameType.End: {
              this.pending.delete(id);
              const { error } = decodeJson<{ error?: WireError }>(frame);
              if (error) stream.destroy(new AgentError(error.code, error.message));
              else stream.end();
              return;
            }
            case FrameType.Error: {
              this.pending.delete(id);
              const { code, message } = decodeJson<WireError>(frame);
              const error = new AgentError(code, message);
              if (opened) stream.destroy(error);
              else reject(error);
              return;
            }
            default:
              this.protocolError(`unexpected frame type ${frame.type} for a read`);
          }
        },
        fail: (error) => {
          if (opened) stream.destroy(error);
          else reject(error);
        },
      });
      this.write(FrameType.Request, id, encodeJson({ op: 'read', path } satisfies AgentRequest)).catch((error: Error) => {
        if (this.pending.delete(id)) reject(error);
      });
    });
  }

  /**
   * Paths are relative to the root; '' stands for the whole root (the system did not name the file,
   * or the agent could no longer watch), which the daemon answers by comparing indexes.
   */
  onRemoteChange(listener: (paths: string[]) => void): void {
    this.remoteListeners.push(listener);
    if (this.remoteListeners.length > 1 || this.closeReason !== undefined) return;
    const id = this.nextId++;
    this.pending.set(id, {
      onFrame: (frame) => {
        if (frame.type === FrameType.Partial) {
          const { paths } = decodeJson<{ paths: string[] }>(frame);
          for (const l of this.remoteListeners) l(paths);
        } else if (frame.type === FrameType.Error) {
          // The agent can no longer watch: '' (the whole root) tells the daemon to re-index instead.
          this.pending.delete(id);
          for (const l of this.remoteListeners) l(['']);
        }
      },
      fail: () => undefined,
    });
    this.write(FrameType.Request, id, encodeJson({ op: 'watch' } satisfies AgentRequest)).catch(() => undefined);
  }

  close(): void {
    if (this.closeReason !== undefined) return;
    this.shutDown('The link was closed by the daemon.');
  }

  // -------------------------------------------------------------------------------------------

  /** Sends a request and resolves with its Result frame; Partial frames go to `onPartial`. */
  private request<T>(request: AgentRequest, onPartial?: (frame: Frame) => void, id = this.nextId++): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closeReason !== undefined) {
        reject(new AgentError('closed', `The sync agent link is closed: ${this.closeReason}`));
        return;
      }
      this.pending.set(id, {
        onFrame: (frame) => {
          switch (frame.type) {
            case FrameType.Partial:
              if (onPartial) onPartial(frame);
              return;
            case FrameType.Result:
              this.pending.delete(id);
              resolve(decodeJson<T>(frame));
              return;
            case FrameType.Error: {
              this.pending.delete(id);
              const { code, message } = decodeJson<WireError>(frame);
              reject(new AgentError(code, `The sync agent failed ${request.op}: ${message}`));
              return;
            }
            default:
              this.protocolError(`unexpected frame type ${frame.type} for ${request.op}`);
          }
        },
        fail: reject,
      });
      this.write(FrameType.Request, id, encodeJson(request)).catch((error: Error) => {
        if (this.pending.delete(id)) reject(error);
      });
    });
  }

  /** Streams each write's content, in op order, closing each file with an End frame. */
  private async sendContents(id: number, ops: SyncOp[]): Promise<void> {
    const writes = ops.filter((op): op is Extract<SyncOp, { op: 'write' }> => op.op === 'write');
    // Whole small files are read ahead while earlier ones are on the wire, so the agent never waits on a
    // thread-pool round trip per file; at most READ_AHEAD reads are in flight.
    const ahead: (Promise<Buffer> | undefined)[] = [];
    const readAhead = (i: number) => {
      const op = writes[i];
      if (!op?.read || ahead[i]) return;
      ahead[i] = op.read();
      ahead[i].catch(() => {});
    };
    for (let i = 0; i < READ_AHEAD; i++) readAhead(i);
    for (let i = 0; i < writes.length; i++) {
      const op = writes[i]!;
      readAhead(i + READ_AHEAD);
      // The request failed as a whole (or the link closed): nobody takes the rest.
      if (!this.pending.has(id)) return;
      let failure: WireError | undefined;
      const whole = ahead[i];
      ahead[i] = undefined;
      try {
        if (whole) {
          const buffer = await whole;
          if (!this.pending.has(id)) return;
          for (let offset = 0; offset < buffer.length; offset += CHUNK_SIZE) {
            await this.write(FrameType.Data, id, buffer.subarray(offset, offset + CHUNK_SIZE));
          }
        } else for await (const chunk of op.open()) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
          if (!this.pending.has(id)) return;
          for (let offset = 0; offset < buffer.length; offset += CHUNK_SIZE) {
            await this.write(FrameType.Data, id, buffer.subarray(offset, offset + CHUNK_SIZE));
          }
        }
      } catch (error) {
        if (this.closeReason !== undefined) return;
        failure = { code: 'source', message: `Reading the local file failed: ${messageOf(error)}` };
      }
      await this.write(FrameType.End, id, encodeJson(failure ? { error: failure } : {}));
    }
  }

  /** Writes one frame; resolves when the agent's stdin can take more. Rejects once closed. */
  private write(type: FrameType, id: number, payload: Buffer): Promise<void> {
    if (this.closeReason !== undefined) return Promise.reject(new AgentError('closed', `The sync agent link is closed: ${this.closeReason}`));
    if (payload.length + 5 > MAX_FRAME_LENGTH) {
      return Promise.reject(new AgentError('too-large', `A request of ${payload.length} bytes exceeds the agent's frame limit of ${MAX_FRAME_LENGTH}; send fewer ops per batch.`));
    }
    const { input } = this.streams;
    let ready = true;
    for (const buffer of encodeFrame(type, id, payload)) ready = input.write(buffer);
    if (ready) return Promise.resolve();
    if (!this.drained) {
      let settle!: { resolve: () => void; reject: (error: Error) => void };
      const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      // Handled here so a writer that gave up never causes an unhandled rejection.
      promise.catch(() => undefined);
      this.drained = { promise, ...settle };
      input.once('drain', () => {
        const drained = this.drained;
        this.drained = undefined;
        drained?.resolve();
      });
    }
    return this.drained.promise;
  }

  /** The streams broke: wait a moment for the process's exit, whose reason says more. */
  private lost(fallback: string): void {
    if (this.closeReason !== undefined) return;
    const timer = setTimeout(() => this.shutDown(fallback), EXIT_REASON_WAIT_MS);
    void this.streams.exited.then(
      (how) => {
        clearTimeout(timer);
        this.shutDown(how);
      },
      () => undefined,
    );
  }

  private onBytes(chunk: Buffer): void {
    if (this.closeReason !== undefined) return;
    try {
      this.decoder.push(chunk);
      this.pump();
    } catch (error) {
      this.protocolError(messageOf(error));
    }
  }

  /** Delivers buffered frames until a read stream's consumer falls behind. */
  private pump(): void {
    while (this.blockedOn === undefined && this.closeReason === undefined) {
      const frame = this.decoder.next();
      if (!frame) return;
      const pending = this.pending.get(frame.id);
      if (pending) pending.onFrame(frame);
    }
  }

  private blockOutput(stream: PassThrough): void {
    this.blockedOn = stream;
    this.streams.output.pause();
    const resume = () => {
      stream.off('drain', resume);
      stream.off('close', resume);
      if (this.blockedOn !== stream) return;
      this.blockedOn = undefined;
      if (this.closeReason !== undefined) return;
      this.streams.output.resume();
      try {
        this.pump();
      } catch (error) {
        this.protocolError(messageOf(error));
      }
    };
    stream.on('drain', resume);
    // A consumer that destroys the stream drops the rest of that file rather than stalling the link.
    stream.on('close', resume);
  }

  private protocolError(detail: string): void {
    this.shutDown(`The sync agent's stream is corrupt: ${detail}`);
  }

  private shutDown(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    const error = new AgentError('closed', `The sync agent link is closed: ${reason}`);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.fail(error);
    this.blockedOn = undefined;
    this.drained?.reject(error);
    this.drained = undefined;
    // EOF on stdin asks the agent to exit; kill() makes sure of it.
    try {
      this.streams.input.end();
    } catch {
      // Already broken.
    }
    if (this.streams.kill) {
      const kill = this.streams.kill;
      const timer = setTimeout(kill, KILL_GRACE_MS);
      timer.unref();
      void this.streams.exited.then(() => clearTimeout(timer), () => clearTimeout(timer));
    }
    this.resolveClosed({ reason });
  }
}

/** Keeps the end of an agent's stderr, so an exit reason can say what the agent last said. */
export class LogTail {
  private text = '';

  constructor(private readonly limit = 2_000) {}

  add(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.limit);
  }

  /** ` Its last output: "..."`, or nothing when it said nothing. */
  suffix(): string {
    const trimmed = this.text.trim();
    return trimmed ? ` Its last output: ${JSON.stringify(trimmed.slice(-500))}` : '';
  }
}

function toWireOp(op: SyncOp): WireSyncOp {
  if (op.op === 'write') {
    return { op: 'write', path: op.path, mode: op.mode, mtimeMs: op.mtimeMs, size: op.size, ...(op.ifUnchanged !== undefined ? { ifUnchanged: op.ifUnchanged } : {}) };
  }
  return op;
}
