import { describe, expect, it } from 'vitest';
import { ReloadScheduler, type ReloadTrigger, type SyncApplyReport, type SyncEvents } from '../../../server/run/reloadScheduler';

/** The sync service's events, fed by the test. */
function fakeSync() {
  const listeners = new Set<Parameters<SyncEvents['onDidApply']>[0]>();
  const events: SyncEvents = {
    onDidApply(listener) {
      listeners.add(listener);
      return { dispose: () => void listeners.delete(listener) };
    },
  };
  return {
    events,
    listeners,
    apply(sessionId: string, report: Partial<SyncApplyReport> = {}) {
      for (const l of [...listeners]) l({ sessionId, report: { kind: 'batch', files: 1, bytes: 10, ms: 5, ...report } });
    },
  };
}

/** Restarts that end when the test says so. */
function controlledRestarts() {
  const calls: ReloadTrigger[] = [];
  const finishers: (() => void)[] = [];
  const restart = (trigger: ReloadTrigger) => {
    calls.push(trigger);
    return new Promise<void>((resolve) => finishers.push(resolve));
  };
  const finish = async () => {
    finishers.shift()?.();
    // Let the scheduler see the end and start what waits.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { calls, restart, finish };
}

const SESSION = 'ctx/ns/deployment/details';

describe('hot reload scheduling', () => {
  it('restarts on a batch that changed files, with its sync report', async () => {
    const sync = fakeSync();
    const r = controlledRestarts();
    const scheduler = new ReloadScheduler(sync.events, SESSION, r.restart);
    sync.apply(SESSION, { files: 2, bytes: 300, ms: 12 });
    expect(r.calls).toEqual([{ trigger: 'batch', files: 2, bytes: 300, syncMs: 12, batches: 1 }]);
    expect(scheduler.busy).toBe(true);
    await r.finish();
    expect(scheduler.busy).toBe(false);
  });

  it('ignores other sessions, the initial sync and batches that changed nothing', () => {
    const sync = fakeSync();
    const r = controlledRestarts();
    new ReloadScheduler(sync.events, SESSION, r.restart);
    sync.apply('ctx/ns/deployment/other');
    sync.apply(SESSION, { kind: 'initial', files: 40 });
    sync.apply(SESSION, { files: 0 });
    sync.apply(SESSION, { kind: 'resync', files: 0 });
    expect(r.calls).toEqual([]);
  });

  it('restarts on a re-sync that changed files', () => {
    const sync = fakeSync();
    const r = controlledRestarts();
    new ReloadScheduler(sync.events, SESSION, r.restart);
    sync.apply(SESSION, { kind: 'resync', files: 3, bytes: 1, ms: 100 });
    expect(r.calls).toEqual([{ trigger: 'resync', files: 3, bytes: 1, syncMs: 100, batches: 1 }]);
  });

  it('coalesces batches that arrive during a restart into exactly one more restart after it', async () => {
    const sync = fakeSync();
    const r = controlledRestarts();
    const scheduler = new ReloadScheduler(sync.events, SESSION, r.restart);
    sync.apply(SESSION, { files: 1, bytes: 10, ms: 5 });
    sync.apply(SESSION, { files: 2, bytes: 20, ms: 6 });
    sync.apply(SESSION, { kind: 'resync', files: 3, bytes: 30, ms: 7 });
    sync.apply(SESSION, { files: 4, bytes: 40, ms: 8 });
    // Still one restart: the first is never interrupted.
    expect(r.calls).toHaveLength(1);
    await r.finish();
    expect(r.calls).toHaveLength(2);
    expect(r.calls[1]).toEqual({ trigger: 'resync', files: 9, bytes: 90, syncMs: 21, batches: 3 });
    await r.finish();
    expect(r.calls).toHaveLength(2);
    expect(scheduler.busy).toBe(false);
    // Later batches restart again, one by one.
    sync.apply(SESSION);
    expect(r.calls).toHaveLength(3);
    expect(r.calls[2]!.trigger).toBe('batch');
    await r.finish();
    await scheduler.idle();
  });

  it('keeps scheduling after a restart that failed, and reports the failure', async () => {
    const sync = fakeSync();
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = new ReloadScheduler(
      sync.events,
      SESSION,
      async () => {
        calls++;
        if (calls === 1) throw new Error('exec refused');
      },
      (error) => errors.push(error),
    );
    sync.apply(SESSION);
    await scheduler.idle();
    sync.apply(SESSION);
    await scheduler.idle();
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['exec refused']);
  });

  it('after dispose: hears nothing, drops what waits, lets the restart in progress finish', async () => {
    const sync = fakeSync();
    const r = controlledRestarts();
    const scheduler = new ReloadScheduler(sync.events, SESSION, r.restart);
    sync.apply(SESSION);
    sync.apply(SESSION);
    scheduler.dispose();
    expect(sync.listeners.size).toBe(0);
    sync.apply(SESSION);
    const idle = scheduler.idle();
    await r.finish();
    await idle;
    expect(r.calls).toHaveLength(1);
  });
});
