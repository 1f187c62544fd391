import {
  LogsOutputNotification,
  LogsStreamRequest,
  PortForwardListRequest,
  PortForwardStartRequest,
  PortForwardStopRequest,
  TerminalCloseRequest,
  TerminalExitNotification,
  TerminalInputNotification,
  TerminalOpenRequest,
  TerminalOutputNotification,
  TerminalResizeNotification,
  type WorkloadKind,
} from '../../protocol';
import type { Daemon } from '../daemon';
import { resolveScope } from '../kubeScope';
import type { TerminalClient } from '../terminal/terminalService';
import { handler, type ClientHandle, type MethodTable } from './handler';
import { arrayOf, boolean, integer, nonEmptyString, object, optional, readParams, string, workloadRefFields } from './params';
import { messageOf } from '../errors';


const port = integer(1, 65535);

/** Requests of the terminal, port-forward and logs areas. */
export function streamMethods(daemon: Daemon): MethodTable {
  const clusterFor = (kubeconfig: string | undefined) => daemon.clusterFor(kubeconfig);
  const ref = <P extends { kind: WorkloadKind; name: string; context?: string; namespace?: string }>(p: P) => {
    const r: { kind: WorkloadKind; name: string; context?: string; namespace?: string } = { kind: p.kind, name: p.name };
    if (p.context !== undefined) r.context = p.context;
    if (p.namespace !== undefined) r.namespace = p.namespace;
    return r;
  };
  return new Map([
    [
      TerminalOpenRequest.method,
      handler(
        object({
          ...workloadRefFields,
          container: optional(nonEmptyString),
          command: optional(arrayOf(string, true)),
          tty: optional(boolean),
          cols: optional(integer(1, 10_000)),
          rows: optional(integer(1, 10_000)),
        }),
        (p, { client }) => {
          const scope = resolveScope(clusterFor, client.scope, p);
          const { kind: _k, name: _n, context: _c, namespace: _ns, ...rest } = p;
          return daemon.terminals.open(scope, { ...rest, ref: ref(p) }, terminalClient(client));
        },
      ),
    ],
    [
      TerminalCloseRequest.method,
      handler(object({ terminalId: nonEmptyString }), (p, { client }) => {
        daemon.terminals.close(p.terminalId, terminalClient(client));
        return null;
      }),
    ],
    [
      PortForwardStartRequest.method,
      handler(object({ ...workloadRefFields, localPort: integer(0, 65535), remotePort: port }), (p, { client }) =>
        daemon.portForwards.start(resolveScope(clusterFor, client.scope, p), ref(p), p.localPort, p.remotePort),
      ),
    ],
    [PortForwardListRequest.method, handler(object({}), () => ({ portForwards: daemon.portForwards.list() }))],
    [PortForwardStopRequest.method, handler(object({ id: nonEmptyString }), (p) => ({ portForwards: daemon.portForwards.stop(p.id) }))],
    [
      LogsStreamRequest.method,
      handler(
        object({
          ...workloadRefFields,
          container: optional(nonEmptyString),
          follow: optional(boolean),
          tailLines: optional(integer(0, Number.MAX_SAFE_INTEGER)),
          streamId: string,
        }),
        (p, { client, signal }) => {
          const options: { container?: string; follow: boolean; tailLines?: number } = { follow: p.follow ?? false };
          if (p.container !== undefined) options.container = p.container;
          if (p.tailLines !== undefined) options.tailLines = p.tailLines;
          const scope = resolveScope(clusterFor, client.scope, p);
          return daemon.logs.stream(scope, ref(p), options, (text) => client.notify(LogsOutputNotification.type, { streamId: p.streamId, text }), signal);
        },
        // Not `long`: a log reports no progress (its output is the progress), and $/cancelRequest
        // reaches every request anyway.
      ),
    ],
  ]);
}

/**
 * The client→server notifications of these areas (terminal input and resize). Requests come from
 * method tables; notifications have no answer, so bad params are dropped (and logged).
 */
export function terminalNotifications(daemon: Daemon): Map<string, (params: unknown, client: ClientHandle) => void> {
  const dropBad = (method: string, read: () => void) => {
    try {
      read();
    } catch (error) {
      daemon.log.log('warn', 'rpc.badInput', `${method}: ${messageOf(error)}`);
    }
  };
  const readInput = object({ terminalId: nonEmptyString, data: string, eof: optional(boolean) });
  const readResize = object({ terminalId: nonEmptyString, cols: integer(1, 10_000), rows: integer(1, 10_000) });
  return new Map([
    [
      TerminalInputNotification.method,
      (params: unknown, client: ClientHandle) =>
        dropBad(TerminalInputNotification.method, () => {
          const p = readParams(readInput, params);
          daemon.terminals.input(p.terminalId, Buffer.from(p.data, 'base64'), p.eof ?? false, terminalClient(client));
        }),
    ],
    [
      TerminalResizeNotification.method,
      (params: unknown, client: ClientHandle) =>
        dropBad(TerminalResizeNotification.method, () => {
          const p = readParams(readResize, params);
          daemon.terminals.resize(p.terminalId, p.cols, p.rows, terminalClient(client));
        }),
    ],
  ]);
}

/** The connection as the terminal service sees it: an owner id and two kinds of message. */
function terminalClient(client: ClientHandle): TerminalClient {
  return {
    id: client.id,
    output: (params) => client.notify(TerminalOutputNotification.type, params),
    exit: (params) => client.notify(TerminalExitNotification.type, params),
    onClose: (listener) => client.onClose(listener),
  };
}
