import { RequestType } from 'vscode-jsonrpc';

/** Parameters of `nhd/daemon/stop`. */
export interface DaemonStopParams {
  /** Why, for the daemon's log (e.g. "replaced by nhd 0.2.0"). */
  reason: string;
}

/**
 * Stops a shared daemon: it answers, closes every connection and exits. A client that finds a
 * daemon of another version sends this, then starts its own. (LSP's `shutdown`/`exit` end only the
 * sender's connection to a shared daemon.)
 */
export namespace DaemonStopRequest {
  export const method = 'nhd/daemon/stop' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<DaemonStopParams, null, void>(method);
}
