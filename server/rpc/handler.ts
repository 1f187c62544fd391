import type { NotificationType } from 'vscode-languageserver/node';
import type { NhdInitializationOptions } from '../../protocol';
import type { Reader } from './params';
import type { Progress } from './progress';

/** The connection a request came in on, as handlers may use it. */
export interface ClientHandle {
  readonly id: number;
  /** What the client passed in initializationOptions: its KUBECONFIG, context and namespace. */
  readonly scope: NhdInitializationOptions;
  /** Sends a notification to this client only (dropped once it left). */
  notify<P>(type: NotificationType<P>, params: P): void;
  /** Runs when the client leaves; terminals, log streams and watches it owns end there. */
  onClose(listener: () => void): void;
}

/** What a handler gets besides its params. */
export interface RequestContext {
  /** Fires on $/cancelRequest, window/workDoneProgress/cancel, or the client leaving. */
  signal: AbortSignal;
  progress: Progress;
  client: ClientHandle;
}

/** One `nhd/` method: how to read its params and how to serve it. */
export interface MethodHandler<P = unknown, R = unknown> {
  read: Reader<P>;
  serve(params: P, context: RequestContext): Promise<R> | R;
  /** Long work that reports progress and honours cancellation. */
  long?: boolean;
}

export function handler<P, R>(read: Reader<P>, serve: MethodHandler<P, R>['serve'], long = false): MethodHandler {
  return { read, serve, long } as MethodHandler;
}

/** A table of methods by name; each area of the protocol contributes one. */
export type MethodTable = Map<string, MethodHandler>;
