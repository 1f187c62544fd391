import type { NotificationType, RequestType } from 'vscode-languageserver/node';
import type { ClusterScope, NhdInitializationOptions } from '../../protocol';
import { messageOf } from '../errors';
import type { Scope } from '../kubeScope';
import type { Cluster, Logger } from '../ports';
import { readParams, type Reader } from './params';
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
  /** The Cluster of the client's KUBECONFIG. */
  cluster(): Cluster;
  /**
   * Where the request works: the context and namespace of `params`, else of `defaults`, else the
   * client's initializationOptions, else the kubeconfig's (see kubeScope.ts). Usable after the
   * request was answered (a DAP listener resolves its attaches later).
   */
  scope(params: ClusterScope, defaults?: ClusterScope): Scope;
}

/**
 * One method as a table holds it: its name, whether it is long work (progress, cancellation), and
 * how to read raw params into the call that serves them. Reading comes first and alone, so that bad
 * params are refused before any progress or work starts.
 */
export interface Method {
  readonly method: string;
  readonly long: boolean;
  /** Reads the params (throwing InvalidParams naming the field) and returns the call serving them. */
  bind(params: unknown): (context: RequestContext) => unknown;
}

/** A table of methods; each area of the protocol contributes one. */
export type MethodTable = readonly Method[];

/**
 * A method from its protocol request type: `read` must produce the request's params (or a narrower
 * type) and `serve` must return the request's result, so the compiler holds both to the protocol.
 */
export function handle<P, R, Q extends P>(
  request: { readonly method: string; readonly type: RequestType<P, R, void> },
  read: Reader<Q>,
  serve: (params: Q, context: RequestContext) => R | Promise<R>,
  options: { long?: boolean } = {},
): Method {
  return {
    method: request.method,
    long: options.long ?? false,
    bind: (raw) => {
      const params = readParams(read, raw);
      return (context) => serve(params, context);
    },
  };
}

/** Methods by name, refusing a table that serves one twice. */
export function byMethod(...tables: MethodTable[]): Map<string, Method> {
  const methods = new Map<string, Method>();
  for (const entry of tables.flat()) {
    if (methods.has(entry.method)) throw new Error(`${entry.method} is served twice`);
    methods.set(entry.method, entry);
  }
  return methods;
}

/**
 * Reads a notification's params, or logs why they are refused (`rpc.badInput`) and gives
 * undefined: a notification has no answer, so the log is where a client's mistake shows.
 */
export function readNotificationParams<P>(log: Logger, method: string, read: Reader<P>, raw: unknown, clientId?: number): P | undefined {
  try {
    return readParams(read, raw);
  } catch (error) {
    log.log('warn', 'rpc.badInput', `${method}: ${messageOf(error)}`, clientId === undefined ? undefined : { client: clientId });
    return undefined;
  }
}
