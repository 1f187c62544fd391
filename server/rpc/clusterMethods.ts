import {
  AppInstallRequest,
  AppUninstallRequest,
  DevEndRequest,
  DevStartRequest,
  DevStatusRequest,
  KubeContextsRequest,
  KubeNamespacesRequest,
  SyncResyncRequest,
  SyncStatusRequest,
  WorkloadsDidChangeNotification,
  WorkloadsListRequest,
  WorkloadsUnwatchRequest,
  WorkloadsWatchRequest,
} from '../../protocol';
import type { Services } from '../services';
import { kubeCall, kubeCallAsync } from '../kubeScope';
import { resyncOptions } from './fromWire';
import { handle, type MethodTable } from './handler';
import { arrayOf, boolean, finiteNumber, nonEmptyString, object, optional, progressToken, scopeFields, workloadKind, workloadRefFields } from './params';

/** Browsing, dev mode and app install: the methods that work on a cluster. */
export function clusterMethods({ workloads, dev, sync, apps }: Services): MethodTable {
  return [
    handle(KubeContextsRequest, object({}), (_, { client, cluster }) => {
      const config = kubeCall(() => cluster().config());
      return { files: config.files, current: client.scope.context ?? config.currentContext, contexts: config.contexts };
    }),
    handle(KubeNamespacesRequest, object({ context: optional(nonEmptyString) }), async (p, context) => {
      const scope = context.scope(p);
      return { context: scope.context, namespaces: await kubeCallAsync(() => scope.cluster.namespaces(scope.context)) };
    }),
    handle(WorkloadsListRequest, object({ ...scopeFields, kinds: optional(arrayOf(workloadKind)) }), async (p, context) => {
      const scope = context.scope(p);
      return { context: scope.context, namespace: scope.namespace, workloads: await workloads.list(scope, p.kinds) };
    }),
    handle(WorkloadsWatchRequest, object(scopeFields), async (p, context) => {
      const { client } = context;
      const scope = context.scope(p);
      let watchId = '';
      const started = await workloads.watch(scope, (list) =>
        client.notify(WorkloadsDidChangeNotification.type, { watchId, context: scope.context, namespace: scope.namespace, workloads: list }),
      );
      watchId = started.watchId;
      client.onClose(() => {
        try {
          workloads.unwatch(watchId);
        } catch {
          // Already stopped by the client.
        }
      });
      return { watchId, context: scope.context, namespace: scope.namespace, workloads: started.workloads };
    }),
    handle(WorkloadsUnwatchRequest, object({ watchId: nonEmptyString }), (p) => {
      workloads.unwatch(p.watchId);
      return null;
    }),
    handle(
      DevStartRequest,
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
      (p, context) => dev.start(context.scope(p), p, context.progress, context.signal),
      { long: true },
    ),
    handle(
      DevEndRequest,
      object({ ...workloadRefFields, force: optional(boolean), workDoneToken: optional(progressToken) }),
      (p, context) => dev.end(context.scope(p), p, context.progress, context.signal),
      { long: true },
    ),
    handle(DevStatusRequest, object({}), () => ({ sessions: dev.list() })),
    handle(SyncStatusRequest, object({}), () => ({ sessions: sync.list() })),
    handle(SyncResyncRequest, object({ sessionId: nonEmptyString, allowDeletes: optional(boolean) }), (p) => sync.resync(p.sessionId, resyncOptions(p))),
    handle(
      AppInstallRequest,
      object({
        ...scopeFields,
        dir: nonEmptyString,
        name: optional(nonEmptyString),
        wait: optional(boolean),
        timeoutSeconds: optional(finiteNumber),
        workDoneToken: optional(progressToken),
      }),
      (p, context) => apps.install(context.scope(p), p, context.progress, context.signal),
      { long: true },
    ),
    handle(
      AppUninstallRequest,
      object({ ...scopeFields, name: nonEmptyString, workDoneToken: optional(progressToken) }),
      (p, context) => apps.uninstall(context.scope(p), p.name, context.progress),
      { long: true },
    ),
  ];
}
