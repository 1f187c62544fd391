import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { NoParams } from './types';

/**
 * Where a session's file sync is:
 * - `starting`: the agent is being uploaded and the first sync by index is running;
 * - `watching`: local and remote agree; changes are applied as they are saved;
 * - `error`: the agent is reachable but a sync task failed as a whole (the agent refused a batch,
 *   a local file could not be read): the container may miss changes. `error` says what failed and
 *   when nhd syncs by index to repair it (with backoff, until one succeeds; `nhd/sync/resync` does it
 *   at once); changes saved meanwhile are still sent. A successful sync by index makes it `watching`
 *   again;
 * - `reconnecting`: the connection to the agent was lost (pod restart, network); nhd retries and
 *   resyncs by index once it is back, so nothing saved meanwhile is lost;
 * - `stopped`: dev mode ended or the session was stopped;
 * - `failed`: sync could not start (`error` says why); dev mode stays up.
 */
export type SyncState = 'starting' | 'watching' | 'error' | 'reconnecting' | 'stopped' | 'failed';

/** A path that could not be synced. */
export interface SyncPathError {
  path: string;
  /** `path-escape`, `not-found`, `io`, ... */
  code: string;
  message: string;
}

/** A file changed on both sides since the last sync: both versions are kept. */
export interface SyncConflict {
  /** The path, relative to the sync root; it keeps the local version. */
  path: string;
  /** Where the remote version was saved, next to it (relative); absent when unresolved. */
  copy?: string;
  /** `kept-both`, or `unresolved` (a file on one side, a directory on the other). */
  resolution: 'kept-both' | 'unresolved';
}

/** One applied batch. When it is reported, its changes are live in the container. */
export interface SyncBatch {
  /** `initial`: the first sync; `batch`: saved changes; `resync`: a sync by index (reconnect, overflow, request). */
  kind: 'initial' | 'batch' | 'resync';
  /** Which way the changes went: to the container (`push`) or from it to the local directory (`pull`). */
  direction: 'push' | 'pull';
  /** Files, directories, links and deletes applied. */
  files: number;
  /** Content bytes transferred. */
  bytes: number;
  /** From the first change seen (or the start of a sync by index) to the agent's acknowledgement. */
  latencyMs: number;
  /** When it was acknowledged (ISO 8601). */
  at: string;
  /** Up to 20 of the paths applied, for display. */
  paths: string[];
  errors: SyncPathError[];
}

/** The file sync of one dev session. */
export interface SyncStatus {
  /** The dev session's id: `<context>/<namespace>/<kind>/<name>`. */
  sessionId: string;
  localDir: string;
  /** Where the files land in the dev container (the workDir). */
  remoteDir: string;
  /** Nocalhost's sync.type. */
  type: 'send' | 'sendReceive';
  state: SyncState;
  /** The pod whose sidecar runs the agent now. */
  pod?: string;
  /** Totals since the session started. */
  totals: { batches: number; files: number; bytes: number };
  /** The last applied batch. */
  lastBatch?: SyncBatch;
  /** Deletes held by deleteProtection (top-level paths): the container keeps them until `nhd/sync/resync` with `allowDeletes`. */
  held: string[];
  /** Conflicts found since the session started. */
  conflicts: SyncConflict[];
  /** How many times the connection to the agent was re-established. */
  reconnects: number;
  /** In `failed`, `error` and `reconnecting`: what went wrong, in words a person can act on. */
  error?: string;
  /** What works but deserves attention (the inotify limit is close). */
  warnings: string[];
}

export interface SyncStatusResult {
  sessions: SyncStatus[];
}

/** The file sync of every dev session this daemon holds. */
export namespace SyncStatusRequest {
  export const method = 'nhd/sync/status' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<NoParams, SyncStatusResult, void>(method);
}

/** Parameters of `nhd/sync/resync`. */
export interface SyncResyncParams {
  /** The dev session's id (see SyncStatus.sessionId). */
  sessionId: string;
  /** Apply the deletes deleteProtection held, this once. */
  allowDeletes?: boolean;
}

/**
 * Compares both sides by index now and applies the differences; with `allowDeletes`, also the
 * deletes deleteProtection held. Resolves with the status once the resync is live (in state
 * `error`, that repairs the session: it is `watching` again). Fails with SyncFailed and the cause
 * when the resync fails, or while the session is `starting`, `reconnecting` or `failed`.
 */
export namespace SyncResyncRequest {
  export const method = 'nhd/sync/resync' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<SyncResyncParams, SyncStatus, void>(method);
}

/** Pushed to every client on each applied batch (with `lastBatch`) and each change of state. */
export namespace SyncDidChangeNotification {
  export const method = 'nhd/sync/didChange' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<SyncStatus>(method);
}
