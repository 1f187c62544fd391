// server/workloads owns browsing: the workloads of a namespace as summaries (kind, readiness, dev
// state and owner), listed once or kept current by Kubernetes watches, never by polling.
//
// Architecture Invariant: read-only toward the cluster; it reads dev state from the annotations
// server/devMode writes and never changes them.

export { WorkloadsService } from './workloadsService';
export { sortSummaries, summarize } from './summary';
