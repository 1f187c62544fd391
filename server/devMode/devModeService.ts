import type { DevEndParams, DevEndResult, DevSession, DevSettings, DevStartParams, WorkloadRef } from '../../protocol';
import { messageOf } from '../errors';
import { describe, sessionIdOf, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import type { Progress } from '../rpc/progress';
import { endSteps, startSteps } from './devSteps';
import { replaceMode } from './replaceMode';
import { resolveSettings, type ConfigMapSource, type DevSettingsSource } from './settings';
import { runSteps } from './steps';
import { need, type DevModePorts, type DevModeStrategy, type EndRun, type RunDeps, type SessionTable, type StartRun } from './strategy';

export type { DevSettingsSource } from './settings';

export interface DevModeDeps extends DevModePorts {
  /** Called whenever a session changes, so clients hear of it. */
  onSessionChange: (session: DevSession) => void;
}

/**
 * Dev start and dev end against a cluster: the steps of devSteps.ts run in order, each visible as
 * progress. Every step can be interrupted (SIGKILL included) and `end` still restores exactly,
 * because the backup is written before anything else changes and lives in the cluster. Operations
 * on one workload are serialized. The service holds the sessions this daemon started.
 */
export class DevModeService {
  private readonly sessions = new Map<string, DevSession>();
  private readonly busy = new Map<string, Promise<unknown>>();
  /** What each held session was started from, so that its settings can be read again. */
  private readonly started = new Map<string, { params: DevStartParams; original: KubeObject; configMap?: ConfigMapSource }>();
  private readonly runDeps: RunDeps;

  constructor(private readonly deps: DevModeDeps) {
    const table: SessionTable = {
      get: (id) => this.sessions.get(id),
      update: (session) => this.update(session),
      remember: (id, params, original, configMap) => this.started.set(id, { params, original, ...(configMap ? { configMap } : {}) }),
    };
    this.runDeps = { ...deps, sessions: table };
  }

  list(): DevSession[] {
    return [...this.sessions.values()];
  }

  async start(scope: Scope, params: DevStartParams, progress: Progress, signal: AbortSignal): Promise<DevSession> {
    return this.serialized(scope, params, () => this.doStart(scope, params, progress, signal));
  }

  async end(scope: Scope, params: DevEndParams, progress: Progress, signal: AbortSignal): Promise<DevEndResult> {
    return this.serialized(scope, params, () => this.doEnd(scope, params, progress, signal));
  }

  /**
   * The dev settings of a session this daemon holds, resolved again now as dev start resolved
   * them (a local config edited since is read afresh), with where they come from; undefined for a
   * session it does not hold.
   */
  settingsOf(id: string): { dev: DevSettings; source?: DevSettingsSource } | undefined {
    const started = this.started.get(id);
    return started && resolveSettings(started.params, started.original, this.deps.env, started.configMap);
  }

  private async serialized<T>(scope: Scope, ref: WorkloadRef, work: () => Promise<T>): Promise<T> {
    const id = sessionIdOf(scope, ref);
    const previous = this.busy.get(id) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.busy.set(id, next);
    try {
      return await next;
    } finally {
      if (this.busy.get(id) === next) this.busy.delete(id);
    }
  }

  private async doStart(scope: Scope, params: DevStartParams, progress: Progress, signal: AbortSignal): Promise<DevSession> {
    const mode = modeFor(params);
    const run: StartRun = { scope, params, signal, deps: this.runDeps, mode, id: sessionIdOf(scope, params) };
    progress.begin(`Dev mode for ${describe(params)}`, `reading ${describe(params)}`, 0);
    try {
      await runSteps(startSteps(mode), run, progress, signal, (step) => this.logStep('start', run.id, step));
    } catch (error) {
      // Before the session opens (not found, owned by another, a bad config) there is nothing to mark.
      if (run.session) {
        run.session.state = 'failed';
        run.session.error = messageOf(error);
        this.update(run.session);
        this.deps.log.log('warn', 'dev', 'dev start failed', { id: run.id, error: run.session.error });
        progress.done('failed');
      }
      throw error;
    }
    const session = need(run.session, 'session');
    session.state = 'ready';
    this.update(session);
    this.deps.log.log('info', 'dev', 'dev mode started', { id: session.id, pod: run.pod, image: session.image });
    progress.done(`${describe(params)} is in dev mode (pod ${run.pod})`);
    return { ...session };
  }

  private async doEnd(scope: Scope, params: DevEndParams, progress: Progress, signal: AbortSignal): Promise<DevEndResult> {
    const mode = modeOf(params);
    const run: EndRun = { scope, params, signal, deps: this.runDeps, mode, id: sessionIdOf(scope, params) };
    progress.begin(`Ending dev mode for ${describe(params)}`, `reading ${describe(params)}`, 0);
    await runSteps(endSteps(mode), run, progress, signal, (step) => this.logStep('end', run.id, step));
    this.forget(run.id);
    if (!need(run.state, 'state').restored) {
      progress.done();
      return { ended: false, message: `${describe(params)} is not in dev mode in namespace ${scope.namespace}; nothing to do.` };
    }
    this.deps.log.log('info', 'dev', 'dev mode ended', { id: run.id, owner: run.state?.owner?.identity });
    progress.done(`${describe(params)} is restored`);
    return { ended: true, message: `Dev mode of ${describe(params)} ended; its original spec is restored.` };
  }

  private logStep(operation: 'start' | 'end', id: string, step: string): void {
    this.deps.log.log('debug', 'dev', `dev ${operation}: ${step}`, { id });
  }

  private update(session: DevSession): void {
    this.sessions.set(session.id, session);
    this.deps.onSessionChange({ ...session });
  }

  private forget(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.started.delete(id);
    this.deps.onSessionChange({ ...session, state: 'ended' });
  }
}

/** The mode dev start uses. `--mode duplicate|proxy` (DevStartParams.mode) will choose here. */
function modeFor(_params: DevStartParams): DevModeStrategy {
  return replaceMode;
}

/** The mode a workload is in, for dev end: replace, the only one yet (later read from its lock). */
function modeOf(_ref: WorkloadRef): DevModeStrategy {
  return replaceMode;
}
