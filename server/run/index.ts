// server/run owns runs: the dev config's command.run (and command.debug, for server/debug) in a dev
// container through the Cluster port's exec, each start in its own process group (processGroup.ts has
// the start and stop scripts), owned by the client that started it, restarted on applied sync batches
// (reloadScheduler.ts, pure timing), and its output as text (runOutputText.ts: UTF-8 per run and
// stream, flushed when a process ends).
//
// Architecture Invariant: it imports protocol/ types, server/ports.ts, server/errors.ts, server/bug.ts,
// server/kubeScope.ts, server/execCollect.ts and node built-ins; of the other features only types (dev
// settings' source); never server/rpc, server/sync (it hears of batches through the SyncEvents it is
// given) or server/debug, nor any adapter. Closing an exec never counts as a stop: a stop is a second exec.

export { RunService, STOP_GRACE_MS, type RunChangeListener, type RunClient, type RunDeps } from './runService';
export { RunOutputText } from './runOutputText';
export { ReloadScheduler, type ReloadTrigger, type SyncApplyReport, type SyncEvents } from './reloadScheduler';
