import type { DapChannel, DapMessage } from '../ports';

/** A DAP response as the proxy reads it. */
export interface DapResponse extends DapMessage {
  type: 'response';
  request_seq: number;
  success: boolean;
  command: string;
  message?: string;
  body?: unknown;
}

export interface DapEvent extends DapMessage {
  type: 'event';
  event: string;
  body?: unknown;
}

export interface DapRequest extends DapMessage {
  type: 'request';
  command: string;
  arguments?: unknown;
}

/** The connection to the debugger went away while a request waited for its answer. */
export class ConnectionLostError extends Error {
  constructor(reason: string) {
    super(`the connection to the debugger closed (${reason})`);
    this.name = 'ConnectionLostError';
  }
}

/**
 * One connection to a debugger's DAP server, seen as requests with promised answers, events and
 * the debugger's own requests (runInTerminal, ...). Events that arrive before `listen` are kept
 * and delivered then, so nothing said during the handshake is lost.
 */
export class RemoteDebugger {
  private readonly pending = new Map<number, { resolve: (r: DapResponse) => void; reject: (e: Error) => void }>();
  private buffered: DapMessage[] | undefined = [];
  private onEvent: (event: DapEvent) => void = () => {};
  private onRequest: (request: DapRequest) => void = () => {};
  private lostReason: string | undefined;
  /** Resolves when the connection is gone; every waiting request has been rejected by then. */
  readonly closed: Promise<{ reason: string }>;

  constructor(readonly channel: DapChannel) {
    channel.onMessage((message) => this.receive(message));
    this.closed = channel.closed.then((r) => {
      this.lostReason = r.reason;
      const error = new ConnectionLostError(r.reason);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      return r;
    });
  }

  get isClosed(): boolean {
    return this.lostReason !== undefined;
  }

  /** Starts delivering events and reverse requests (and those that came before). */
  listen(onEvent: (event: DapEvent) => void, onRequest: (request: DapRequest) => void): void {
    this.onEvent = onEvent;
    this.onRequest = onRequest;
    const early = this.buffered ?? [];
    this.buffered = undefined;
    for (const m of early) this.dispatch(m);
  }

  /**
   * Sends a request; resolves with its response, successful or not. Rejects with
   * ConnectionLostError when the connection closes first, or an Error after `timeoutMs`.
   */
  request(command: string, args: unknown, timeoutMs?: number): Promise<DapResponse> {
    if (this.lostReason !== undefined) return Promise.reject(new ConnectionLostError(this.lostReason));
    const message: { type: 'request'; command: string; arguments?: unknown } = { type: 'request', command };
    if (args !== undefined) message.arguments = args;
    const seq = this.channel.send(message);
    return new Promise<DapResponse>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.pending.delete(seq);
          reject(new Error(`the debugger did not answer ${command} within ${Math.round(timeoutMs / 100) / 10} s`));
        }, timeoutMs);
      }
      this.pending.set(seq, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /** Answers one of the debugger's own requests. */
  respond(requestSeq: number, response: { command: string; success: boolean; message?: string; body?: unknown }): void {
    if (this.lostReason !== undefined) return;
    this.channel.send({ type: 'response', request_seq: requestSeq, ...response });
  }

  close(): void {
    this.channel.close();
  }

  private receive(message: DapMessage): void {
    if (message.type === 'response') {
      const p = this.pending.get(message['request_seq'] as number);
      if (p) {
        this.pending.delete(message['request_seq'] as number);
        p.resolve(message as DapResponse);
      }
      return;
    }
    if (this.buffered) this.buffered.push(message);
    else this.dispatch(message);
  }

  private dispatch(message: DapMessage): void {
    if (message.type === 'event') this.onEvent(message as DapEvent);
    else if (message.type === 'request') this.onRequest(message as DapRequest);
  }
}
