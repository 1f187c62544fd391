import { RunListRequest, RunOutputNotification, RunStartRequest, RunStopRequest } from '../../protocol';
import type { RunClient } from '../run/runService';
import type { Services } from '../services';
import { runOptions, workloadRef } from './fromWire';
import { handle, type ClientHandle, type MethodTable } from './handler';
import { boolean, nonEmptyString, object, oneOf, optional, workloadRefFields } from './params';

/** Requests of the run area. */
export function runMethods({ runs }: Services): MethodTable {
  return [
    handle(RunStartRequest, object({ ...workloadRefFields, hotReload: optional(boolean), mode: optional(oneOf('run', 'debug')) }), (p, context) =>
      runs.start(context.scope(p), workloadRef(p), runOptions(p), runClient(context.client), context.signal),
    ),
    handle(RunStopRequest, object({ runId: nonEmptyString }), (p) => runs.stop(p.runId)),
    handle(RunListRequest, object({}), () => ({ runs: runs.list() })),
  ];
}

/** The connection as the run service sees it: an owner id, output, and its leaving. */
export function runClient(client: ClientHandle): RunClient {
  return {
    id: client.id,
    output: (params) => client.notify(RunOutputNotification.type, params),
    onClose: (listener) => client.onClose(listener),
  };
}
