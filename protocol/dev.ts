import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { NoParams, WorkDoneParams } from './types';
import type { DevOwner, WorkloadKind, WorkloadRef } from './workloads';

/** Parameters of `nhd/dev/start`. */
export interface DevStartParams extends WorkloadRef, WorkDoneParams {
  /**
   * The developer's source directory; its `.nocalhost/config.yaml` configures the session. Without
   * it (or without an entry for the workload there) the workload's `dev.nocalhost` annotation does,
   * else its application's `dev.nocalhost.config.<app>` ConfigMap (Nocalhost's order); the flags
   * override what was found.
   */
  localDir?: string;
  /**
   * Mirror localDir into workDir while the session lives (the config's sync settings). Default: true when
   * localDir or a parent of it holds a `.nocalhost/config.yaml`, so a stray working directory is never
   * uploaded by accident.
   */
  sync?: boolean;
  /**
   * The container to develop in. Default: the one the dev config entry's `name` names (an entry
   * naming no container of the workload is ContainerNotFound, with the containers listed), else
   * the workload's first. With a container given, its settings are the entry of that name, else
   * the config's first entry (Nocalhost's rule).
   */
  container?: string;
  /** The dev image, overriding the config. */
  image?: string;
  /** Where the source lives in the container, overriding the config. */
  workDir?: string;
  /** Take the workload over from another owner. */
  force?: boolean;
  /** How long to wait for the dev pod, in seconds (default 180). */
  timeoutSeconds?: number;
}

/** Where a dev session is in its life. */
export type DevSessionState = 'starting' | 'ready' | 'ending' | 'ended' | 'failed';

/** A workload in dev mode, held by this daemon. */
export interface DevSession {
  /** `<context>/<namespace>/<kind>/<name>`. */
  id: string;
  context: string;
  namespace: string;
  kind: WorkloadKind;
  name: string;
  /** The container developed in. */
  container: string;
  /** The dev image it runs. */
  image: string;
  /** Where the source is in the container. */
  workDir: string;
  /** The local source directory, when one was given. */
  localDir?: string;
  /** The dev pod, once it exists. */
  pod?: string;
  state: DevSessionState;
  owner: DevOwner;
  /** What went wrong, in state `failed`. */
  error?: string;
  /**
   * What did not work but did not stop dev mode (a config port-forward whose port is taken), and
   * the fields of the dev config entry in use that nhd does not act on, each with where and why
   * (from dev start on; the CLI prints them to stderr, the editors show them).
   */
  warnings?: string[];
}

/**
 * Puts a workload into dev mode (Nocalhost's replace mode): backs up its spec in an annotation,
 * takes the owner lock, swaps the container for the dev image with the source volume and the sync
 * sidecar, and waits for the dev pod, reporting each step as $/progress (backup, patch, scheduling,
 * image pull, containers ready). Idempotent for the same owner. Fails with DevModeOwnedByOther
 * (unless `force`), WorkloadNotFound, DevPodFailed (the pod's own reason) or DevPodTimeout; a
 * failed start leaves a workload that `nhd/dev/end` restores.
 */
export namespace DevStartRequest {
  export const method = 'nhd/dev/start' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<DevStartParams, DevSession, void>(method);
}

/** Parameters of `nhd/dev/end`. */
export interface DevEndParams extends WorkloadRef, WorkDoneParams {
  /** End it even when another owner holds it. */
  force?: boolean;
}

export interface DevEndResult {
  /** False when the workload was not in dev mode (a no-op). */
  ended: boolean;
  /** What happened, for people. */
  message: string;
}

/**
 * Ends dev mode: restores the workload's spec exactly as it was before dev start and releases the
 * lock. Works from any daemon (the backup lives in the cluster), after a crash, and on a
 * half-started workload.
 */
export namespace DevEndRequest {
  export const method = 'nhd/dev/end' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<DevEndParams, DevEndResult, void>(method);
}

export interface DevStatusResult {
  sessions: DevSession[];
}

/** The dev sessions this daemon holds. */
export namespace DevStatusRequest {
  export const method = 'nhd/dev/status' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<NoParams, DevStatusResult, void>(method);
}

/** Pushed to every client when a dev session changes state. */
export namespace DevDidChangeNotification {
  export const method = 'nhd/dev/didChange' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<DevSession>(method);
}
