import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { NoParams } from './types';

/** The six kinds of workload nhd develops, lower case as in Nocalhost's serviceType. */
export type WorkloadKind = 'deployment' | 'statefulset' | 'daemonset' | 'job' | 'cronjob' | 'pod';

/**
 * Every spelling of a kind that clients may accept from people, as kubectl does (`deploy`, `sts`,
 * `ds`, `cj`, `po`, plurals), lower case. The daemon accepts them in `kind` params too.
 */
export const WORKLOAD_KIND_SPELLINGS: Readonly<Record<string, WorkloadKind>> = {
  deployment: 'deployment', deployments: 'deployment', deploy: 'deployment',
  statefulset: 'statefulset', statefulsets: 'statefulset', sts: 'statefulset',
  daemonset: 'daemonset', daemonsets: 'daemonset', ds: 'daemonset',
  job: 'job', jobs: 'job',
  cronjob: 'cronjob', cronjobs: 'cronjob', cj: 'cronjob',
  pod: 'pod', pods: 'pod', po: 'pod',
};

/**
 * Where to look in the cluster. Absent fields fall back to the connection's initializationOptions,
 * then to kubectl's defaults (KUBECONFIG, current-context, the context's namespace).
 */
export interface ClusterScope {
  /** A kubeconfig context name. */
  context?: string;
  /** A namespace. */
  namespace?: string;
}

/** One workload, named. */
export interface WorkloadRef extends ClusterScope {
  kind: WorkloadKind;
  name: string;
}

/** Who holds a workload in dev mode, from the owner annotation on the workload. */
export interface DevOwner {
  /** `user@host` of the person whose daemon started dev mode. */
  identity: string;
  /** The daemon session that started it. */
  session: string;
  /** When dev mode started, ISO 8601. */
  since: string;
}

/** A workload as `nhd ls` shows it. */
export interface WorkloadSummary {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  /** Ready pods over desired pods ("1/1"); for jobs, succeeded over completions; for cronjobs, active jobs. */
  ready: string;
  /** True when every desired pod is ready (for jobs and cronjobs: not failed). */
  healthy: boolean;
  /** `none`, or `developing` when the workload carries nhd's dev annotations. */
  devState: 'none' | 'developing';
  /** Who holds it, when in dev mode. */
  devOwner?: DevOwner;
  /** The workload's creation time, ISO 8601. */
  createdAt: string;
  /** Its pod template's containers, in order (nhd's sync sidecar left out), for a client to offer as dev start's `container`. */
  containers: string[];
}

/** Parameters of `nhd/workloads/list`. */
export interface WorkloadsListParams extends ClusterScope {
  /** Only these kinds (default: all six). */
  kinds?: WorkloadKind[];
}

export interface WorkloadsListResult {
  context: string;
  namespace: string;
  workloads: WorkloadSummary[];
}

/** Lists the workloads of a namespace with readiness and dev state. */
export namespace WorkloadsListRequest {
  export const method = 'nhd/workloads/list' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<WorkloadsListParams, WorkloadsListResult, void>(method);
}

/** Parameters of `nhd/workloads/watch`. */
export type WorkloadsWatchParams = ClusterScope;

export interface WorkloadsWatchResult {
  /** Pass to `nhd/workloads/unwatch`. */
  watchId: string;
  context: string;
  namespace: string;
  /** The workloads now; later changes arrive as `nhd/workloads/didChange`. */
  workloads: WorkloadSummary[];
}

/**
 * Starts pushing `nhd/workloads/didChange` for a namespace, from Kubernetes watches (no polling),
 * until `nhd/workloads/unwatch` or the client leaves.
 */
export namespace WorkloadsWatchRequest {
  export const method = 'nhd/workloads/watch' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<WorkloadsWatchParams, WorkloadsWatchResult, void>(method);
}

export interface WorkloadsUnwatchParams {
  watchId: string;
}

/** Stops a watch. */
export namespace WorkloadsUnwatchRequest {
  export const method = 'nhd/workloads/unwatch' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<WorkloadsUnwatchParams, null, void>(method);
}

/** The whole list of a watched namespace after a change (lists are small; clients just redraw). */
export interface WorkloadsDidChangeParams {
  watchId: string;
  context: string;
  namespace: string;
  workloads: WorkloadSummary[];
}

/** Pushed to the client that asked for a watch when a workload of that namespace changes. */
export namespace WorkloadsDidChangeNotification {
  export const method = 'nhd/workloads/didChange' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<WorkloadsDidChangeParams>(method);
}

/** A kubeconfig context. */
export interface KubeContext {
  name: string;
  cluster: string;
  user: string;
  /** The context's namespace, when it sets one. */
  namespace?: string;
}

export interface KubeContextsResult {
  /** The kubeconfig files read, in KUBECONFIG order. */
  files: string[];
  /** current-context, or the one initializationOptions chose. */
  current: string;
  contexts: KubeContext[];
}

/** The kubeconfig's contexts, as kubectl reads them. */
export namespace KubeContextsRequest {
  export const method = 'nhd/kube/contexts' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<NoParams, KubeContextsResult, void>(method);
}

export interface KubeNamespacesParams {
  context?: string;
}

export interface KubeNamespacesResult {
  context: string;
  namespaces: string[];
}

/** The namespaces of a context. */
export namespace KubeNamespacesRequest {
  export const method = 'nhd/kube/namespaces' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<KubeNamespacesParams, KubeNamespacesResult, void>(method);
}
