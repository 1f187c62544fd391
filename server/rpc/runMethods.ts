import { RunListRequest, RunOutputNotification, RunStartRequest, RunStopRequest, type WorkloadRef } from '../../protocol';
import type { Daemon } from '../daemon';
import { resolveScope } from '../kubeScope';
import type { RunClient } from '../run/runService';
import { handler, type ClientHandle, type MethodTable } from './handler';
import { boolean, nonEmptyString, object, oneOf, optional, workloadRefFields } from './params';

/** Requests of the run area. */
export function runMethods(daemon: Daemon): MethodTable {
  const clusterFor = (kubeconfig: string | undefined) => daemon.clusterFor(kubeconfig);
  return new Map([
    [
      RunStartRequest.method,
      handler(object({ ...workloadRefFields, hotReload: optional(boolean), mode: optional(oneOf('run', 'debug')) }), (p, { client, signal }) => {
        const scope = resolveScope(clusterFor, client.scope, p);
        const ref: WorkloadRef = { kind: p.kind, name: p.name };
        const options = { ...(p.hotReload === undefined ? {} : { hotReload: p.hotReload }), ...(p.mode === undefined ? {} : { mode: p.mode }) };
        return daemon.runs.start(scope, ref, options, runClient(client), signal);
      }),
    ],
    [RunStopRequest.method, handler(object({ runId: nonEmptyString }), (p) => daemon.runs.stop(p.runId))],
    [RunListRequest.method, handler(object({}), () => ({ runs: daemon.runs.list() }))],
  ]);
}

/** The connection as the run service sees it: an owner id, output, and its leaving. */
export function runClient(client: ClientHandle): RunClient {
  return {
    id: client.id,
    output: (params) => client.notify(RunOutputNotification.type, params),
    onClose: (listener) => client.onClose(listener),
  };
}
