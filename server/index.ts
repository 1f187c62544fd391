/**
 * server/: the daemon. Sessions, orchestration and state, bound to clients by server/rpc.
 *
 * **API Boundary**: what this file exports is what the composition root (clients/cli/serve.ts)
 * may use. server/ imports protocol/ and its own files; only server/rpc/ imports
 * vscode-languageserver and vscode-jsonrpc; nothing here imports a Kubernetes, file-watching or
 * DAP library (those arrive through the ports in ports.ts, implemented in adapters/).
 */
export { Daemon, type DaemonEvent, type DaemonOptions } from './daemon';
export { createServices, type DapPorts, type FileSyncPorts, type ServiceEvent, type ServicePorts, type Services } from './services';
export { NhdError } from './errors';
export { FileLogger } from './fileLogger';
export type { AgentTarget, Cluster, Logger, LogLevel, LogTag } from './ports';
export { serveClient, MAX_MESSAGE_BYTES, type ClientStreams } from './rpc/clientConnection';
export { listenOnUnixSocket } from './rpc/socketListener';
/** Where the agent goes in the sidecar: its one writable directory besides the source (devMode/plan.ts). */
export { SIDECAR_AGENT_DIR } from './devMode/plan';
