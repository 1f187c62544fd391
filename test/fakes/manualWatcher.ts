import type { FileWatcher, WatchEvent } from '../../server/ports';

/**
 * A FileWatcher the test drives: `emit` delivers events as the real watchers do (a batch per
 * call), `overflow` says events were lost. With `failWith`, watch() rejects (inotify limit, a
 * vanished directory), as a watcher that errors does.
 */
export class ManualWatcher implements FileWatcher {
  private readonly watches: { onEvents: (events: WatchEvent[]) => void; onOverflow: (reason: string) => void; closed: boolean }[] = [];

  constructor(private readonly failWith?: Error) {}

  async watch(_root: string, _options: unknown, onEvents: (events: WatchEvent[]) => void, onOverflow: (reason: string) => void): Promise<{ close(): Promise<void> }> {
    if (this.failWith) throw this.failWith;
    const watch = { onEvents, onOverflow, closed: false };
    this.watches.push(watch);
    return {
      close: async () => {
        watch.closed = true;
      },
    };
  }

  /** Open watches (not closed). */
  get open(): number {
    return this.watches.filter((w) => !w.closed).length;
  }

  emit(...events: WatchEvent[]): void {
    for (const w of this.watches) if (!w.closed) w.onEvents(events);
  }

  overflow(reason = 'too many events'): void {
    for (const w of this.watches) if (!w.closed) w.onOverflow(reason);
  }
}
