/**
 * When a hot-reload run restarts: after each sync batch applied to its dev session, once at a
 * time, with the batches that arrive during a restart coalesced into one more restart after it.
 * Pure scheduling: the restart itself is the caller's.
 */

/** What one applied sync reports (the sync service's report of a batch). */
export interface SyncApplyReport {
  /** `initial`: the first sync of a session; `batch`: watcher changes; `resync`: a re-read of both trees. */
  kind: 'initial' | 'batch' | 'resync';
  /** Files written or deleted. */
  files: number;
  bytes: number;
  /** How long the batch took to apply, in milliseconds. */
  ms: number;
}

/** What the run service needs of file sync: hearing of each batch it applied, per dev session. */
export interface SyncEvents {
  onDidApply(listener: (event: { sessionId: string; report: SyncApplyReport }) => void): { dispose(): void };
}

/** Why a restart happens: the batches it answers, summed. */
export interface ReloadTrigger {
  trigger: 'batch' | 'resync';
  files: number;
  bytes: number;
  syncMs: number;
  /** Batches coalesced into this restart. */
  batches: number;
}

/**
 * Restarts one run on its session's sync batches. Only `batch` and `resync` reports that changed
 * files count (the initial sync happens before a run starts; an empty batch changes nothing). A
 * restart in progress is never interrupted: what arrives meanwhile waits and causes exactly one
 * more restart when it ends.
 */
export class ReloadScheduler {
  private subscription: { dispose(): void } | undefined;
  private running: Promise<void> | undefined;
  private pending: ReloadTrigger | undefined;
  private disposed = false;

  constructor(
    events: SyncEvents,
    private readonly sessionId: string,
    private readonly restart: (trigger: ReloadTrigger) => Promise<void>,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.subscription = events.onDidApply(({ sessionId, report }) => {
      if (sessionId === this.sessionId) this.heard(report);
    });
  }

  /** True while a restart runs. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when no restart runs and none waits (for tests and orderly stops). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops listening; a restart in progress finishes, a waiting one is dropped. */
  dispose(): void {
    this.disposed = true;
    this.pending = undefined;
    this.subscription?.dispose();
    this.subscription = undefined;
  }

  private heard(report: SyncApplyReport): void {
    if (this.disposed || report.kind === 'initial' || report.files <= 0) return;
    const kind = report.kind;
    const previous = this.pending;
    this.pending = {
      // A re-sync among the coalesced batches is what the restart answers.
      trigger: previous?.trigger === 'resync' || kind === 'resync' ? 'resync' : 'batch',
      files: (previous?.files ?? 0) + report.files,
      bytes: (previous?.bytes ?? 0) + report.bytes,
      syncMs: (previous?.syncMs ?? 0) + report.ms,
      batches: (previous?.batches ?? 0) + 1,
    };
    if (!this.running) this.running = this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending && !this.disposed) {
        const trigger = this.pending;
        this.pending = undefined;
        try {
          await this.restart(trigger);
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
