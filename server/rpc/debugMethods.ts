import { DebugListenRequest, DebugStartRequest } from '../../protocol';
import type { Services } from '../services';
import { clusterScope, debugPrepareOptions, workloadRef } from './fromWire';
import { handle, type MethodTable } from './handler';
import { boolean, integer, nonEmptyString, object, oneOf, optional, progressToken, scopeFields, workloadRefFields } from './params';
import { runClient } from './runMethods';

/** Requests of the debug area. */
export function debugMethods({ debug }: Services): MethodTable {
  return [
    // Each attach on the listener resolves its own scope: the attach's, else this request's.
    // No transport: protocol 0.1's TCP, whose result older clients read (with the secret now required).
    handle(DebugListenRequest, object({ ...scopeFields, transport: optional(oneOf('socket', 'tcp')) }), (p, context) =>
      debug.listen((attach) => context.scope(attach, clusterScope(p)), runClient(context.client), p.transport ?? 'tcp'),
    ),
    handle(
      DebugStartRequest,
      object({
        ...workloadRefFields,
        container: optional(nonEmptyString),
        localDir: optional(nonEmptyString),
        hotReload: optional(boolean),
        localPort: optional(integer(0, 65535)),
        workDoneToken: optional(progressToken),
      }),
      async (p, context) => {
        const { progress } = context;
        const scope = context.scope(p);
        progress.begin(`Debugging ${p.kind}/${p.name}`);
        try {
          return await debug.prepare(scope, workloadRef(p), debugPrepareOptions(p), runClient(context.client), progress, context.signal);
        } finally {
          progress.done();
        }
      },
      { long: true },
    ),
  ];
}
