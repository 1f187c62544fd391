import {
  AppInstallRequest,
  AppUninstallRequest,
  DevEndRequest,
  DevStartRequest,
  DevStatusRequest,
  KubeContextsRequest,
  SyncResyncRequest,
  SyncStatusRequest,
  KubeNamespacesRequest,
  WorkloadsDidChangeNotification,
  WorkloadsListRequest,
  WorkloadsUnwatchRequest,
  WorkloadsWatchRequest,
} from '../../protocol';
import type { Daemon } from '../daemon';
import { kubeCall, kubeCallAsync, resolveScope } from '../kubeScope';
import { handler, type ClientHandle, type MethodTable } from './handler';
import { arrayOf, boolean, finiteNumber, nonEmptyString, object, optional, progressToken, scopeFields, workloadKind, workloadRefFields } from './params';


/** Browsing, dev mode and app install: the methods that work on a cluster. */
export function clusterMethods(daemon: Daemon): MethodTable {
  const scopeOf = (client: ClientHandle, params: { context?: string; namespace?: string }) =>
    resolveScope((kubeconfig) => daemon.clusterFor(kubeconfig), client.scope, params);
  return new Map([
    [
      KubeContextsRequest.method,
      handler(object({}), (_, { client }) => {
        const config = kubeCall(() => daemon.clusterFor(client.scope.kubeconfig).config());
        return { files: config.files, current: client.scope.context ?? config.currentContext, contexts: config.contexts };
      }),
    ],
    [
      KubeNamespacesRequest.method,
      handler(object({ context: optional(nonEmptyString) }), async (p, { client }) => {
        const scope = scopeOf(client, p);
        return { context: scope.context, namespaces: await kubeCallAsync(() => scope.cluster.namespaces(scope.context)) };
      }),
    ],
    [
      WorkloadsListRequest.method,
      handler(object({ ...scopeFields, kinds: optional(arrayOf(workloadKind)) }), async (p, { client }) => {
        const scope = scopeOf(client, p);
        return { context: scope.context, namespace: scope.namespace, workloads: await daemon.workloads.list(scope, p.kinds) };
      }),
    ],
    [
      WorkloadsWatchRequest.method,
      handler(object(scopeFields), async (p, { client }) => {
        const scope = scopeOf(client, p);
        let watchId = '';
        const started = await daemon.workloads.watch(scope, (workloads) =>
          client.notify(WorkloadsDidChangeNotification.type, { watchId, context: scope.context, namespace: scope.namespace, workloads }),
        );
        watchId = started.watchId;
        client.onClose(() => {
          try {
            daemon.workloads.unwatch(watchId);
          } catch {
            // Already stopped by the client.
          }
        });
        return { watchId, context: scope.context, namespace: scope.namespace, workloads: started.workloads };
      }),
    ],
    [
      WorkloadsUnwatchRequest.method,
      handler(object({ watchId: nonEmptyString }), (p) => {
        daemon.workloads.unwatch(p.watchId);
        return null;
      }),
    ],
    [
      DevStartRequest.method,
      handler(
        object({
          ...workloadRefFields,
          localDir: optional(nonEmptyString),
          sync: optional(boolean),
          container: optional(nonEmptyString),
          image: optional(nonEmptyString),
          workDir: optional(nonEmptyString),
          force: optional(boolean),
          timeoutSeconds: optional(finiteNumber),
          workDoneToken: optional(progressToken),
        }),
        (p, { client, progress, signal }) => daemon.dev.start(scopeOf(client, p), p, progress, signal),
        true,
      ),
    ],
    [
      DevEndRequest.method,
      handler(object({ ...workloadRefFields, force: optional(boolean), workDoneToken: optional(progressToken) }), (p, { client, progress, signal }) =>
        daemon.dev.end(scopeOf(client, p), p, progress, signal),
      true),
    ],
    [DevStatusRequest.method, handler(object({}), () => ({ sessions: daemon.dev.list() }))],
    [SyncStatusRequest.method, handler(object({}), () => ({ sessions: daemon.sync.list() }))],
    [
      SyncResyncRequest.method,
      handler(object({ sessionId: nonEmptyString, allowDeletes: optional(boolean) }), (p) =>
        daemon.sync.resync(p.sessionId, p.allowDeletes ? { allowDeletes: true } : {}),
      ),
    ],
    [
      AppInstallRequest.method,
      handler(
        object({ ...scopeFields, dir: nonEmptyString, name: optional(nonEmptyString), wait: optional(boolean), timeoutSeconds: optional(finiteNumber), workDoneToken: optional(progressToken) }),
        (p, { client, progress, signal }) => daemon.apps.install(scopeOf(client, p), p, progress, signal),
        true,
      ),
    ],
    [
      AppUninstallRequest.method,
      handler(object({ ...scopeFields, name: nonEmptyString, workDoneToken: optional(progressToken) }), (p, { client, progress }) =>
        daemon.apps.uninstall(scopeOf(client, p), p.name, progress),
      true),
    ],
  ]);
}
