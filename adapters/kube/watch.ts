/**
 * List-then-watch with resume, on client-node's Watch. The first list is delivered as ADDED events
 * and resolves the returned promise; afterwards a watch that the server ends cleanly is resumed
 * from the last resourceVersion seen, and a watch that fails (network, 410 Gone, an ERROR event) is
 * followed by a fresh list, diffed against what the caller was told: ADDED for new objects,
 * MODIFIED for changed ones, DELETED for those that vanished meanwhile. Stops on the signal.
 */
import { Watch, type KubeConfig, HttpMethod } from '@kubernetes/client-node';
import type { KubeObject, Logger, ResourceType, WatchEventType } from '../../server/ports';
import { KubeApiError, messageOf } from '../../server/ports';
import type { RawObjectApi } from './objectApi';
import { withType } from './objectApi';
import { toClusterError } from './errors';

export interface WatchOptions {
  kc: KubeConfig;
  api: RawObjectApi;
  namespace: string;
  type: ResourceType;
  labelSelector?: string | undefined;
  onEvent: (type: WatchEventType, object: KubeObject) => void;
  signal: AbortSignal;
  logger: Logger;
}

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export async function listAll(api: RawObjectApi, path: string, labelSelector: string | undefined, type: ResourceType): Promise<{ items: KubeObject[]; resourceVersion: string }> {
  const items: KubeObject[] = [];
  let cont: string | undefined;
  let resourceVersion = '';
  do {
    const list: any = await api.request({ method: HttpMethod.GET, path, query: { labelSelector, limit: 500, continue: cont } });
    items.push(...withType(list?.items, type));
    resourceVersion = list?.metadata?.resourceVersion ?? resourceVersion;
    cont = list?.metadata?.continue || undefined;
  } while (cont);
  return { items, resourceVersion };
}

export async function watchObjects(o: WatchOptions): Promise<void> {
  const path = await o.api.pathOf(o.type, o.namespace || undefined);
  const known = new Map<string, KubeObject>();
  let resourceVersion = '';

  const emit = (t: WatchEventType, obj: KubeObject) => {
    try {
      o.onEvent(t, obj);
    } catch (e) {
      o.logger.log('error', 'bug', 'watch handler threw', { error: e instanceof Error ? e.stack ?? e.message : String(e), kind: o.type.kind });
    }
  };

  /** Lists and tells the caller what changed since it last knew. */
  const relist = async () => {
    const list = await listAll(o.api, path, o.labelSelector, o.type);
    if (o.signal.aborted) return;
    const seen = new Set<string>();
    for (const obj of list.items) {
      const k = key(obj);
      seen.add(k);
      const before = known.get(k);
      known.set(k, obj);
      if (!before) emit('ADDED', obj);
      else if (before.metadata.uid !== obj.metadata.uid) {
        emit('DELETED', before);
        emit('ADDED', obj);
      } else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion) emit('MODIFIED', obj);
    }
    for (const [k, obj] of known) {
      if (!seen.has(k)) {
        known.delete(k);
        emit('DELETED', obj);
      }
    }
    resourceVersion = list.resourceVersion;
  };

  await relist();
  if (o.signal.aborted) return;
  void loop().catch((e) => o.logger.log('error', 'bug', 'watch loop failed', { error: String(e) }));

  /** One watch request; resolves 'ended' (server closed it: resume) or 'relist'. */
  function watchOnce(): Promise<'ended' | 'relist'> {
    return new Promise((resolve) => {
      const w = new Watch(o.kc);
      // The server ends each watch after timeoutSeconds; no byte for this long means a dead link.
      (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 90_000;
      let outcome: 'ended' | 'relist' = 'ended';
      let controller: AbortController | undefined;
      const onAbort = () => controller?.abort();
      o.signal.addEventListener('abort', onAbort, { once: true });
      const done = (err: unknown) => {
        o.signal.removeEventListener('abort', onAbort);
        if (err && !o.signal.aborted) {
          outcome = 'relist';
          o.logger.log('debug', 'daemon', 'watch dropped', { kind: o.type.kind, error: messageOf(err) });
        }
        resolve(outcome);
      };
      w.watch(
        path,
        { resourceVersion, allowWatchBookmarks: true, labelSelector: o.labelSelector, timeoutSeconds: 45 + Math.floor(Math.random() * 15) },
        (type: string, obj: any) => {
          if (o.signal.aborted) return;
          if (type === 'BOOKMARK') {
            if (obj?.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
            return;
          }
          if (type === 'ERROR') {
            // Usually 410 Gone: the resourceVersion is too old. A fresh list is the only way on.
            outcome = 'relist';
            controller?.abort();
            return;
          }
          if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
          const object = { apiVersion: o.type.apiVersion, kind: o.type.kind, ...obj } as KubeObject;
          if (object.metadata?.resourceVersion) resourceVersion = object.metadata.resourceVersion;
          if (type === 'DELETED') known.delete(key(object));
          else known.set(key(object), object);
          emit(type, object);
        },
        done,
      ).then(
        (c) => {
          controller = c;
          if (o.signal.aborted) c.abort();
        },
        (e) => done(e),
      );
    });
  }

  async function loop(): Promise<void> {
    let failures = 0;
    let mustRelist = false;
    while (!o.signal.aborted) {
      try {
        if (mustRelist) await relist();
        if (o.signal.aborted) return;
        const started = Date.now();
        const outcome = await watchOnce();
        mustRelist = outcome === 'relist';
        // A watch that lived a while was healthy; start backing off afresh.
        if (!mustRelist || Date.now() - started > 30_000) failures = 0;
      } catch (e) {
        mustRelist = true;
        const err = e instanceof KubeApiError ? e : toClusterError(e, o.api.server, o.api.context);
        o.logger.log('warn', 'daemon', 'watch re-list failed', { kind: o.type.kind, error: err.message });
      }
      if (mustRelist && !o.signal.aborted) {
        failures++;
        await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)), o.signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
