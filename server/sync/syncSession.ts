/**
 * File sync of a local directory with a sync agent, driven by a FileWatcher: an initial sync by indexes, then
 * coalesced watcher batches, and a full re-plan whenever the watcher says events may be lost. `send` mirrors the
 * local tree; `sendReceive` also brings the agent's changes back (through a second agent on the local directory)
 * and keeps both versions of a file changed on both sides (twoWaySync.ts).
 * Works through the ports only (AgentLink, FileWatcher, Logger); the local tree is read with node:fs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SyncSettings } from '../../protocol';
import type { AgentLink, FileWatcher, IndexEntry, Logger, SyncOp, SyncOpError, WatchEvent } from '../ports';
import { planBatch } from './batch';
import { DELETE_PROTECTION_MINIMUM, holdsDeletes } from './deleteProtection';
import { makeIgnore, readGitignores, type GitignoreFs } from './ignore';
import { planInitialSync, planWithHashes } from './initialSync';
import { countDirectories, hashFile, localIndex, statEntry } from './localIndex';
import { recordApplied } from './base';
import { ancestorsOf, isUnder, withoutIgnored, type IgnoreMatcher, type PlannedOp } from './ops';
import type { Conflict } from './twoWay';
import { guarded, reconcileTwoWay, type SideResult } from './twoWaySync';
import { wholeRead } from './wholeRead';
import { isBug, reportBug } from '../bug';
import { messageOf } from '../errors';

/** What one applied batch did. */
export interface SyncBatchReport {
  /** `initial`: start(); `batch`: watcher events; `resync`: a full re-plan after the watcher overflowed. */
  kind: 'initial' | 'batch' | 'resync';
  /** Ops applied (writes, mkdirs, symlinks, chmods, deletes). */
  files: number;
  /** Content bytes written. */
  bytes: number;
  /** From the first event of the batch (or the start of the re-plan) to the agent's answer. */
  ms: number;
  errors: SyncOpError[];
  /** Deletes held by deleteProtection: not applied, the far side keeps these paths. */
  held: string[];
  /** Up to 20 of the paths applied, for display. */
  paths: string[];
  /** `push`: to the agent; `pull`: from it into the local directory (sendReceive). */
  direction: 'push' | 'pull';
  /** Files changed on both sides found by this batch (sendReceive). */
  conflicts: Conflict[];
}

/** After the agent reported only its own writes back, a check that nothing else changed, this much later. */
const ECHO_CHECK_MS = 2_000;
/** How long a path we wrote is expected to come back from the agent's watcher. */
const ECHO_WINDOW_MS = 2_000;

/** After a failed sync task, the first sync by index that repairs it waits this long... */
const RECOVER_MIN_MS = 1_000;
/** ...and each further failure in a row doubles the wait, up to this. */
const RECOVER_MAX_MS = 30_000;

/** How long a batch with a few deletes waits for more (an `rm -rf` starting). */
const DELETE_PEEK_MS = 30;
/** A batch with many deletes is applied once no event came for this long... */
const DELETE_SETTLE_MS = 200;
/** ...or after this long, whichever comes first. */
const DELETE_MAX_WAIT_MS = 2_000;

export interface SyncSessionOptions {
  localDir: string;
  link: AgentLink;
  watcher: FileWatcher;
  settings: Pick<SyncSettings, 'mode' | 'filePattern' | 'ignoreFilePattern' | 'deleteProtection'> & { type?: SyncSettings['type'] };
  /** sendReceive: the agent on the local directory, which applies what comes back. */
  localLink?: AgentLink;
  log: Logger;
  onBatch: (report: SyncBatchReport) => void;
  /**
   * A sync task that runs by itself (a watcher batch, a two-way round, a re-read after an overflow,
   * a repair) or a resync() failed as a whole: the far side may miss changes until a sync by index
   * succeeds, which the session schedules in `retryInMs`. Not called while detached or stopped, nor for
   * start() and attach(), whose callers get the failure.
   */
  onFailed?: (failure: SyncFailure) => void;
  /** A sync by index succeeded after onFailed: both sides agree again. */
  onRecovered?: () => void;
  /** How long events are gathered before a batch is planned; default 5 ms. */
  coalesceMs?: number;
  /** After an overflow, how long the tree must be quiet before it is re-read; default 300 ms. */
  settleMs?: number;
  /** The repair after a failure: first wait and cap of its backoff; default 1 s and 30 s. */
  recoverMs?: { min: number; max: number };
}

/** What failed, for SyncSessionOptions.onFailed. */
export interface SyncFailure {
  /** `batch`: saved changes (or a two-way round); `resync`: a sync by index (asked for, after an overflow, or a repair). */
  kind: 'batch' | 'resync';
  /** What was thrown (an agent's or the file system's error, or a bug). */
  error: unknown;
  /** When the session tries a sync by index. */
  retryInMs: number;
}

export class SyncSession {
  private readonly root: string;
  /** What sync leaves out; a stable function over `rules`, which a changed .gitignore replaces. */
  private readonly ignored: IgnoreMatcher = (relativePath, isDirectory) => this.rules(relativePath, isDirectory);
  private rules: IgnoreMatcher;
  /** What was last synced: the far side holds these paths because nhd put them there. */
  private base = new Map<string, IndexEntry>();
  private pending: WatchEvent[] = [];
  private pendingDeletes = 0;
  private firstEventAt = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncWanted = false;
  private work: Promise<void> = Promise.resolve();
  private watching: { close(): Promise<void> } | undefined;
  private stopped = false;
  private link: AgentLink;
  private readonly twoWay: boolean;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconcileAt = Infinity;
  /** sendReceive: paths just pushed, until when their echo from the agent's watcher is expected. */
  private readonly echoes = new Map<string, number>();
  /** What works but deserves attention (the inotify limit is close), for status. */
  readonly warnings: string[] = [];
  /** Between detach() and attach(): the agent is unreachable, changes wait for the resync. */
  private detached = false;
  /** Failed sync tasks in a row since the last sync by index that succeeded; > 0: a repair is due. */
  private failures = 0;
  private recoverTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SyncSessionOptions) {
    this.link = options.link;
    this.twoWay = options.settings.type === 'sendReceive';
    if (this.twoWay && !options.localLink) throw new Error('sendReceive needs an agent on the local directory (localLink).');
    this.root = path.resolve(options.localDir);
    this.rules = this.readRules();
  }

  /** The ignore rules now: the config's patterns, and in gitIgnore mode every .gitignore of the tree. */
  private readRules(): IgnoreMatcher {
    const { mode, filePattern, ignoreFilePattern } = this.options.settings;
    if (mode !== 'gitIgnore') return makeIgnore({ mode, filePattern, ignoreFilePattern });
    const gitignores = readGitignores({ ignoreFilePattern }, localGitignoreFs(this.root));
    return makeIgnore({ mode, filePattern, ignoreFilePattern, gitignores });
  }

  /**
   * A .gitignore changed: its rules apply from now on. The watch starts again (directories it no
   * longer ignores need watching), then a sync by index brings the far side in line.
   */
  private gitignoreChanged(): void {
    this.rules = this.readRules();
    this.options.log.log('info', 'sync', 'A .gitignore changed; sync follows its rules from now on');
    const old = this.watching;
    this.inBackground('resync', async () => {
      this.watching = await this.options.watcher.watch(this.root, { ignored: this.ignored }, (events) => this.onEvents(events), (reason) => this.onOverflow(reason));
      await old?.close();
    });
    this.onOverflow('a .gitignore changed');
  }

  /** The index of the last sync (paths nhd put on the far side), for tests and status. */
  get synced(): readonly IndexEntry[] {
    return [...this.base.values()];
  }

  /**
   * Watches (events that arrive meanwhile are kept), syncs the whole tree once, then applies changes as they
   * come. Resolves when the initial sync was applied.
   */
  async start(): Promise<SyncBatchReport> {
    const warning = this.options.watcher.capacityWarning?.(countDirectories(this.root, this.ignored));
    if (warning) {
      this.warnings.push(warning);
      this.options.log.log('warn', 'sync', 'The watcher is close to the inotify limit', { warning });
    }
    this.watching = await this.options.watcher.watch(
      this.root,
      { ignored: this.ignored },
      (events) => this.onEvents(events),
      (reason) => this.onOverflow(reason),
    );
    // The agent's watch starts before its first index (it serves requests in order), so no change over there
    // falls between the two.
    this.listenForRemoteChanges();
    return this.enqueue(() => this.fullSync('initial', false));
  }

  private listenForRemoteChanges(): void {
    if (!this.twoWay) return;
    const link = this.link;
    link.onRemoteChange((paths) => {
      if (link !== this.link || this.stopped || this.detached) return;
      const now = performance.now();
      const foreign = paths.filter((p) => !((this.echoes.get(p) ?? 0) > now) && !this.ignored(p, false));
      // Our own writes come back; a round is still run later, in case one was also edited over there.
      this.scheduleReconcile(foreign.length > 0 ? (this.options.coalesceMs ?? 5) : ECHO_CHECK_MS);
    });
  }

  /** sendReceive: one two-way round after `delayMs` (the sooner of two requests wins). */
  private scheduleReconcile(delayMs: number): void {
    const at = performance.now() + delayMs;
    if (this.reconcileTimer && this.reconcileAt <= at) return;
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.reconcileAt = at;
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = undefined;
      this.reconcileAt = Infinity;
      if (this.stopped || this.detached) return;
      this.inBackground('batch', () => this.fullSync('batch', false));
    }, delayMs);
  }

  /** Stops watching and waits for the batch in flight; the link stays open (its owner closes it). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.recoverTimer) clearTimeout(this.recoverTimer);
    this.pending = [];
    await this.watching?.close();
    await this.work;
  }

  /**
   * The agent is gone (its pod restarted, the stream broke): changes are no longer sent, only
   * remembered as "resync needed". attach() brings a new link and resyncs by index.
   */
  detach(): void {
    this.detached = true;
    this.pending = [];
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    // The sync by index of attach() repairs whatever a failure left.
    if (this.recoverTimer) clearTimeout(this.recoverTimer);
    this.recoverTimer = undefined;
  }

  /**
   * Continues on a new link with a sync by index, which covers whatever changed while detached.
   * Rejects with what failed, and stays detached then (the caller tries another link).
   */
  async attach(link: AgentLink): Promise<SyncBatchReport> {
    this.link = link;
    this.detached = false;
    this.listenForRemoteChanges();
    try {
      return await this.enqueue(() => this.fullSync('resync', false));
    } catch (error) {
      this.detach();
      throw error;
    }
  }

  /**
   * A sync by index now; `allowDeletes` applies, this once, the deletes deleteProtection would hold.
   * Rejects with what failed (and reports it through onFailed, as a failed batch).
   */
  async resync(options: { allowDeletes?: boolean } = {}): Promise<SyncBatchReport> {
    try {
      return await this.enqueue(() => this.fullSync('resync', options.allowDeletes ?? false));
    } catch (error) {
      this.failed('resync', error);
      throw error;
    }
  }

  /** Resolves once everything seen so far has been applied (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const current = this.work;
      await current;
      if (current === this.work && !this.flushTimer && !this.resyncTimer && (!this.reconcileTimer || this.reconcileAt - performance.now() > ECHO_CHECK_MS / 2) && this.pending.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Runs `task` once the work before it is done; the queue goes on whether it succeeds or not. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.work.then(task);
    this.work = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** A task nobody awaits: its failure is the session's (reported, then repaired by a sync by index). */
  private inBackground(kind: SyncFailure['kind'], task: () => Promise<unknown>): void {
    this.enqueue(task).catch((error: unknown) => this.failed(kind, error));
  }

  /**
   * A task failed as a whole (the agent refused the request, the link broke, a local read failed, a
   * bug): what it was sending may be missing on the far side and the base may be wrong, so only a sync
   * by index repairs it. Scheduled here with backoff; a successful one calls onRecovered.
   */
  private failed(kind: SyncFailure['kind'], error: unknown): void {
    if (this.stopped || this.detached) {
      // The link is gone (the service reconnects and attach() resyncs) or nobody listens any more.
      this.options.log.log('debug', 'sync', 'A sync task failed while detached or stopped', { kind, error: messageOf(error) });
      return;
    }
    this.failures++;
    const { min, max } = this.options.recoverMs ?? { min: RECOVER_MIN_MS, max: RECOVER_MAX_MS };
    const retryInMs = Math.min(min * 2 ** (this.failures - 1), max);
    if (isBug(error)) reportBug(this.options.log, `file sync ${kind}`, error);
    else this.options.log.log('error', 'sync', 'File sync failed; a sync by index follows', { kind, error: messageOf(error), retryInMs, failures: this.failures });
    if (this.recoverTimer) clearTimeout(this.recoverTimer);
    this.recoverTimer = setTimeout(() => {
      this.recoverTimer = undefined;
      if (this.stopped || this.detached) return;
      this.inBackground('resync', () => this.fullSync('resync', false));
    }, retryInMs);
    this.options.onFailed?.({ kind, error, retryInMs });
  }

  /** A sync by index went through: whatever a failure left is repaired. */
  private repaired(): void {
    if (this.failures === 0) return;
    this.failures = 0;
    if (this.recoverTimer) clearTimeout(this.recoverTimer);
    this.recoverTimer = undefined;
    if (!this.stopped && !this.detached) this.options.onRecovered?.();
  }

  private onEvents(events: WatchEvent[]): void {
    if (this.stopped || this.detached) return;
    if (this.options.settings.mode === 'gitIgnore' && events.some((e) => path.posix.basename(e.path) === '.gitignore')) {
      this.gitignoreChanged();
      return;
    }
    if (this.resyncWanted) {
      this.scheduleResync();
      return;
    }
    const now = performance.now();
    if (this.pending.length === 0) {
      this.firstEventAt = now;
      this.pendingDeletes = 0;
    }
    this.pending.push(...events);
    for (const event of events) if (event.kind === 'unlink' || event.kind === 'unlinkDir') this.pendingDeletes++;
    if (this.pendingDeletes > 0 && this.options.settings.deleteProtection) {
      // An `rm -rf` arrives over many watcher batches; deleteProtection must judge it whole, not the first few
      // files of it. So a batch with deletes waits a little for more, and one with many waits until they stop.
      const wait = this.pendingDeletes >= DELETE_PROTECTION_MINIMUM ? DELETE_SETTLE_MS : DELETE_PEEK_MS;
      if (now - this.firstEventAt < DELETE_MAX_WAIT_MS) {
        if (this.flushTimer) clearTimeout(this.flushTimer);
        this.flushTimer = setTimeout(() => this.flush(), wait);
        return;
      }
    }
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.coalesceMs ?? 5);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = this.pending;
    const at = this.firstEventAt;
    this.pending = [];
    if (batch.length > 0 && !this.resyncWanted) this.inBackground('batch', () => this.applyEvents(batch, at));
  }

  private onOverflow(reason: string): void {
    if (this.stopped || this.detached) return;
    this.options.log.log('warn', 'sync', 'File sync re-reads the tree', { reason });
    // The re-plan covers whatever the events said.
    this.resyncWanted = true;
    this.pending = [];
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.scheduleResync();
  }

  /** A re-plan once the tree has been quiet for settleMs (a burst is still under way). */
  private scheduleResync(): void {
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      this.resyncWanted = false;
      if (this.detached) return;
      this.inBackground('resync', () => this.fullSync('resync', false));
    }, this.options.settleMs ?? 300);
  }

  /** Both indexes, the planner (hashing where size and mtime disagree), deleteProtection, apply. */
  private async fullSync(kind: SyncBatchReport['kind'], allowDeletes: boolean): Promise<SyncBatchReport> {
    if (this.twoWay) return this.roundTwoWay(kind, allowDeletes);
    const startedAt = performance.now();
    const local = localIndex(this.root, this.ignored);
    const remote = await this.link.index();
    const planOptions = { ignored: this.ignored, base: [...this.base.values()] };
    const first = planInitialSync(local, remote, planOptions);
    let ops = first.ops;
    let localHashed = local;
    if (first.needHash.length > 0) {
      const wanted = new Set(first.needHash);
      localHashed = await Promise.all(
        local.map(async (entry) => {
          if (!wanted.has(entry.path)) return entry;
          const hash = await hashFile(path.join(this.root, entry.path));
          return hash === undefined ? entry : { ...entry, hash };
        }),
      );
      const remoteHashed = await this.link.index({ hash: first.needHash });
      ops = planWithHashes(localHashed, remoteHashed, planOptions);
    }
    const remoteKept = withoutIgnored(remote, this.ignored);
    const { report } = await this.applyPlan(kind, ops, remoteKept, startedAt, allowDeletes);
    // The far side now holds the local tree, plus any held deletes.
    const base = new Map(local.map((entry) => [entry.path, entry]));
    const failed = new Set(report.errors.map((e) => e.path));
    for (const p of failed) base.delete(p);
    for (const held of report.held) for (const entry of remoteKept) if (entry.path === held || isUnder(entry.path, held)) base.set(entry.path, entry);
    this.base = base;
    this.repaired();
    return report;
  }

  /** sendReceive: a two-way round; reports what went each way (the push always, the pull when it did something). */
  private async roundTwoWay(kind: SyncBatchReport['kind'], allowDeletes: boolean): Promise<SyncBatchReport> {
    const startedAt = performance.now();
    const result = await reconcileTwoWay({
      root: this.root,
      ignored: this.ignored,
      remote: this.link,
      local: this.options.localLink!,
      base: this.base,
      deleteProtection: this.options.settings.deleteProtection,
      allowDeletes,
      now: Date.now(),
    });
    this.base = result.base;
    const ms = performance.now() - startedAt;
    const toReport = (direction: 'push' | 'pull', side: SideResult): SyncBatchReport => ({
      kind,
      direction,
      files: side.applied,
      bytes: side.bytes,
      ms,
      errors: side.errors.filter((e) => e.code !== 'changed'),
      held: side.held,
      paths: side.ops.slice(0, 20).map((op) => (op.op === 'rename' ? op.to : op.path)),
      conflicts: direction === 'push' ? result.conflicts : [],
    });
    const push = toReport('push', result.push);
    this.noteEchoes(result.push.ops);
    if (result.pull.ops.length > 0 || result.pull.held.length > 0) this.report(toReport('pull', result.pull));
    if (kind !== 'batch' || result.push.ops.length > 0 || result.push.held.length > 0 || result.conflicts.length > 0) this.report(push);
    if (result.raced) this.scheduleReconcile(this.options.coalesceMs ?? 5);
    this.repaired();
    return push;
  }

  private noteEchoes(ops: readonly PlannedOp[]): void {
    const until = performance.now() + ECHO_WINDOW_MS;
    for (const [p, t] of this.echoes) if (t < performance.now()) this.echoes.delete(p);
    for (const op of ops) this.echoes.set(op.op === 'rename' ? op.to : op.path, until);
  }

  private report(report: SyncBatchReport): void {
    if (report.errors.length > 0) this.options.log.log('warn', 'sync', 'File sync ops failed', { direction: report.direction, errors: report.errors.slice(0, 10) });
    if (!this.stopped || report.kind === 'initial') this.options.onBatch(report);
  }

  private async applyEvents(events: WatchEvent[], firstEventAt: number): Promise<void> {
    if (this.stopped || this.detached) return;
    // sendReceive: a directory removed or renamed locally may hold files changed over there; a round decides.
    if (this.twoWay && events.some((e) => e.kind === 'unlinkDir')) {
      await this.fullSync('batch', false);
      return;
    }
    const planned = planBatch(events, (rel) => {
      if (this.ignored(rel, false) && this.ignored(rel, true)) return undefined;
      if (ancestorsOf(rel).some((dir) => this.ignored(dir, true))) return undefined;
      const entry = statEntry(this.root, rel);
      if (!entry || this.ignored(rel, entry.kind === 'dir')) return undefined;
      return entry;
    });
    // In send mode only what nhd put on the far side is deleted there; a file whose size, mtime
    // and mode are what was last synced (an editor's touch-free save of the same bytes, a pulled file) is not sent again.
    const ops = planned.filter((op) => (op.op === 'delete' ? this.base.has(op.path) : !this.unchangedSinceSync(op)));
    if (ops.length === 0) return;
    if (this.twoWay && ops.some((op) => op.op === 'rename')) {
      await this.fullSync('batch', false);
      return;
    }
    const { report, failed } = await this.applyPlan('batch', ops, [...this.base.values()], firstEventAt, false);
    recordApplied(this.base, ops, new Set([...failed, ...report.held]));
  }

  /** Applies a plan, holding its deletes when deleteProtection says they would empty the far side; reports it. */
  private unchangedSinceSync(op: PlannedOp): boolean {
    if (op.op !== 'write' || op.source !== undefined) return false;
    const synced = this.base.get(op.path);
    return synced !== undefined && synced.kind === 'file' && synced.size === op.size && synced.mtimeMs === op.mtimeMs && synced.mode === op.mode;
  }

  private async applyPlan(
    kind: SyncBatchReport['kind'],
    planned: PlannedOp[],
    otherSide: readonly IndexEntry[],
    since: number,
    allowDeletes: boolean,
  ): Promise<{ report: SyncBatchReport; failed: Set<string> }> {
    let held: string[] = [];
    let toApply = planned;
    if (!allowDeletes && this.options.settings.deleteProtection && holdsDeletes(planned, otherSide)) {
      const deletes = new Set(planned.flatMap((op) => (op.op === 'delete' ? [op.path] : [])));
      // Reported as the user sees them: a held directory stands for everything under it.
      held = [...deletes].filter((p) => !ancestorsOf(p).some((dir) => deletes.has(dir))).sort();
      toApply = planned.filter((op) => op.op !== 'delete');
      this.options.log.log('warn', 'sync', 'File sync held deletes that would remove most of the far side', { count: held.length });
    }
    // sendReceive: each op expects the far side to be what was last synced there, so an edit made over there
    // meanwhile fails the op (`changed`) and the round that follows keeps both versions.
    const ops = this.twoWay
      ? guarded(toApply, this.base, (source) => fs.createReadStream(path.join(this.root, source)), (source, size) => wholeRead(path.join(this.root, source), size))
      : toApply.map((op) => this.toSyncOp(op));
    const result = ops.length > 0 ? await this.link.apply(ops) : { applied: 0, bytes: 0, errors: [] };
    if (this.twoWay) this.noteEchoes(toApply);
    const raced = result.errors.some((e) => e.code === 'changed');
    if (raced) this.scheduleReconcile(0);
    const paths = toApply.slice(0, 20).map((op) => (op.op === 'rename' ? op.to : op.path));
    const errors = result.errors.filter((e) => e.code !== 'changed');
    const report: SyncBatchReport = { kind, direction: 'push', files: result.applied, bytes: result.bytes, ms: performance.now() - since, errors, held, paths, conflicts: [] };
    this.report(report);
    return { report, failed: new Set(result.errors.map((e) => e.path)) };
  }

  private toSyncOp(op: PlannedOp): SyncOp {
    if (op.op !== 'write') return op;
    const abs = path.join(this.root, op.source ?? op.path);
    return { op: 'write', path: op.path, mode: op.mode, mtimeMs: op.mtimeMs, size: op.size, open: () => fs.createReadStream(abs), ...wholeRead(abs, op.size) };
  }
}


/** The local tree, as readGitignores reads it. */
function localGitignoreFs(root: string): GitignoreFs {
  return {
    readText(relativePath) {
      try {
        return fs.readFileSync(path.join(root, relativePath), 'utf8');
      } catch {
        return undefined;
      }
    },
    subdirectories(relativeDir) {
      try {
        return fs
          .readdirSync(path.join(root, relativeDir), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name);
      } catch {
        return [];
      }
    },
  };
}
