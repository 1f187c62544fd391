import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  ErrorCode,
  type DevSession,
  type DevSettings,
  type RunDidChangeParams,
  type RunInfo,
  type RunOutputParams,
  type RunMode,
  type RunReload,
  type RunState,
  type WorkloadRef,
} from '../../protocol';
import { reportBug } from '../bug';
import type { DevSettingsSource } from '../devMode/devModeService';
import { CancelledError, messageOf, NhdError } from '../errors';
import { execAndCollect } from '../execCollect';
import { describe, kubeCallAsync, sessionIdOf, type Scope } from '../kubeScope';
import type { ExecProcess, Logger } from '../ports';
import { pidFile, startCommand, stopCommand, type StopExtras } from './processGroup';
import { ReloadScheduler, type ReloadTrigger, type SyncEvents } from './reloadScheduler';

/** SIGTERM, then SIGKILL after this long. */
export const STOP_GRACE_MS = 5_000;
/** How long to wait for a run's exec to report its end once its process group is gone. */
const EXEC_END_WAIT_MS = 5_000;

/** The client a run belongs to: it gets the output, and the run ends when it leaves. */
export interface RunClient {
  readonly id: number;
  output(params: RunOutputParams): void;
  /**
   * Optional: one process of the run ended, so none of its output is still to come (after its last
   * output(), in order): text decoders flush what it left incomplete. Once per process, restarts included.
   */
  outputEnded?(runId: string): void;
  onClose(listener: () => void): void;
}

export interface RunDeps {
  log: Logger;
  /** Applied sync batches, per dev session: what hot reload restarts on. */
  sync: SyncEvents;
  /** The dev sessions this daemon holds. */
  sessions(): DevSession[];
  /** A held session's dev settings, read now, and where they come from. */
  settingsOf(sessionId: string): { dev: DevSettings; source?: DevSettingsSource } | undefined;
  /** Every change of a run, for every client. */
  onChange(params: RunDidChangeParams): void;
  now?: () => number;
  /** SIGTERM → SIGKILL grace, in milliseconds (default STOP_GRACE_MS). */
  graceMs?: number;
}

interface Run {
  info: RunInfo;
  owner: RunClient;
  scope: Scope;
  /** Starts so far; names the pid file of each. */
  generation: number;
  /** The generation whose exit is the run's news; -1 while a restart replaces it. */
  current: number;
  process: ExecProcess | undefined;
  pidFile: string | undefined;
  exited: boolean;
  scheduler: ReloadScheduler | undefined;
  /** Set once the run is being ended (stop, replace, owner gone, dev end); no restart follows. */
  ending: Promise<RunInfo> | undefined;
  /** Notifications held until the answer to start went out, so clients never see an unknown id. */
  held: (() => void)[] | undefined;
  /** What a stop ends besides the process group (a debugger's tree and port). */
  extras: StopExtras;
  /** `command.build`: runs before the program at every start and hot-reload restart. */
  build: readonly string[];
}

/** A change of a run, for listeners inside the daemon (the debug service follows its debugger's restarts). */
export type RunChangeListener = (run: RunInfo, reload?: RunReload) => void;

/**
 * Runs: the dev config's command in a dev container, each in its own process group, owned by the
 * client that started it, restarted on sync batches with hot reload. At most one run per dev
 * session: a new one replaces the old.
 */
export class RunService {
  private readonly runs = new Map<string, Run>();
  private readonly watchedClients = new Set<number>();
  private readonly listeners = new Set<RunChangeListener>();
  private readonly now: () => number;
  private readonly graceMs: number;

  constructor(private readonly deps: RunDeps) {
    this.now = deps.now ?? Date.now;
    this.graceMs = deps.graceMs ?? STOP_GRACE_MS;
  }

  list(): RunInfo[] {
    return [...this.runs.values()].map((run) => ({ ...run.info }));
  }

  count(): number {
    return this.runs.size;
  }

  /** The run held for a dev session, if any (one per dev container). */
  runOf(sessionId: string): RunInfo | undefined {
    const run = [...this.runs.values()].find((r) => r.info.sessionId === sessionId && !r.ending);
    return run && { ...run.info };
  }

  /**
   * Calls `listener` on every change of every run, at once (not held like the notifications):
   * `restarting` when a hot reload begins, `running` with `reload` once the new process started,
   * `exited` (with `ended` when the run is over).
   */
  onDidChange(listener: RunChangeListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async start(scope: Scope, ref: WorkloadRef, options: { hotReload?: boolean; mode?: RunMode }, owner: RunClient, signal: AbortSignal): Promise<RunInfo> {
    const sessionId = sessionIdOf(scope, ref);
    const session = this.deps.sessions().find((s) => s.id === sessionId);
    const settings = session?.state === 'ready' && session.pod ? this.deps.settingsOf(sessionId) : undefined;
    if (!session || !session.pod || !settings) throw notInDevMode(scope, ref, session);
    const hotReload = options.hotReload ?? settings.dev.hotReload;
    const mode = options.mode ?? 'run';
    const { run: runCommand, hotReloadRun, debug: debugCommand, hotReloadDebug } = settings.dev.command;
    const [plain, onReload] = mode === 'debug' ? [debugCommand, hotReloadDebug] : [runCommand, hotReloadRun];
    const command = hotReload && onReload.length > 0 ? onReload : plain;
    if (command.length === 0) throw noCommand(ref, settings.source, mode);
    // A debugger leaves processes outside its group (delve's program, debugpy's adapter).
    const debugPort = settings.dev.debug?.remoteDebugPort;
    const extras: StopExtras = mode === 'debug' ? { tree: true, ...(debugPort ? { port: debugPort } : {}) } : {};

    for (const other of [...this.runs.values()]) {
      if (other.info.sessionId === sessionId) await this.end(other, `Replaced by a new run of ${describe(ref)}.`);
    }
    // Programs a daemon that died left running in this container (a run per container, always).
    await this.stopGroups(scope, session.pod, session.container, 'all', extras);
    if (signal.aborted) throw new CancelledError();

    const info: RunInfo = {
      runId: `run-${randomBytes(4).toString('hex')}`,
      sessionId,
      context: scope.context,
      namespace: scope.namespace,
      kind: ref.kind,
      name: ref.name,
      pod: session.pod,
      container: session.container,
      mode,
      command: [...command],
      workDir: session.workDir,
      hotReload,
      state: 'starting',
      ended: false,
      reloads: 0,
      startedAt: new Date(this.now()).toISOString(),
    };
    const run: Run = { info, owner, scope, generation: 0, current: -1, process: undefined, pidFile: undefined, exited: true, scheduler: undefined, ending: undefined, held: [], extras, build: settings.dev.command.build };
    this.runs.set(info.runId, run);
    this.changed(run);
    try {
      await this.launch(run);
    } catch (error) {
      this.runs.delete(info.runId);
      throw error;
    }
    info.state = 'running';
    this.changed(run);
    this.deps.log.log('info', 'run', 'run started', { run: info.runId, session: sessionId, pod: info.pod, command, hotReload, client: owner.id });
    if (hotReload) {
      run.scheduler = new ReloadScheduler(this.deps.sync, sessionId, (trigger) => this.reload(run, trigger), (error) => reportBug(this.deps.log, 'hot reload', error));
    }
    this.endWhenClientLeaves(owner);
    if (signal.aborted) {
      void this.end(run, 'Cancelled while starting.');
      throw new CancelledError();
    }
    // The answer to start is queued before the next turn; what was held follows it.
    setImmediate(() => {
      const held = run.held ?? [];
      run.held = undefined;
      for (const send of held) send();
    });
    return { ...info };
  }

  /** Ends a run (any client may); answers with its last state. */
  async stop(runId: string): Promise<RunInfo> {
    const run = this.runs.get(runId);
    if (!run) throw new NhdError(ErrorCode.UnknownHandle, `No run ${runId} is held by this daemon; it may have ended already (\`nhd/run/list\` lists the runs).`);
    return this.end(run, 'Stopped.');
  }

  /** Ends the runs of a dev session (dev mode is ending). */
  stopFor(sessionId: string, message: string): void {
    for (const run of [...this.runs.values()]) if (run.info.sessionId === sessionId) void this.end(run, message);
  }

  /** Ends every run (the daemon is stopping); best effort. */
  dispose(): void {
    for (const run of [...this.runs.values()]) void this.end(run, 'The nhd daemon stopped.');
  }

  /** Starts the program once more in the run's container, in a new process group. */
  private async launch(run: Run): Promise<void> {
    const { info, scope } = run;
    const generation = ++run.generation;
    const file = pidFile(info.runId, generation);
    const sink = (stream: RunOutputParams['stream']) =>
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          const params: RunOutputParams = { runId: info.runId, stream, data: Buffer.from(chunk).toString('base64') };
          this.send(run, () => run.owner.output(params));
          done();
        },
      });
    const process = await kubeCallAsync(() =>
      scope.cluster.exec(scope.context, scope.namespace, info.pod, info.container, startCommand(info.workDir, file, info.command, run.build), {
        stdout: sink('stdout'),
        stderr: sink('stderr'),
        tty: false,
      }),
    );
    run.process = process;
    run.pidFile = file;
    run.current = generation;
    run.exited = false;
    void process.exited.then((exitCode) => this.exited(run, generation, exitCode));
  }

  /** A process ended: news when it is the run's current one and nobody is ending or replacing it. */
  private exited(run: Run, generation: number, exitCode: number | null): void {
    this.send(run, () => run.owner.outputEnded?.(run.info.runId));
    if (generation === run.generation) run.exited = true;
    if (generation !== run.current || run.ending) return;
    const { info } = run;
    info.state = 'exited';
    info.exitCode = exitCode;
    if (exitCode === null) info.message = `The connection to pod ${info.pod} broke without an exit status (the pod was deleted or restarted?).`;
    else delete info.message;
    this.deps.log.log('info', 'run', 'run exited', { run: info.runId, exitCode, hotReload: info.hotReload });
    // A hot-reload run waits for the next change; any other run is over.
    if (!info.hotReload) this.forget(run);
    this.changed(run);
  }

  /** One hot reload: stop the process group, start the program again, report the timings. */
  private async reload(run: Run, trigger: ReloadTrigger): Promise<void> {
    if (run.ending) return;
    const { info } = run;
    const began = this.now();
    run.current = -1;
    info.state = 'restarting';
    this.changed(run);
    await this.kill(run);
    const stopMs = this.now() - began;
    if (run.ending) return;
    // The dev pod may have been replaced (a restart); sync follows it, and so does the run.
    const pod = this.deps.sessions().find((s) => s.id === info.sessionId)?.pod;
    if (pod) info.pod = pod;
    const launched = this.now();
    try {
      await this.launch(run);
    } catch (error) {
      info.state = 'exited';
      info.exitCode = null;
      info.message = `Hot reload could not start the program again: ${messageOf(error)}`;
      this.changed(run);
      return;
    }
    const startMs = this.now() - launched;
    info.reloads++;
    // The new process may have ended already (a syntax error): its exit is the news then.
    if (run.ending || (info.state as RunState) === 'exited') return;
    info.state = 'running';
    delete info.exitCode;
    delete info.message;
    const reload: RunReload = { trigger: trigger.trigger, files: trigger.files, bytes: trigger.bytes, syncMs: Math.round(trigger.syncMs), stopMs, startMs };
    this.deps.log.log('info', 'run', 'hot reload', { run: info.runId, ...reload, batches: trigger.batches });
    this.changed(run, reload);
  }

  /**
   * Ends a run once: no restart after this, the process group gone, the run forgotten, every
   * client told. Concurrent calls share the first one's work.
   */
  private end(run: Run, message: string): Promise<RunInfo> {
    if (run.ending) return run.ending;
    run.ending = (async () => {
      run.scheduler?.dispose();
      await run.scheduler?.idle();
      const exitCode = await this.kill(run);
      const { info } = run;
      if (exitCode !== undefined) info.exitCode = exitCode;
      info.state = 'exited';
      info.message = message;
      this.forget(run);
      this.deps.log.log('info', 'run', 'run ended', { run: info.runId, message, exitCode: info.exitCode });
      this.changed(run);
      return { ...info };
    })();
    return run.ending;
  }

  /**
   * Ends the run's current process group (SIGTERM, SIGKILL after the grace period) and waits for
   * its exec to report the end. Resolves with the exit code, or undefined when none was running.
   */
  private async kill(run: Run): Promise<number | null | undefined> {
    const { process, pidFile: file } = run;
    if (!process || !file) return undefined;
    run.process = undefined;
    run.pidFile = undefined;
    // A debugger that exited by itself can leave a daemonized holder of its port behind (debugpy's
    // adapter), which the next start would collide with: a debug run always cleans up.
    const leftovers = run.exited && run.extras.port !== undefined;
    if (!run.exited || leftovers) {
      try {
        const killed = await this.stopGroups(run.scope, run.info.pod, run.info.container, leftovers ? 'all' : [file], run.extras);
        if (killed) this.deps.log.log('info', 'run', `the process group ignored SIGTERM for ${this.graceMs} ms and was killed`, { run: run.info.runId });
      } catch (error) {
        // The pod is gone or unreachable: its exec ends too, which is all that is left to wait for.
        this.deps.log.log('warn', 'run', 'stopping the process group failed', { run: run.info.runId, error: messageOf(error) });
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), EXEC_END_WAIT_MS)));
    try {
      return await Promise.race([process.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs the stop script in the container; true when SIGKILL was needed. */
  private async stopGroups(scope: Scope, pod: string, container: string, files: string[] | 'all', extras: StopExtras = {}): Promise<boolean> {
    const { stdout } = await execAndCollect(scope, pod, container, stopCommand(files, this.graceMs, extras));
    return stdout.includes('killed');
  }

  private forget(run: Run): void {
    run.info.ended = true;
    run.scheduler?.dispose();
    this.runs.delete(run.info.runId);
  }

  private endWhenClientLeaves(owner: RunClient): void {
    if (this.watchedClients.has(owner.id)) return;
    this.watchedClients.add(owner.id);
    owner.onClose(() => {
      this.watchedClients.delete(owner.id);
      for (const run of [...this.runs.values()]) if (run.owner.id === owner.id) void this.end(run, 'The client that started the run disconnected.');
    });
  }

  private changed(run: Run, reload?: RunReload): void {
    const params: RunDidChangeParams = { run: { ...run.info, command: [...run.info.command] } };
    if (reload) params.reload = reload;
    for (const listener of [...this.listeners]) {
      try {
        listener({ ...params.run }, reload);
      } catch (error) {
        reportBug(this.deps.log, 'run listener', error);
      }
    }
    this.send(run, () => this.deps.onChange(params));
  }

  private send(run: Run, notify: () => void): void {
    if (run.held) run.held.push(notify);
    else notify();
  }
}

function notInDevMode(scope: Scope, ref: WorkloadRef, session: DevSession | undefined): NhdError {
  const where = `-n ${scope.namespace}${scope.context ? ` --context ${scope.context}` : ''}`;
  const start = `\`nhd dev start ${describe(ref)} ${where}\``;
  if (session?.state === 'starting') return new NhdError(ErrorCode.NotInDevMode, `${describe(ref)} is still entering dev mode; run it again once ${start} has finished.`);
  if (session?.state === 'failed') return new NhdError(ErrorCode.NotInDevMode, `Dev mode of ${describe(ref)} failed (${session.error ?? 'see the daemon log'}); fix that and run ${start} again first.`);
  if (session?.state === 'ending') return new NhdError(ErrorCode.NotInDevMode, `Dev mode of ${describe(ref)} is ending; run ${start} again first.`);
  return new NhdError(
    ErrorCode.NotInDevMode,
    `${describe(ref)} is not in dev mode held by this nhd daemon (namespace ${scope.namespace}, context ${scope.context}); run ${start} first.`,
  );
}

function noCommand(ref: WorkloadRef, source: DevSettingsSource | undefined, mode: RunMode = 'run'): NhdError {
  const key = mode === 'debug' ? 'command.debug' : 'command.run';
  const example = mode === 'debug' ? 'e.g. `debug: ["./debug.sh"]`' : 'e.g. `run: ["./run.sh"]`';
  const what = mode === 'debug' ? 'no debugger to start' : 'no command to run';
  const container = source?.container ? `container ${JSON.stringify(source.container)}` : 'the container';
  if (source && 'file' in source) {
    return new NhdError(
      ErrorCode.RunCommandMissing,
      `The dev config of ${describe(ref)} has ${what}: set \`${key}\` (an argv list, ${example}) in the \`dev\` section of ${container} of service ${JSON.stringify(ref.name)} in ${source.file}.`,
    );
  }
  if (source) {
    return new NhdError(
      ErrorCode.RunCommandMissing,
      `The dev config of ${describe(ref)} (its dev.nocalhost annotation) has ${what}: set \`${key}\` (an argv list, ${example}) in the \`dev\` section of ${container} there, or in a .nocalhost/config.yaml in the directory given to \`nhd dev start --local-dir\`.`,
    );
  }
  return new NhdError(
    ErrorCode.RunCommandMissing,
    `${describe(ref)} has no dev config, so there is ${what}: write .nocalhost/config.yaml in your source directory with \`${key}\` (an argv list, ${example}) under the container's \`dev\` section, and run \`nhd dev start ${describe(ref)} --local-dir DIR\` with it.`,
  );
}
