import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { WorkloadRef } from './workloads';

/** Parameters of `nhd/logs/stream`. */
export interface LogsStreamParams extends WorkloadRef {
  container?: string;
  /** Keep streaming new lines until the request is cancelled (`kubectl logs -f`). */
  follow?: boolean;
  /** Only the last N lines of what exists. */
  tailLines?: number;
  /** A client-chosen id that tags the `nhd/logs/output` notifications of this request. */
  streamId: string;
}

export interface LogsStreamResult {
  pod: string;
  container: string;
  /** Bytes streamed. */
  bytes: number;
}

/**
 * Streams a container's log (of the workload's newest pod) as `nhd/logs/output` notifications;
 * resolves when the log ends, or when cancelled with follow.
 */
export namespace LogsStreamRequest {
  export const method = 'nhd/logs/stream' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<LogsStreamParams, LogsStreamResult, void>(method);
}

export interface LogsOutputParams {
  streamId: string;
  /** Log text, UTF-8, whole lines where possible. */
  text: string;
}

/** A piece of a log, to the client that asked for it. */
export namespace LogsOutputNotification {
  export const method = 'nhd/logs/output' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<LogsOutputParams>(method);
}
