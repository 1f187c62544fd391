import { DebugListenRequest, DebugStartRequest, type WorkloadRef } from '../../protocol';
import type { Daemon } from '../daemon';
import { resolveScope } from '../kubeScope';
import { handler, type MethodTable } from './handler';
import { boolean, integer, nonEmptyString, object, optional, progressToken, scopeFields, workloadRefFields } from './params';
import { runClient } from './runMethods';

/** Requests of the debug area. */
export function debugMethods(daemon: Daemon): MethodTable {
  const clusterFor = (kubeconfig: string | undefined) => daemon.clusterFor(kubeconfig);
  return new Map([
    [
      DebugListenRequest.method,
      handler(object({ ...scopeFields }), (p, { client }) => {
        const defaults = { ...client.scope, ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.context ? { context: p.context } : {}) };
        return daemon.debug.listen((params) => resolveScope(clusterFor, defaults, params), runClient(client));
      }),
    ],
    [
      DebugStartRequest.method,
      handler(
        object({
          ...workloadRefFields,
          container: optional(nonEmptyString),
          localDir: optional(nonEmptyString),
          hotReload: optional(boolean),
          localPort: optional(integer(0, 65535)),
          workDoneToken: optional(progressToken),
        }),
        async (p, { client, signal, progress }) => {
          const scope = resolveScope(clusterFor, client.scope, p);
          const ref: WorkloadRef = { kind: p.kind, name: p.name };
          progress.begin(`Debugging ${p.kind}/${p.name}`);
          try {
            const options = {
              ...(p.container !== undefined ? { container: p.container } : {}),
              ...(p.localDir !== undefined ? { localDir: p.localDir } : {}),
              ...(p.hotReload !== undefined ? { hotReload: p.hotReload } : {}),
              ...(p.localPort !== undefined ? { localPort: p.localPort } : {}),
            };
            return await daemon.debug.prepare(scope, ref, options, runClient(client), progress, signal);
          } finally {
            progress.done();
          }
        },
        true,
      ),
    ],
  ]);
}
