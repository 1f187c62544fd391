// server/sync owns file sync of dev sessions: the pure planners (initial sync by index, coalesced
// watcher batches, two-way rounds against the base, deleteProtection, ignore patterns), one
// SyncSession per session driving them through the AgentLink and FileWatcher ports, and the
// SyncService that launches the agent in the sidecar, reconnects it, repairs failed tasks by a sync
// by index and keeps the pushed SyncStatus (state `error` with the cause when a task failed).
//
// Architecture Invariant: it imports protocol/ types, server/ports.ts, server/errors.ts, server/bug.ts,
// server/kubeScope.ts (the Scope type), node built-ins and the `ignore` package, never server/rpc, server/devMode or another
// feature (dev mode calls it, not the other way round), nor any adapter: the agent and the watcher
// arrive as ports. Only syncSession.ts, localIndex.ts, twoWaySync.ts and wholeRead.ts touch the local
// file system; the planners are pure.

export { SyncService, type SyncAppliedEvent, type SyncServiceDeps, type SyncStartParams } from './syncService';
export { SyncSession, type SyncBatchReport, type SyncFailure, type SyncSessionOptions } from './syncSession';
