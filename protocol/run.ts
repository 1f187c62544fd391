import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { NoParams } from './types';
import type { WorkloadKind, WorkloadRef } from './workloads';

/** Parameters of `nhd/run/start`. */
export interface RunStartParams extends WorkloadRef {
  /**
   * Restart the program after each sync batch applied to the container. Default: the dev
   * config's `hotReload`. With it, `command.hotReloadRun` runs when the config sets it, else
   * `command.run`.
   */
  hotReload?: boolean;
  /**
   * `run` (default) runs `command.run` (`command.hotReloadRun` with hot reload); `debug` runs
   * `command.debug` (`command.hotReloadDebug`), and its stop and restart also end what the debugger
   * left outside its process group: its descendants' groups (delve starts the program in one of its
   * own) and whatever holds `debug.remoteDebugPort` (debugpy's adapter daemonizes).
   */
  mode?: RunMode;
}

/** What a run runs: the program (`command.run`), or the program under its debugger (`command.debug`). */
export type RunMode = 'run' | 'debug';

/**
 * Where a run is in its life. `starting`: the process is being started; `running`: it runs;
 * `restarting`: a sync batch arrived and the process is being replaced (hot reload); `exited`: the
 * process ended (by itself, by a stop, or because the connection to the pod broke). A hot-reload
 * run stays held in `exited` after its program ends by itself, and the next sync batch starts it
 * again; any other run is over once `exited`.
 */
export type RunState = 'starting' | 'running' | 'restarting' | 'exited';

/** One run of the dev config's command in a dev container, held by this daemon. */
export interface RunInfo {
  /** The run's handle, for `nhd/run/stop` and in its notifications. */
  runId: string;
  /** The dev session it runs in: `<context>/<namespace>/<kind>/<name>`. */
  sessionId: string;
  context: string;
  namespace: string;
  kind: WorkloadKind;
  name: string;
  /** The dev pod and container the process runs in. */
  pod: string;
  container: string;
  /** `run`, or `debug` for `command.debug` (see RunStartParams.mode). */
  mode: RunMode;
  /** The argv run (the config's `command.run`, or `command.hotReloadRun` with hot reload; the debug twins in mode `debug`). */
  command: string[];
  /** The directory it runs in: the dev session's workDir. */
  workDir: string;
  /** Whether each applied sync batch restarts the process. */
  hotReload: boolean;
  state: RunState;
  /**
   * In state `exited`: the process's exit code (128 + the signal's number when a signal ended it,
   * 143 after a stop's SIGTERM); null when the connection to the pod broke without a status.
   */
  exitCode?: number | null;
  /** Why it ended, when not a plain exit (stopped, replaced by another run, dev mode ended, ...). */
  message?: string;
  /**
   * True once the run is over: no process runs and none will (it exited without hot reload, or was
   * stopped, replaced, or ended with dev mode or its client); the daemon no longer holds it.
   */
  ended: boolean;
  /** Hot reloads so far. */
  reloads: number;
  /** When the run started, ISO 8601. */
  startedAt: string;
}

/**
 * Runs the dev config's `command.run` (an argv list) in the dev container of a workload this
 * daemon holds in dev mode, in the session's workDir and in its own process group, so that a stop
 * or a restart ends every process it started. Output arrives as `nhd/run/output` (to the client
 * that started the run), changes as `nhd/run/didChange` (to every client); nothing of the run
 * reaches a client before this request's answer. A second run of the same workload replaces the
 * first (whose owner sees it exit with a message saying so). The run ends when the client that
 * started it leaves, and when dev mode ends. Fails with NotInDevMode, RunCommandMissing,
 * ConfigInvalid or PodNotRunning.
 */
export namespace RunStartRequest {
  export const method = 'nhd/run/start' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<RunStartParams, RunInfo, void>(method);
}

export interface RunStopParams {
  runId: string;
}

/**
 * Stops a run: SIGTERM to its process group in the container, SIGKILL to what is left after a
 * grace period (5 s), then waits for the process to be gone. Answers with the run's last state
 * (`exited`). Any client may stop any run; UnknownHandle when no such run is held.
 */
export namespace RunStopRequest {
  export const method = 'nhd/run/stop' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<RunStopParams, RunInfo, void>(method);
}

export interface RunListResult {
  runs: RunInfo[];
}

/** The runs this daemon holds. */
export namespace RunListRequest {
  export const method = 'nhd/run/list' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<NoParams, RunListResult, void>(method);
}

export interface RunOutputParams {
  runId: string;
  stream: 'stdout' | 'stderr';
  /** Bytes, base64 (a chunk may end inside a UTF-8 character). */
  data: string;
}

/** Output of a run's process, to the client that started the run. */
export namespace RunOutputNotification {
  export const method = 'nhd/run/output' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<RunOutputParams>(method);
}

/** What one hot reload took, in milliseconds: save to new process is roughly their sum. */
export interface RunReload {
  /** What triggered it: a sync batch, or a re-sync of the whole tree. */
  trigger: 'batch' | 'resync';
  /** Files the sync applied (summed over batches coalesced into this reload). */
  files: number;
  /** Bytes the sync applied (summed likewise). */
  bytes: number;
  /** How long the sync took to apply (summed likewise). */
  syncMs: number;
  /** From the decision to reload until the old process group was gone. */
  stopMs: number;
  /** From then until the new process was started in the container. */
  startMs: number;
}

export interface RunDidChangeParams {
  run: RunInfo;
  /** Set when the change is the end of a hot reload (state `running` again): its timings. */
  reload?: RunReload;
}

/** Pushed to every client when a run starts, restarts, reloads or exits. */
export namespace RunDidChangeNotification {
  export const method = 'nhd/run/didChange' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<RunDidChangeParams>(method);
}
