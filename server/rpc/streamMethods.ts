import {
  LogsOutputNotification,
  LogsStreamRequest,
  PortForwardDidChangeNotification,
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
import { LogsService } from '../logs/logsService';
import { PortForwardService } from '../portForward/portForwardService';
import { TerminalService, type TerminalClient } from '../terminal/terminalService';
import { handler, type ClientHandle, type MethodTable } from './handler';
import { arrayOf, boolean, integer, nonEmptyString, object, optional, readParams, string, workloadKind } from './params';

/** The daemon's terminals, port-forwards and log streams: one of each per daemon. */
export interface StreamServices {
  terminals: TerminalService;
  portForwards: PortForwardService;
  logs: LogsService;
}

/** Builds the services; port-forward changes go to every client, and forwards keep the daemon up. */
export function createStreamServices(daemon: Daemon): StreamServices {
  const portForwards = new PortForwardService(daemon.log, (list) => {
    daemon.broadcast(PortForwardDidChangeNotification.method, { portForwards: list });
    daemon.emit('statusChanged');
    if (daemon.isIdle()) daemon.emit('idle');
  });
  daemon.addHolder(() => portForwards.count());
  const terminals = new TerminalService(daemon.log);
  // Listening sockets and pod watches would keep a stopped daemon's process (and its ports) alive.
  daemon.once('stopRequested', () => {
    portForwards.dispose();
    terminals.dispose();
  });
  return { terminals, portForwards, logs: new LogsService() };
}

const servicesByDaemon = new WeakMap<Daemon, StreamServices>();

/** The daemon's one set of services (connections come and go; the services stay). */
export function streamServicesFor(daemon: Daemon): StreamServices {
  let services = servicesByDaemon.get(daemon);
  if (!services) {
    services = createStreamServices(daemon);
    servicesByDaemon.set(daemon, services);
  }
  return services;
}

const workloadFields = {
  kind: workloadKind,
  name: nonEmptyString,
  context: optional(nonEmptyString),
  namespace: optional(nonEmptyString),
};

const port = integer(1, 65535);

/** Requests of the terminal, port-forward and logs areas. */
export function streamMethods(daemon: Daemon, services: StreamServices): MethodTable {
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
          ...workloadFields,
          container: optional(nonEmptyString),
          command: optional(arrayOf(string, true)),
          tty: optional(boolean),
          cols: optional(integer(1, 10_000)),
          rows: optional(integer(1, 10_000)),
        }),
        (p, { client }) => {
          const scope = resolveScope(clusterFor, client.scope, p);
          const { kind: _k, name: _n, context: _c, namespace: _ns, ...rest } = p;
          return services.terminals.open(scope, { ...rest, ref: ref(p) }, terminalClient(client));
        },
      ),
    ],
    [
      TerminalCloseRequest.method,
      handler(object({ terminalId: nonEmptyString }), (p, { client }) => {
        services.terminals.close(p.terminalId, terminalClient(client));
        return null;
      }),
    ],
    [
      PortForwardStartRequest.method,
      handler(object({ ...workloadFields, localPort: integer(0, 65535), remotePort: port }), (p, { client }) =>
        services.portForwards.start(resolveScope(clusterFor, client.scope, p), ref(p), p.localPort, p.remotePort),
      ),
    ],
    [PortForwardListRequest.method, handler(object({}), () => ({ portForwards: services.portForwards.list() }))],
    [PortForwardStopRequest.method, handler(object({ id: nonEmptyString }), (p) => ({ portForwards: services.portForwards.stop(p.id) }))],
    [
      LogsStreamRequest.method,
      handler(
        object({
          ...workloadFields,
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
          return services.logs.stream(scope, ref(p), options, (text) => client.notify(LogsOutputNotification.type, { streamId: p.streamId, text }), signal);
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
export function terminalNotifications(daemon: Daemon, services: StreamServices): Map<string, (params: unknown, client: ClientHandle) => void> {
  const dropBad = (method: string, read: () => void) => {
    try {
      read();
    } catch (error) {
      daemon.log.log('warn', 'rpc.badInput', `${method}: ${error instanceof Error ? error.message : String(error)}`);
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
          services.terminals.input(p.terminalId, Buffer.from(p.data, 'base64'), p.eof ?? false, terminalClient(client));
        }),
    ],
    [
      TerminalResizeNotification.method,
      (params: unknown, client: ClientHandle) =>
        dropBad(TerminalResizeNotification.method, () => {
          const p = readParams(readResize, params);
          services.terminals.resize(p.terminalId, p.cols, p.rows, terminalClient(client));
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
