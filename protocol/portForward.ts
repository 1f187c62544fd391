import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { NoParams } from './types';
import type { WorkloadRef } from './workloads';

/** Parameters of `nhd/portForward/start`. */
export interface PortForwardStartParams extends WorkloadRef {
  /** Local port on 127.0.0.1; 0 picks a free one. */
  localPort: number;
  /** Port in the pod. */
  remotePort: number;
}

/** One port-forward the daemon holds. */
export interface PortForward {
  id: string;
  context: string;
  namespace: string;
  kind: string;
  name: string;
  /** Always 127.0.0.1. */
  address: string;
  localPort: number;
  remotePort: number;
  /** The pod connections go to now; it follows the workload to a new pod after a restart. */
  pod?: string;
  /** `active`: connections are forwarded; `waiting`: no ready pod yet, connections are held. */
  state: 'active' | 'waiting';
  /** Connections open now. */
  connections: number;
}

/**
 * Forwards 127.0.0.1:localPort to remotePort of the workload's pod, through the API server, and
 * keeps following the workload to its new pod after a restart.
 */
export namespace PortForwardStartRequest {
  export const method = 'nhd/portForward/start' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<PortForwardStartParams, PortForward, void>(method);
}

export interface PortForwardListResult {
  portForwards: PortForward[];
}

/** The port-forwards this daemon holds. */
export namespace PortForwardListRequest {
  export const method = 'nhd/portForward/list' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<NoParams, PortForwardListResult, void>(method);
}

export interface PortForwardStopParams {
  /** A port-forward's id, or "all". */
  id: string;
}

/** Stops a port-forward (or all). */
export namespace PortForwardStopRequest {
  export const method = 'nhd/portForward/stop' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<PortForwardStopParams, PortForwardListResult, void>(method);
}

/** Pushed to every client when a port-forward starts, stops, or moves to another pod. */
export namespace PortForwardDidChangeNotification {
  export const method = 'nhd/portForward/didChange' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<PortForwardListResult>(method);
}
