// server/debug owns debugging: the Debug Adapter proxy (debugProxy.ts: one IDE session, path mapping,
// reconnects and breakpoint replay across hot reloads), its pure helpers (pathMapping.ts,
// debugConfiguration.ts, debuggers.ts), the target providers (direct, and on the cluster), and the
// DebugService that makes a workload's debugger reachable (dev mode, converged sync, a debug run
// unless one already listens, a port-forward) and opens the DAP listeners of one session each
// (dapListener.ts: a unix socket of the user's, or a 127.0.0.1 port behind admission.ts's secret).
//
// Architecture Invariant: it knows DAP only as plain JSON (DapMessage, DapChannel and DapConnector
// from server/ports.ts) and never imports @vscode/debugadapter or @vscode/debugprotocol, nor any
// adapter; it uses the run, sync, dev-mode and port-forward services through the narrow interfaces of
// DebugServiceDeps (of server/devMode only the settings-source type and the kind names, of server/run
// RunService's client types and RunOutputText), and of server/rpc only the Progress type.

export { DebugService, listensOn, nativeAttach, type DebugPrepareOptions, type DebugServiceDeps } from './debugService';
export { DAP_LISTEN_HOST, LISTEN_UNUSED_MS, openDapListener, type DapListener } from './dapListener';
export { AdmissionGate, SECRET_FIELD } from './admission';
export { DebugProxy } from './debugProxy';
export { ClusterTargetProvider } from './clusterTargetProvider';
export { DirectTargetProvider } from './directTargetProvider';
