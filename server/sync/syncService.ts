/**
 * The file sync of dev sessions: one SyncSession per session, its agent in the dev pod's sidecar. The
 * service owns the connection's life: when the agent's link breaks (the pod restarted, the sidecar was
 * killed, the network dropped) the session stops sending, a new agent is started on the session's
 * current dev pod with backoff, and a sync by index covers everything saved meanwhile. A sync task
 * that fails while the link holds (the agent refused a batch, a local file could not be read) puts
 * the session in state `error` with the cause, pushed to every client, until a sync by index (the
 * session's own repair, with backoff, or `nhd/sync/resync`) succeeds.
 */
import { ErrorCode, type SyncBatch, type SyncSettings, type SyncStatus } from '../../protocol';
import { messageOf, NhdError, sleep, throwIfAborted } from '../errors';
import type { Scope } from '../kubeScope';
import type { AgentLauncher, AgentLink, FileWatcher, Logger } from '../ports';
import { isBug } from '../bug';
import { SyncSession, type SyncBatchReport, type SyncFailure } from './syncSession';

export interface SyncServiceDeps {
  log: Logger;
  watcher: FileWatcher;
  launchAgent: AgentLauncher;
  /** sendReceive: an agent on the local directory, which applies what comes back from the container. */
  launchLocalAgent: (root: string) => Promise<AgentLink>;
  /** Every change of a session's status (state, batch), for clients. */
  onChange: (status: SyncStatus) => void;
  now?: () => number;
  /** Backoff of reconnects to a lost agent (first wait, cap); default 250 ms and 5 s. */
  reconnectMs?: { min: number; max: number };
  /** Backoff of the sync by index that repairs a failed task (first wait, cap); default 1 s and 30 s. */
  recoverMs?: { min: number; max: number };
}

export interface SyncStartParams {
  sessionId: string;
  scope: Scope;
  localDir: string;
  remoteDir: string;
  settings: SyncSettings;
  /** The dev pod now, and the agent's container and root in it. */
  pod: string;
  container: string;
  agentRoot: string;
  /** The session's current ready dev pod (after a restart it is another one); rejects while there is none. */
  findPod: () => Promise<string>;
}

/** An applied batch, for whoever reacts to changes being live (hot reload). */
export interface SyncAppliedEvent {
  sessionId: string;
  report: Pick<SyncBatchReport, 'kind' | 'files' | 'bytes' | 'ms'>;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

interface Entry {
  params: SyncStartParams;
  status: SyncStatus;
  session: SyncSession;
  link: AgentLink;
  localLink?: AgentLink;
  stopped: boolean;
  /** Fires on stop: ends the reconnect loop's waits. */
  readonly life: AbortController;
}

export class SyncService {
  private readonly entries = new Map<string, Entry>();
  private readonly applied = new Set<(event: SyncAppliedEvent) => void>();

  constructor(private readonly deps: SyncServiceDeps) {}

  list(): SyncStatus[] {
    return [...this.entries.values()].map((e) => snapshot(e.status));
  }

  get(sessionId: string): SyncStatus | undefined {
    const entry = this.entries.get(sessionId);
    return entry ? snapshot(entry.status) : undefined;
  }

  /**
   * Resolves once the session's sync has converged: state `watching` and nothing seen but not yet
   * applied (no batch pending or in flight, no resync scheduled). At once when the session has no
   * sync. Rejects with SyncFailed when its sync failed or is in `error` (the cause is the message), and on `signal`.
   */
  async whenIdle(sessionId: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      throwIfAborted(signal);
      const entry = this.entries.get(sessionId);
      if (!entry) return;
      if (entry.status.state === 'failed' || entry.status.state === 'error') throw new NhdError(ErrorCode.SyncFailed, entry.status.error ?? `The file sync of ${sessionId} failed.`);
      if (entry.status.state === 'watching') {
        await entry.session.idle();
        // Still watching afterwards: the link did not break while the last batch went out.
        if (this.entries.get(sessionId) === entry && entry.status.state === 'watching') return;
      }
      await sleep(20, signal);
    }
  }

  /** Calls `listener` after each applied batch that changed something; dispose() stops it. */
  onDidApply(listener: (event: SyncAppliedEvent) => void): { dispose(): void } {
    this.applied.add(listener);
    return { dispose: () => this.applied.delete(listener) };
  }

  /**
   * Starts the agent in the sidecar, syncs by index and watches. Resolves once the first sync is live.
   * A session already syncing the same directory is kept; another directory replaces it.
   */
  async start(params: SyncStartParams, onProgress: (message: string) => void): Promise<SyncStatus> {
    const existing = this.entries.get(params.sessionId);
    if (existing && !existing.stopped && existing.params.localDir === params.localDir && existing.status.state !== 'failed') return snapshot(existing.status);
    if (existing) await this.stop(params.sessionId);

    const status: SyncStatus = {
      sessionId: params.sessionId,
      localDir: params.localDir,
      remoteDir: params.remoteDir,
      type: params.settings.type,
      state: 'starting',
      pod: params.pod,
      totals: { batches: 0, files: 0, bytes: 0 },
      held: [],
      conflicts: [],
      reconnects: 0,
      warnings: [],
    };
    this.deps.onChange(snapshot(status));
    onProgress(`starting the sync agent in ${params.pod}/${params.container}`);
    let link: AgentLink;
    try {
      link = await this.launch(params, params.pod);
    } catch (error) {
      status.state = 'failed';
      status.error = `The sync agent did not start in ${params.pod}/${params.container}: ${messageOf(error)}`;
      this.deps.onChange(snapshot(status));
      throw new NhdError(ErrorCode.SyncFailed, status.error);
    }
    let localLink: AgentLink | undefined;
    if (params.settings.type === 'sendReceive') {
      try {
        localLink = await this.deps.launchLocalAgent(params.localDir);
      } catch (error) {
        link.close();
        status.state = 'failed';
        status.error = `The local sync agent for ${params.localDir} did not start: ${messageOf(error)}`;
        this.deps.onChange(snapshot(status));
        throw new NhdError(ErrorCode.SyncFailed, status.error);
      }
    }
    const entry: Entry = { params, status, link, ...(localLink ? { localLink } : {}), stopped: false, life: new AbortController(), session: undefined as unknown as SyncSession };
    entry.session = new SyncSession({
      localDir: params.localDir,
      link,
      ...(localLink ? { localLink } : {}),
      watcher: this.deps.watcher,
      settings: params.settings,
      log: this.deps.log,
      onBatch: (report) => this.onBatch(entry, report),
      onFailed: (failure) => this.onFailed(entry, failure),
      onRecovered: () => this.onRecovered(entry),
      ...(this.deps.recoverMs ? { recoverMs: this.deps.recoverMs } : {}),
    });
    this.entries.set(params.sessionId, entry);
    onProgress(`syncing ${params.localDir} to ${params.remoteDir}`);
    try {
      await entry.session.start();
    } catch (error) {
      entry.stopped = true;
      link.close();
      localLink?.close();
      this.entries.delete(params.sessionId);
      await entry.session.stop().catch(() => {});
      status.state = 'failed';
      status.error = `The first sync of ${params.localDir} failed: ${messageOf(error)}`;
      this.deps.onChange(snapshot(status));
      throw new NhdError(ErrorCode.SyncFailed, status.error);
    }
    status.warnings = [...entry.session.warnings];
    status.state = 'watching';
    this.deps.onChange(snapshot(status));
    this.deps.log.log('info', 'sync', 'file sync started', { id: params.sessionId, localDir: params.localDir, pod: params.pod });
    void this.supervise(entry);
    return snapshot(status);
  }

  /** Stops watching and closes the agent's link. */
  async stop(sessionId: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    entry.stopped = true;
    entry.life.abort();
    await entry.session.stop();
    entry.link.close();
    entry.localLink?.close();
    entry.status.state = 'stopped';
    delete entry.status.error;
    this.deps.onChange(snapshot(entry.status));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.stop(id)));
  }

  /**
   * A sync by index now (optionally applying held deletes); resolves when it is live. In state
   * `error` it is the repair, and the session is `watching` again once it succeeded. Rejects with
   * SyncFailed and the cause when it fails (a bug stays a bug, for the rpc layer to report).
   */
  async resync(sessionId: string, options: { allowDeletes?: boolean }): Promise<SyncStatus> {
    const entry = this.entries.get(sessionId);
    if (!entry) {
      const known = [...this.entries.keys()];
      throw new NhdError(ErrorCode.UnknownHandle, `No file sync runs for ${sessionId}; ${known.length > 0 ? `running: ${known.join(', ')}` : 'start one with `nhd dev start KIND/NAME --local-dir DIR`'}.`);
    }
    if (entry.status.state !== 'watching' && entry.status.state !== 'error') {
      throw new NhdError(ErrorCode.SyncFailed, `The file sync of ${sessionId} is ${entry.status.state}${entry.status.error ? ` (${entry.status.error})` : ''}; it resyncs by itself once the agent is reachable again.`);
    }
    try {
      await entry.session.resync(options);
    } catch (error) {
      if (isBug(error)) throw error;
      throw new NhdError(ErrorCode.SyncFailed, `The resync of ${entry.params.localDir} to ${entry.params.remoteDir} failed: ${messageOf(error)}`);
    }
    return snapshot(entry.status);
  }

  private launch(params: SyncStartParams, pod: string): Promise<AgentLink> {
    const { cluster, context, namespace } = params.scope;
    return this.deps.launchAgent(cluster, { context, namespace, pod, container: params.container }, params.agentRoot);
  }

  private onBatch(entry: Entry, report: SyncBatchReport): void {
    const { status } = entry;
    const batch: SyncBatch = {
      kind: report.kind,
      direction: report.direction,
      files: report.files,
      bytes: report.bytes,
      latencyMs: Math.round(report.ms * 10) / 10,
      at: new Date((this.deps.now ?? Date.now)()).toISOString(),
      paths: report.paths,
      errors: report.errors,
    };
    status.lastBatch = batch;
    status.totals.batches++;
    status.totals.files += report.files;
    status.totals.bytes += report.bytes;
    // A sync by index says what is held now; a batch adds to it.
    if (report.direction === 'push') status.held = report.kind === 'batch' ? [...new Set([...status.held, ...report.held])].sort() : report.held;
    for (const c of report.conflicts) {
      status.conflicts.push({ path: c.path, resolution: c.resolution, ...(c.copy ? { copy: c.copy } : {}) });
      this.deps.log.log('warn', 'sync', 'conflict: changed on both sides', { id: status.sessionId, path: c.path, copy: c.copy });
    }
    // Only the most recent conflicts: a status is pushed on every batch.
    if (status.conflicts.length > 100) status.conflicts.splice(0, status.conflicts.length - 100);
    if (!entry.stopped) this.deps.onChange(snapshot(status));
    // Changes that came from the container are already live there: nothing to reload.
    if (report.files > 0 && report.direction === 'push') for (const listener of this.applied) listener({ sessionId: status.sessionId, report: { kind: report.kind, files: report.files, bytes: report.bytes, ms: report.ms } });
  }

  /**
   * A sync task failed while the link holds: `error`, with the cause and when the repair comes. While
   * starting or reconnecting the failure is the caller's (start, the reconnect loop), not news.
   */
  private onFailed(entry: Entry, failure: SyncFailure): void {
    const { status } = entry;
    if (entry.stopped || (status.state !== 'watching' && status.state !== 'error')) return;
    const what = failure.kind === 'batch' ? 'Applying saved changes failed' : 'A sync by index failed';
    const repair = `nhd syncs by index in ${Math.max(1, Math.round(failure.retryInMs / 1000))} s to repair it (\`nhd sync resync\` does it now)`;
    status.state = 'error';
    status.error = `${what}: ${messageOf(failure.error)}. ${repair}.`;
    this.deps.onChange(snapshot(status));
  }

  /** A sync by index succeeded after a failure: `watching` again. */
  private onRecovered(entry: Entry): void {
    const { status } = entry;
    if (entry.stopped || status.state !== 'error') return;
    status.state = 'watching';
    delete status.error;
    this.deps.onChange(snapshot(status));
    this.deps.log.log('info', 'sync', 'file sync repaired by a sync by index', { id: status.sessionId });
  }

  /** Waits for the link to break, then reconnects on the session's current pod and resyncs; forever, until stopped. */
  private async supervise(entry: Entry): Promise<void> {
    const { status, params } = entry;
    while (!entry.stopped) {
      const { reason } = await entry.link.closed;
      if (entry.stopped) return;
      entry.session.detach();
      status.state = 'reconnecting';
      status.error = reason;
      this.deps.onChange(snapshot(status));
      this.deps.log.log('warn', 'sync', 'lost the sync agent; reconnecting', { id: status.sessionId, reason });
      const backoff = this.deps.reconnectMs ?? { min: RECONNECT_MIN_MS, max: RECONNECT_MAX_MS };
      let delay = backoff.min;
      for (;;) {
        try {
          await sleep(delay, entry.life.signal);
        } catch {
          return; // Stopped.
        }
        let link: AgentLink | undefined;
        try {
          const pod = await params.findPod();
          link = await this.launch(params, pod);
          if (entry.stopped) {
            link.close();
            return;
          }
          entry.link = link;
          status.pod = pod;
          await entry.session.attach(link);
          break;
        } catch (error) {
          // An agent that started but could not resync is not kept: the next attempt starts another.
          link?.close();
          if (entry.stopped) return;
          status.error = `${reason} Reconnecting: ${messageOf(error)}`;
          this.deps.onChange(snapshot(status));
          delay = Math.min(delay * 2, backoff.max);
        }
      }
      status.reconnects++;
      status.state = 'watching';
      delete status.error;
      this.deps.onChange(snapshot(status));
      this.deps.log.log('info', 'sync', 'sync agent reconnected', { id: status.sessionId, pod: status.pod });
    }
  }
}

function snapshot(status: SyncStatus): SyncStatus {
  return structuredClone(status);
}
