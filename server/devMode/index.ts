// server/devMode owns dev mode on a cluster: the six workload kinds (kinds.ts), what dev mode writes
// on them (annotations.ts), the pure planner of the dev workload and its restore (plan.ts), the dev
// pod's progress read from its status (podStatus.ts), settings resolution (settings.ts), the owner
// lock's messages (ownership.ts), the cluster operations (clusterOps.ts), finding and waiting for
// the dev pod (devPods.ts), and dev start and dev end as named steps (steps.ts, devSteps.ts) run
// by DevModeService (devModeService.ts). A dev mode plugs in as a DevModeStrategy (strategy.ts):
// replace (replaceMode.ts) is the one today.
//
// Architecture Invariant: dev-mode state lives in the cluster (annotations under `nhd.dev/`, backup
// ConfigMaps for recreated kinds), never only in a daemon, and the backup is written before the spec
// changes. It reaches Kubernetes only through the Cluster port (server/ports.ts) and the rest of the
// daemon only through DevModeDeps (sync, port-forwards, the environment); it imports server/rpc for
// the Progress type alone, never server/sync, server/run or server/debug code (types only), and it
// never reads the process environment: the composition root injects it (DevModeDeps.env).

export { DevModeService, type DevModeDeps } from './devModeService';
export type { DevModeStrategy, DevModeName } from './strategy';
export { DEFAULT_SIDECAR_IMAGE, replaceMode } from './replaceMode';
export { resolveSettings, type DevSettingsSource, type Environment } from './settings';
export { formatAgo } from './ownership';
export { KINDS, WORKLOAD_KINDS, parseWorkloadKind } from './kinds';
