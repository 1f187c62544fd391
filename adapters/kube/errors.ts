/**
 * Errors as the Cluster port promises them: a KubeApiError with the API's own Status (status,
 * reason, message) for anything the API server answered, a KubeUnreachableError naming the server
 * and the cause for anything that never reached it.
 */
import { ApiException } from '@kubernetes/client-node';
import { KubeApiError, KubeUnreachableError } from '../../server/ports';

/** The API does not serve this apiVersion/kind (discovery found nothing); never "object not found". */
export class UnknownTypeError extends KubeApiError {
  constructor(apiVersion: string, kind: string, detail?: string) {
    super(404, 'NotFound', `the server doesn't have a resource type ${kind} in ${apiVersion}${detail ? ` (${detail})` : ''}`);
  }
}

/** A KubeApiError from a Status object (or whatever the server sent instead). */
export function statusError(httpStatus: number, body: unknown, fallback?: string): KubeApiError {
  let status: any = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString();
    try {
      status = JSON.parse(text);
    } catch {
      status = { message: text.trim() };
    }
  }
  const code = typeof status?.code === 'number' && status.code > 0 ? status.code : httpStatus;
  const reason = typeof status?.reason === 'string' && status.reason ? status.reason : reasonFor(code);
  const message = typeof status?.message === 'string' && status.message ? status.message : (fallback ?? `the server answered ${code} ${reason}`);
  return new KubeApiError(code, reason, message);
}

function reasonFor(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return 'Unknown';
  }
}

/** The innermost cause of a network failure, as a short string (`connect ECONNREFUSED 127.0.0.1:6443`). */
export function causeOf(e: unknown): string {
  let cur: any = e;
  const seen = new Set<unknown>();
  while (cur && typeof cur === 'object' && cur.cause && !seen.has(cur.cause)) {
    seen.add(cur);
    cur = cur.cause;
  }
  if (cur instanceof Error) {
    // AggregateError (several addresses tried) carries the useful part in its errors.
    const agg = (cur as any).errors;
    if (!cur.message && Array.isArray(agg) && agg[0] instanceof Error) return agg[0].message;
    return cur.message || (cur as any).code || cur.name;
  }
  return String(cur);
}

/** Anything thrown by a request, turned into what the port promises. */
export function toClusterError(e: unknown, server: string, context: string): Error {
  if (e instanceof KubeApiError) return e;
  if (e instanceof ApiException) return statusError(e.code, e.body);
  if (e instanceof Error && e.name === 'AbortError') return e;
  return new KubeUnreachableError(`cannot reach the Kubernetes API server ${server} (context "${context}"): ${causeOf(e)}`, { cause: e });
}
