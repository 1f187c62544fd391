import type { WatchEvent } from '../../server/ports';
import { messageOf } from '../../server/ports';

export interface BurstOptions {
  /** Events within `windowMs` that make a burst; default 1,000. */
  events?: number;
  /** Default 1,000 ms. */
  windowMs?: number;
}

/**
 * The kernel's inotify queue holds 16,384 events (about 4,000 file writes); past it events are dropped and
 * Node never says so (chokidar 5 stopped at exactly 4,096 files in a burst). So a burst is reported through
 * `onOverflow` once, when it starts, well before the queue could fill: the caller re-reads the tree after it.
 */
export class BurstDetector {
  private windowStart = -Infinity;
  private lastEventAt = -Infinity;
  private count = 0;
  private reported = false;

  constructor(private readonly threshold: number, private readonly windowMs: number) {}

  /** True exactly once per burst, on the event that makes it one. */
  record(now: number): boolean {
    // A quiet gap ends a burst; a burst longer than one window is still one burst.
    if (now - this.lastEventAt > this.windowMs) this.reported = false;
    this.lastEventAt = now;
    if (now - this.windowStart > this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    if (this.count < this.threshold || this.reported) return false;
    this.reported = true;
    return true;
  }
}

/**
 * What both watchers do with their events: gather them over one macrotask turn (setImmediate, well under a
 * millisecond for a single save, a few large batches for a burst), report each path once per batch, report a
 * burst through `onOverflow` once when it starts, and turn a listener that throws into an overflow instead of an
 * uncaught exception in the daemon.
 */
export class EventBatcher {
  private pending: WatchEvent[] = [];
  /** kind:path of what `pending` holds (a new file is often reported as created, then written). */
  private keys = new Set<string>();
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly burst: BurstDetector;
  private readonly burstEvents: number;
  private readonly burstWindowMs: number;

  constructor(
    private readonly onEvents: (events: WatchEvent[]) => void,
    private readonly onOverflow: (reason: string) => void,
    options: BurstOptions,
  ) {
    this.burstEvents = options.events ?? 1_000;
    this.burstWindowMs = options.windowMs ?? 1_000;
    this.burst = new BurstDetector(this.burstEvents, this.burstWindowMs);
  }

  push(kind: WatchEvent['kind'], path: string): void {
    if (this.closed) return;
    // One report per path and batch is enough: the planner looks at the path as it is now.
    const key = `${kind === 'change' ? 'add' : kind}:${path}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.pending.push({ kind, path });
    this.scheduled ??= setImmediate(() => this.flush());
    if (this.burst.record(performance.now())) {
      this.onOverflow(`A burst of changes (${this.burstEvents} within ${this.burstWindowMs} ms): the kernel may drop events past its queue, so re-check the tree once it settles.`);
    }
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.pending = [];
    this.keys.clear();
  }

  private flush(): void {
    this.scheduled = undefined;
    if (this.closed || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.keys = new Set();
    try {
      this.onEvents(batch);
    } catch (error) {
      // The batch may be half handled: the caller re-reads the tree.
      this.onOverflow(`Handling changes failed, so some may not have been synced: ${messageOf(error)}`);
    }
  }
}
