import { NotificationType, RequestType } from 'vscode-jsonrpc';

/** Parameters of `nhd/status`: none. */
export type StatusParams = Record<string, never>;

/** The daemon's state, as `nhd status` prints it. */
export interface StatusResult {
  /** The daemon's version (the npm package's). */
  version: string;
  /** The protocol version it speaks. */
  protocolVersion: string;
  /** Its process id. */
  pid: number;
  /** When it started, as an ISO 8601 timestamp. */
  startedAt: string;
  /** Milliseconds since it started. */
  uptimeMs: number;
  /** How the daemon was started: on stdio for one client, or shared on a unix socket. */
  mode: 'stdio' | 'socket';
  /** The unix socket it listens on, in socket mode. */
  socketPath?: string;
  /** The file it logs to. */
  logFile: string;
  /** Clients connected now, this one included. */
  clients: ClientSummary[];
  /** Dev sessions this daemon holds (dev mode, sync, run, port-forwards). */
  sessions: SessionSummary[];
}

/** One connected client, as it named itself in `initialize`'s clientInfo. */
export interface ClientSummary {
  /** A number the daemon gave this connection. */
  id: number;
  /** clientInfo.name, or "unknown". */
  name: string;
  /** clientInfo.version, when given. */
  version?: string;
  /** When it connected, as an ISO 8601 timestamp. */
  connectedAt: string;
}

/** One dev session the daemon holds. */
export interface SessionSummary {
  /** `<namespace>/<kind>/<name>`. */
  id: string;
  /** The workload's kind, lower case (deployment, statefulset, ...). */
  kind: string;
  /** The workload's name. */
  name: string;
  /** The workload's namespace. */
  namespace: string;
  /** Where the session is in its life. */
  state: string;
}

/** Returns the daemon's status. */
export namespace StatusRequest {
  export const method = 'nhd/status' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<StatusParams, StatusResult, void>(method);
}

/**
 * Pushed to every client when the daemon's status changes (a client connects or leaves, a session
 * starts or ends), so a status bar never needs to poll.
 */
export namespace StatusDidChangeNotification {
  export const method = 'nhd/status/didChange' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<StatusResult>(method);
}
