import type { DevEndParams, DevOwner, DevSession, DevStartParams, SyncStatus, WorkloadRef } from '../../protocol';
import type { Scope } from '../kubeScope';
import type { KubeObject, Logger } from '../ports';
import type { SyncStartParams } from '../sync/syncService';
import type { Claim } from './clusterOps';
import type { DevPodQuery } from './devPods';
import type { DevStartPlan } from './plan';
import type { ConfigMapSource, Environment, ResolvedDevSettings } from './settings';
import type { Step } from './steps';

/**
 * The seam where a dev mode plugs in. Dev start and dev end are a frame of steps every mode shares
 * (read, ownership, settings, claims, … the dev pod, port-forwards, sync) around the mode's own
 * steps; a mode also says how to read a workload's dev state and which pods are its dev pods.
 * `replace` (replaceMode.ts) is the one mode today; `duplicate` (a copy under new labels, the
 * original untouched) and `proxy` are each a new DevModeStrategy, not a branch in the steps.
 */
export interface DevModeStrategy {
  readonly mode: DevModeName;
  /** What dev start plans from: the workload now, its original, and who holds it. */
  readForStart(scope: Scope, ref: WorkloadRef): Promise<StartState>;
  /** What dev end restores, if anything; fails with WorkloadNotFound when there is nothing at all. */
  readForEnd(scope: Scope, ref: WorkloadRef): Promise<EndState>;
  /**
   * The mode's steps of dev start, between the claims and the dev pod wait. They set `run.plan`
   * (whose devHash marks the pods the wait takes) and make the cluster run it, the backup and the
   * owner lock written before anything else changes.
   */
  readonly startSteps: readonly Step<StartRun>[];
  /** The mode's steps of dev end, after sync stopped and before the port-forwards stop. */
  readonly endSteps: readonly Step<EndRun>[];
  /** Which pods are the workload's dev pods now. */
  devPods(scope: Scope, ref: WorkloadRef): Promise<DevPodQuery>;
}

/** The dev modes. Only `replace` exists yet. */
export type DevModeName = 'replace';

export interface StartState {
  /** The workload as it is. */
  current: KubeObject;
  /** The workload as it was before dev mode: what a (repeated) start plans from, never a dev spec. */
  original: KubeObject;
  /** Who holds it now, if anyone. */
  owner?: DevOwner;
}

export interface EndState {
  /** The workload as it is, if it exists (a recreated kind may be between its delete and create). */
  current?: KubeObject;
  owner?: DevOwner;
  /** The object to put back; undefined when the workload is not in dev mode. */
  restored?: KubeObject;
}

/** What dev mode needs from the rest of the daemon (DevModeService's deps, less its session callback). */
export interface DevModePorts {
  log: Logger;
  identity: string;
  sessionId: string;
  now: () => number;
  /** The environment `${VAR}` in a dev config reads (the daemon's, given by the composition root). */
  env: Environment;
  /** The local directory is synced into the dev container while the session lives (omitted: no sync). */
  sync?: {
    start(params: SyncStartParams, onProgress: (message: string) => void): Promise<SyncStatus>;
    stop(sessionId: string): Promise<void>;
  };
  /** The config's portForward pairs start with the session and stop with it. */
  portForwards: {
    startFromConfig(scope: Scope, ref: WorkloadRef, pairs: string[]): Promise<unknown>;
    stopFor(scope: Scope, ref: WorkloadRef): void;
  };
}

/** What the steps use besides the cluster: the ports and the service's session table. */
export interface RunDeps extends DevModePorts {
  sessions: SessionTable;
}

/** The sessions a DevModeService holds, as the steps change them. */
export interface SessionTable {
  get(id: string): DevSession | undefined;
  /** Stores the session and tells clients. */
  update(session: DevSession): void;
  /** Keeps what a session was started from, so that its settings can be read again (settingsOf). */
  remember(id: string, params: DevStartParams, original: KubeObject, configMap?: ConfigMapSource): void;
}

/**
 * One dev start as it goes: what it was asked, and what each step found or made, in step order.
 * A field is set by the step named beside it and read only by the steps after it.
 */
export interface StartRun {
  readonly scope: Scope;
  readonly params: DevStartParams;
  readonly signal: AbortSignal;
  readonly deps: RunDeps;
  readonly mode: DevModeStrategy;
  /** The session's id (`context/namespace/kind/name`). */
  readonly id: string;
  /** read workload */
  state?: StartState;
  /** ownership: this daemon as the holder, keeping `since` on a repeated start. */
  me?: DevOwner;
  /** dev settings */
  dev?: ResolvedDevSettings;
  /** dev settings: the container they apply to (settings.ts `targetContainer`). */
  container?: string;
  /** dev settings: the config's fields nhd does not act on, with why; open session puts them on the session. */
  configWarnings?: string[];
  /** open session: from here on, a failure marks the session failed. */
  session?: DevSession;
  /** claims */
  claims?: Claim[];
  /** the mode's plan step */
  plan?: DevStartPlan;
  /** the mode's steps: the workload as last written. */
  workload?: KubeObject;
  /** wait for dev pod */
  pod?: string;
}

/** One dev end as it goes. */
export interface EndRun {
  readonly scope: Scope;
  readonly params: DevEndParams;
  readonly signal: AbortSignal;
  readonly deps: RunDeps;
  readonly mode: DevModeStrategy;
  readonly id: string;
  /** read workload */
  state?: EndState;
}

/** Dev end's steps that only a workload in dev mode needs. */
export const notInDevMode = (run: EndRun): boolean => !need(run.state, 'state').restored;

/** What a step reads that an earlier step must have set; a missing one is a bug in the step list. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`dev mode step order: ${what} is not set yet`);
  return value;
}
