import * as net from 'node:net';
import { ProtocolServer } from '@vscode/debugadapter/lib/protocol';
import type { DapChannel, DapConnector, DapMessage, DebugEndpoint } from '../../server/ports';

/**
 * DapChannels on @vscode/debugadapter's ProtocolServer, which owns the framing (Content-Length
 * headers) and numbers what it sends. One class serves both ends of the proxy: the IDE's streams
 * (stdio of `nhd dap`, a socket of the daemon's DAP endpoint, any pair of streams) and the TCP
 * connection to a debugger.
 */
class ProtocolChannel extends ProtocolServer implements DapChannel {
  private listener: (message: DapMessage) => void = () => {};
  private lastSeq = 0;
  private resolveClosed!: (r: { reason: string }) => void;
  private isClosed = false;
  readonly closed = new Promise<{ reason: string }>((resolve) => (this.resolveClosed = resolve));

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
  ) {
    super();
    // DAP is small messages in lock step: Nagle's algorithm would hold each for a delayed ACK.
    (output as Partial<net.Socket>).setNoDelay?.(true);
    // ProtocolServer tells what it sent (with its seq) to one listener.
    this.onDidSendMessage((m) => (this.lastSeq = (m as DapMessage).seq));
    this.on('close', () => this.finish('the peer closed the stream'));
    this.on('error', (e: { body?: unknown }) => this.finish(String(e?.body ?? 'stream error')));
    input.on('end', () => this.finish('the peer closed the stream'));
    this.start(input, output);
  }

  override handleMessage(message: DapMessage): void {
    if (message && typeof message === 'object' && (message.type === 'request' || message.type === 'response' || message.type === 'event')) {
      this.listener(message);
    }
  }

  onMessage(listener: (message: DapMessage) => void): void {
    this.listener = listener;
  }

  send(message: { type: DapMessage['type']; [key: string]: unknown }): number {
    if (this.isClosed) return -1;
    const { type, ...rest } = message;
    const m = { ...rest, seq: 0 } as never;
    if (type === 'event') this.sendEvent(m);
    else if (type === 'response') this.sendResponse(m);
    else {
      const { command, arguments: args } = rest as { command: string; arguments?: unknown };
      this.sendRequest(command, args, 0, undefined as never);
    }
    return this.lastSeq;
  }

  close(): void {
    if (this.isClosed) return;
    this.stop();
    (this.output as Partial<net.Socket>).destroySoon?.();
    this.finish('closed by nhd');
  }

  private finish(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.resolveClosed({ reason });
  }
}

/** A DapChannel over any pair of streams (stdio, a socket, an in-memory pair). */
export function dapStreamChannel(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): DapChannel {
  return new ProtocolChannel(input, output);
}

/** Connects to a debugger's DAP server over TCP: one attempt, rejected when refused. */
export const connectDap: DapConnector = (endpoint: DebugEndpoint, signal: AbortSignal) =>
  new Promise<DapChannel>((resolve, reject) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    const abort = () => socket.destroy(new Error('cancelled'));
    signal.addEventListener('abort', abort, { once: true });
    socket.once('error', (e) => {
      signal.removeEventListener('abort', abort);
      reject(e);
    });
    socket.once('connect', () => {
      signal.removeEventListener('abort', abort);
      socket.removeAllListeners('error');
      socket.on('error', () => {}); // reported through the channel's close
      socket.on('close', () => socket.emit('end'));
      resolve(dapStreamChannel(socket, socket));
    });
  });
