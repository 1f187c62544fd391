/**
 * A container's log through client-node's Log, into the caller's Writable (which is written to,
 * never ended: the caller owns it). client-node reports failures without the API's message, so a
 * failed request is asked again through the object API to get the Status.
 */
import { PassThrough } from 'node:stream';
import { Log, HttpMethod, type KubeConfig } from '@kubernetes/client-node';
import type { RawObjectApi } from './objectApi';
import { KubeUnreachableError } from '../../server/ports';

export interface LogOptions {
  follow: boolean;
  tailLines?: number | undefined;
}

export async function streamLogs(
  kc: KubeConfig,
  api: RawObjectApi,
  namespace: string,
  pod: string,
  container: string,
  options: LogOptions,
  out: NodeJS.WritableStream,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const relay = new PassThrough();
  relay.on('data', (chunk: Buffer) => {
    try {
      if (!(out as any).destroyed && !(out as any).writableEnded) out.write(chunk);
    } catch {
      // A broken consumer ends nothing else.
    }
  });
  // client-node pipes the response body into `relay` without an 'error' listener on the body: an
  // aborted or broken response would be an uncaught exception. 'pipe' hands us that body.
  let source: NodeJS.ReadableStream | undefined;
  let onSourceGone: (err?: Error) => void = () => {};
  relay.on('pipe', (src: NodeJS.ReadableStream) => {
    source = src;
    src.on('error', (e: Error) => onSourceGone(e));
    src.on('close', () => setImmediate(() => onSourceGone()));
  });
  let controller: AbortController | undefined;
  try {
    controller = await new Log(kc).log(namespace, pod, container, relay, {
      follow: options.follow,
      ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
    });
  } catch {
    // Ask again for the Status (pod or container not found, container not started, ...).
    await api.request({
      method: HttpMethod.GET,
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
      query: { container, tailLines: 1, limitBytes: 1 },
      text: true,
    });
    throw new KubeUnreachableError(`reading the log of ${namespace}/${pod} (${container}) failed on ${api.server}`);
  }
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const onAbort = () => {
      controller?.abort();
      finish();
    };
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (err && !signal.aborted) reject(err);
      else resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    relay.on('end', () => finish());
    // The body closed or failed without ending: the stream broke.
    onSourceGone = (e) => {
      if (relay.writableEnded) return;
      finish(new KubeUnreachableError(`the log stream of ${namespace}/${pod} (${container}) from ${api.server} broke${e ? `: ${e.message}` : ''}`));
    };
    if (source && (source as any).destroyed) onSourceGone();
  });
}
