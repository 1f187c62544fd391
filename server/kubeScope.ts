import { ErrorCode, type ClusterScope, type NhdInitializationOptions, type WorkloadKind, type WorkloadRef } from '../protocol';
import { NhdError } from './errors';
import { KubeApiError, KubeUnreachableError, type Cluster, type KubeObject } from './ports';
import { KINDS } from './devMode/kinds';

/** A cluster, a context and a namespace: where one request works. */
export interface Scope {
  cluster: Cluster;
  context: string;
  namespace: string;
}

/**
 * Where a request works: its own context and namespace, else the client's initializationOptions,
 * else the kubeconfig's current context and that context's namespace (as kubectl does).
 */
export function resolveScope(clusterFor: (kubeconfig: string | undefined) => Cluster, client: NhdInitializationOptions, params: ClusterScope): Scope {
  const cluster = clusterFor(client.kubeconfig);
  let context = params.context ?? client.context;
  if (context === undefined) {
    context = kubeCall(() => cluster.config().currentContext);
    if (!context) throw new NhdError(ErrorCode.KubeUnreachable, 'The kubeconfig has no current-context; pass --context or run `kubectl config use-context NAME`.');
  }
  const namespace = params.namespace ?? client.namespace ?? kubeCall(() => cluster.defaultNamespace(context));
  return { cluster, context, namespace };
}

/** A dev session's id: where the workload is and which it is (`context/namespace/kind/name`). */
export function sessionIdOf(scope: { context: string; namespace: string }, ref: { kind: WorkloadKind; name: string }): string {
  return `${scope.context}/${scope.namespace}/${ref.kind}/${ref.name}`;
}

/** `deployment/authors`, for messages. */
export function describe(ref: { kind: WorkloadKind; name: string }): string {
  return `${ref.kind}/${ref.name}`;
}

/** Reads a workload or fails with WorkloadNotFound, naming where it looked and what to do. */
export async function getWorkload(scope: Scope, ref: WorkloadRef): Promise<KubeObject> {
  const object = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, KINDS[ref.kind].type, ref.name));
  if (!object) {
    throw new NhdError(
      ErrorCode.WorkloadNotFound,
      `${describe(ref)} was not found in namespace ${scope.namespace} (context ${scope.context}); \`nhd ls -n ${scope.namespace}\` lists its workloads.`,
    );
  }
  return object;
}

/** Runs a cluster call, turning its errors into NhdErrors a person can act on. */
export async function kubeCallAsync<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toNhdError(error);
  }
}

export function kubeCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw toNhdError(error);
  }
}

/**
 * A cluster call's error as what it is. Only two kinds become cluster errors: the API's answers
 * (KubeApiError: KubeApi, with status and reason) and requests that never got an answer
 * (KubeUnreachable, with the message as thrown): the port's KubeUnreachableError (the adapter
 * names the server or the kubeconfig file and the cause), and a Node system error of the network or
 * TLS (see isNetworkError), itself or as the cause of what was thrown (a stream that broke). Anything
 * else (a TypeError, a failed assertion) is left as it is, so the request guard reports it as the
 * bug it is (reportBug, ErrorCode.Internal) instead of telling the user the cluster is unreachable.
 */
export function toNhdError(error: unknown): unknown {
  if (error instanceof NhdError) return error;
  if (error instanceof KubeApiError) return new NhdError(ErrorCode.KubeApi, `Kubernetes refused: ${error.message}`, { status: error.status, reason: error.reason });
  if (error instanceof KubeUnreachableError || (error instanceof Error && isNetworkError(error))) return new NhdError(ErrorCode.KubeUnreachable, error.message);
  return error;
}

/** Node's (and undici's) codes for a connection that failed, broke or timed out, and for TLS failures. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'EPIPE',
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);
const NETWORK_CODE_PREFIXES = ['ERR_TLS_', 'ERR_SSL_', 'CERT_', 'UND_ERR_'];

/** True when `error`, or an error in its cause chain (or an AggregateError's errors), is a network or TLS failure. */
export function isNetworkError(error: unknown, seen = new Set<unknown>()): boolean {
  if (!(error instanceof Error) || seen.has(error)) return false;
  seen.add(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || NETWORK_CODE_PREFIXES.some((prefix) => code.startsWith(prefix)))) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isNetworkError(inner, seen))) return true;
  return isNetworkError(error.cause, seen);
}
