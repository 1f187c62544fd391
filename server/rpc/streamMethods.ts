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
} from '../../protocol';
import { reportBug } from '../bug';
import type { Logger } from '../ports';
import type { Services } from '../services';
import type { TerminalClient } from '../terminal/terminalService';
import { logsOptions, terminalOpenRequest, workloadRef } from './fromWire';
import { handle, readNotificationParams, type ClientHandle, type MethodTable } from './handler';
import { arrayOf, boolean, integer, nonEmptyString, object, optional, string, workloadRefFields, type Reader } from './params';

const port = integer(1, 65535);

/** Requests of the terminal, port-forward and logs areas. */
export function streamMethods({ terminals, portForwards, logs }: Services): MethodTable {
  return [
    handle(
      TerminalOpenRequest,
      object({
        ...workloadRefFields,
        container: optional(nonEmptyString),
        command: optional(arrayOf(string, true)),
        tty: optional(boolean),
        cols: optional(integer(1, 10_000)),
        rows: optional(integer(1, 10_000)),
      }),
      (p, context) => terminals.open(context.scope(p), terminalOpenRequest(p), terminalClient(context.client)),
    ),
    handle(TerminalCloseRequest, object({ terminalId: nonEmptyString }), (p, { client }) => {
      terminals.close(p.terminalId, terminalClient(client));
      return null;
    }),
    handle(PortForwardStartRequest, object({ ...workloadRefFields, localPort: integer(0, 65535), remotePort: port }), (p, context) =>
      portForwards.start(context.scope(p), workloadRef(p), p.localPort, p.remotePort),
    ),
    handle(PortForwardListRequest, object({}), () => ({ portForwards: portForwards.list() })),
    handle(PortForwardStopRequest, object({ id: nonEmptyString }), (p) => ({ portForwards: portForwards.stop(p.id) })),
    handle(
      LogsStreamRequest,
      object({
        ...workloadRefFields,
        container: optional(nonEmptyString),
        follow: optional(boolean),
        tailLines: optional(integer(0, Number.MAX_SAFE_INTEGER)),
        streamId: string,
      }),
      (p, context) =>
        logs.stream(context.scope(p), workloadRef(p), logsOptions(p), (text) => context.client.notify(LogsOutputNotification.type, { streamId: p.streamId, text }), context.signal),
      // Not long: a log reports no progress (its output is the progress), and $/cancelRequest
      // reaches every request anyway.
    ),
  ];
}

/** A client→server notification: its method and what to do with each (already read) params. */
export interface NotificationHandler {
  readonly method: string;
  handle(params: unknown, client: ClientHandle): void;
}

/**
 * The client→server notifications of these areas (terminal input and resize). Notifications have
 * no answer: bad params are dropped and logged as bad input; a service that throws is a bug.
 */
export function terminalNotifications({ terminals }: Services, log: Logger): NotificationHandler[] {
  const notification = <P>(method: string, read: Reader<P>, serve: (params: P, client: ClientHandle) => void): NotificationHandler => ({
    method,
    handle: (raw, client) => {
      const params = readNotificationParams(log, method, read, raw, client.id);
      if (params === undefined) return;
      try {
        serve(params, client);
      } catch (error) {
        reportBug(log, `${method} failed`, error);
      }
    },
  });
  return [
    notification(TerminalInputNotification.method, object({ terminalId: nonEmptyString, data: string, eof: optional(boolean) }), (p, client) =>
      terminals.input(p.terminalId, Buffer.from(p.data, 'base64'), p.eof ?? false, terminalClient(client)),
    ),
    notification(TerminalResizeNotification.method, object({ terminalId: nonEmptyString, cols: integer(1, 10_000), rows: integer(1, 10_000) }), (p, client) =>
      terminals.resize(p.terminalId, p.cols, p.rows, terminalClient(client)),
    ),
  ];
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
