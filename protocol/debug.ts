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
 * How a DAP client reaches the session `nhd/debug/listen` opens: `socket`, a unix socket only this
 * user can open; `tcp`, a 127.0.0.1 port any local user can reach, so the session's first `launch`
 * or `attach` must present the listener's secret.
 */
export type DebugListenTransport = 'socket' | 'tcp';

/**
 * Parameters of `nhd/debug/listen`: defaults for the DAP session's `attach` (which may name its
 * own `namespace` and `context`), and the transport.
 */
export interface DebugListenParams extends ClusterScope {
  /**
   * `socket` for every client that can open a unix socket (VS Code's DebugAdapterNamedPipeServer,
   * nvim-dap's `pipe` adapter, `nhd dap`); `tcp` only for one that cannot and can put the secret in
   * its `launch`/`attach` arguments. Default `tcp`, the transport of protocol 0.1, so that an older
   * client still finds `host` and `port` in the result (its attach is then refused with a message
   * saying what to update).
   */
  transport?: DebugListenTransport;
}

/** A unix socket listener: only its owner can open it, so it needs no secret. */
export interface DebugListenSocketResult {
  transport: 'socket';
  /**
   * The socket's path: mode 0600, in the daemon's runtime directory (`dap/` beside the shared
   * daemon's socket, mode 0700). It is removed when the listener closes.
   */
  path: string;
}

/** A TCP listener on 127.0.0.1: any local user can connect, so it serves only who presents the secret. */
export interface DebugListenTcpResult {
  transport: 'tcp';
  /** Always 127.0.0.1. */
  host: string;
  port: number;
  /**
   * This listener's secret (random, 256 bits, base64url). The session's first request other than
   * `initialize` must be `launch` or `attach` with it as `nhdSecret` in its arguments; a connection
   * that sends anything else is answered with an error and dropped, and the listener keeps waiting
   * for the rightful client. nhd removes the field before the arguments go further.
   */
  secret: string;
}

/** Where the DAP session waits: connect once, speak DAP. */
export type DebugListenResult = DebugListenSocketResult | DebugListenTcpResult;

/**
 * Opens a Debug Adapter Protocol endpoint for one debug session, on which the daemon's DAP proxy
 * serves the session: a unix socket (`transport: 'socket'`, what VS Code's
 * DebugAdapterNamedPipeServer and nvim-dap's `pipe` adapter connect to; `nhd dap` pipes its stdio to
 * it) or a 127.0.0.1 port guarded by a secret (`transport: 'tcp'`). The session's `attach` request
 * names the workload (`workload: "deployment/authors"`, `namespace`, `container`, optional
 * `localDir`, `localRoot`, `remoteRoot`, `language`): the daemon ensures dev mode (started when
 * `localDir` is given), waits for file sync to converge, starts `command.debug` in the dev
 * container unless a debugger already listens on `debug.remoteDebugPort`, port-forwards that port
 * and attaches; across a hot reload the session reattaches by itself. A debugger the daemon started
 * belongs to the client that sent this request (it ends when that client leaves, as a run does).
 * The listener serves one session: it closes when a connection is admitted (the socket's first, the
 * port's first with the secret), when the requesting client leaves first, or after 60 s without
 * one. Fails with DebugAttachFailed when the socket cannot be made (a runtime directory path too
 * long for a unix socket, or one another user owns).
 */
export namespace DebugListenRequest {
  export const method = 'nhd/debug/listen' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<DebugListenParams, DebugListenResult, void>(method);
}

/** Parameters of `nhd/debug/start`. */
export interface DebugStartParams extends WorkloadRef, WorkDoneParams {
  /** The container to debug in; default: the dev session's (when this starts dev mode, dev start's default: the one the config entry names). */
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
