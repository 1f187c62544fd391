import { RequestType } from 'vscode-jsonrpc';
import type { WorkDoneParams } from './types';
import type { ClusterScope, WorkloadRef } from './workloads';

/**
 * The remote debuggers nhd knows. `go` (delve headless) and `python` (debugpy) speak DAP, and the
 * daemon's Debug Adapter proxy holds their sessions (`nhd/debug/listen`, `nhd dap`); `node`
 * (the V8 inspector) and `java` (JDWP) do not, and are attached by the IDE's own debugger through a
 * port-forward (`nhd/debug/start` returns that configuration).
 */
export type DebugLanguageName = 'go' | 'python' | 'node' | 'java';

/**
 * Parameters of `nhd/debug/listen`: defaults for the DAP session's `attach` (which may name its
 * own `namespace` and `context`).
 */
export interface DebugListenParams extends ClusterScope {}

/** Where the DAP session waits: connect once, speak DAP. */
export interface DebugListenResult {
  /** Always 127.0.0.1. */
  host: string;
  port: number;
}

/**
 * Opens a Debug Adapter Protocol endpoint for one debug session: a listener on 127.0.0.1 and a
 * random port that takes one connection, on which the daemon's DAP proxy serves the session (what
 * VS Code's DebugAdapterServer and LSP4IJ's socket mode connect to; `nhd dap` pipes its stdio to
 * it). The session's `attach` request names the workload (`workload: "deployment/authors"`,
 * `namespace`, `container`, optional `localDir`, `localRoot`, `remoteRoot`, `language`): the
 * daemon ensures dev mode (started when `localDir` is given), waits for file sync to converge,
 * starts `command.debug` in the dev container unless a debugger already listens on
 * `debug.remoteDebugPort`, port-forwards that port and attaches; across a hot reload the session
 * reattaches by itself. A debugger the daemon started belongs to the client that sent this request
 * (it ends when that client leaves, as a run does). The listener closes when its session ends,
 * when the requesting client leaves before anyone connected, or after 60 s without a connection.
 */
export namespace DebugListenRequest {
  export const method = 'nhd/debug/listen' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<DebugListenParams, DebugListenResult, void>(method);
}

/** Parameters of `nhd/debug/start`. */
export interface DebugStartParams extends WorkloadRef, WorkDoneParams {
  /** The container to debug in; default: the dev session's (or the config's first). */
  container?: string;
  /** Start dev mode with this local directory when the workload is not in dev mode. */
  localDir?: string;
  /**
   * Restart the debugger after each applied sync batch (`command.hotReloadDebug` when set, else
   * `command.debug`). Default: the dev config's `hotReload`.
   */
  hotReload?: boolean;
  /** The forward's local port on 127.0.0.1; default 0, a free one. */
  localPort?: number;
}

/** A debugger running in a dev container and reachable through a port-forward. */
export interface DebugStartResult {
  language: DebugLanguageName;
  /** The dev session: `<context>/<namespace>/<kind>/<name>`. */
  sessionId: string;
  pod: string;
  container: string;
  /** `debug.remoteDebugPort`, in the container. */
  remotePort: number;
  /** The forward's local end: always 127.0.0.1. */
  host: string;
  localPort: number;
  /** The port-forward's id (`nhd/portForward/stop`). */
  portForwardId: string;
  /** The source root on this machine (the dev session's local directory). */
  localRoot: string;
  /** The same tree in the container (the dev container's workDir). */
  remoteRoot: string;
  /**
   * The run (mode `debug`) that runs `command.debug`, when this request started it or an earlier
   * one did; absent when a debugger nhd did not start already listened on the port.
   */
  runId?: string;
  /** True when this request started the debugger. */
  started: boolean;
  /** Whether the debugger speaks DAP (go, python): then nhd's DAP proxy can hold the session. */
  dap: boolean;
  /**
   * A ready attach configuration for the IDE's own debugger through the forward, as a VS Code
   * launch.json entry: `{type: 'go', request: 'attach', mode: 'remote', port, substitutePath}`,
   * `{type: 'debugpy', request: 'attach', connect, pathMappings}`, `{type: 'node', request:
   * 'attach', port, localRoot, remoteRoot}` or `{type: 'java', request: 'attach', hostName, port}`.
   */
  nativeAttach: Record<string, unknown>;
  /**
   * For go and python: the attach arguments of nhd's own debug type (`{type: 'nhd', request:
   * 'attach', workload, namespace, ...}`), whose adapter is `nhd dap`; it reattaches across hot
   * reloads.
   */
  nhdAttach?: Record<string, unknown>;
}

/**
 * Starts the remote debugger of a workload and makes it reachable: ensures dev mode (started when
 * `localDir` is given), waits for file sync to converge, runs `command.debug` in the dev container
 * as a run of mode `debug` unless a debugger already listens on `debug.remoteDebugPort`, and
 * port-forwards that port to 127.0.0.1. The debugger belongs to the requesting client (it ends,
 * with its forward, when that client leaves, or by `nhd/run/stop`). Fails with NotInDevMode,
 * RunCommandMissing, DebugAttachInvalid (no `debug.remoteDebugPort` or language), PortInUse.
 */
export namespace DebugStartRequest {
  export const method = 'nhd/debug/start' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<DebugStartParams, DebugStartResult, void>(method);
}
