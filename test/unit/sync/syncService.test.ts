import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type SyncStatus } from '../../../protocol';
import { NhdError } from '../../../server/errors';
import type { AgentLink, Logger } from '../../../server/ports';
import { SyncService, type SyncServiceDeps } from '../../../server/sync/syncService';
import { CrashingAgent } from '../../fakes/crashingAgent';
import { ExecCluster } from '../../fakes/execCluster';
import { HangingAgent } from '../../fakes/hangingAgent';
import { ManualWatcher } from '../../fakes/manualWatcher';
import { MemoryAgent } from '../../fakes/memoryAgent';
import { until } from '../../harness/daemon';

/**
 * SyncService's failure paths against fakes of its ports: agents that refuse applies, hang or
 * break, and a watcher that cannot watch. Each test checks what every client is told (the pushed
 * SyncStatus) and what the caller gets.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SESSION = 'ctx/ns/deployment/authors';

function tempTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-sync-unit-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, rel), content);
  return dir;
}

interface Harness {
  service: SyncService;
  pushes: SyncStatus[];
  logged: { level: string; tag: string; message: string }[];
  watcher: ManualWatcher;
  localDir: string;
  launches: number;
  start(): Promise<SyncStatus>;
}

/** A service whose launcher hands out `agents` in order (the last one again when they run out). */
function harness(agents: AgentLink[], options: { watcher?: ManualWatcher; deps?: Partial<SyncServiceDeps> } = {}): Harness {
  const pushes: SyncStatus[] = [];
  const logged: Harness['logged'] = [];
  const log: Logger = { log: (level, tag, message) => void logged.push({ level, tag, message }) };
  const watcher = options.watcher ?? new ManualWatcher();
  const localDir = tempTree({ 'a.txt': 'alpha' });
  const h: Harness = {
    pushes,
    logged,
    watcher,
    localDir,
    launches: 0,
    service: undefined as unknown as SyncService,
    start: () =>
      h.service.start(
        {
          sessionId: SESSION,
          scope: { cluster: new ExecCluster(), context: 'ctx', namespace: 'ns' },
          localDir,
          remoteDir: '/work',
          settings: { type: 'send', mode: 'pattern', filePattern: ['./'], ignoreFilePattern: [], deleteProtection: false },
          pod: 'authors-1',
          container: 'nhd-sync',
          agentRoot: '/work',
          findPod: async () => 'authors-2',
        },
        () => {},
      ),
  };
  h.service = new SyncService({
    log,
    watcher,
    launchAgent: async () => agents[Math.min(h.launches++, agents.length - 1)]!,
    launchLocalAgent: () => Promise.reject(new Error('not used')),
    onChange: (status) => pushes.push(status),
    reconnectMs: { min: 5, max: 20 },
    recoverMs: { min: 20, max: 40 },
    ...options.deps,
  });
  cleanups.push(() => h.service.stopAll());
  return h;
}

/** Saves a file locally and tells the watcher, as an editor's save does. */
function save(h: Harness, rel: string, content: string): void {
  fs.writeFileSync(path.join(h.localDir, rel), content);
  h.watcher.emit({ kind: 'add', path: rel });
}

describe('SyncService failure paths', () => {
  it('a batch the agent refuses puts the session in `error` with the cause, pushed; the repair by index makes it `watching` again', async () => {
    const agent = new CrashingAgent(0);
    const h = harness([agent]);
    expect((await h.start()).state).toBe('watching');
    agent.failures = 2; // the batch and the first repair fail
    save(h, 'b.txt', 'beta');
    await until(() => h.pushes.some((p) => p.state === 'error'), 'a pushed error state');
    const error = h.pushes.find((p) => p.state === 'error')!;
    expect(error.error).toMatch(/^Applying saved changes failed: .*ENOSPC.*nhd syncs by index in \d+ s/);
    expect(h.service.get(SESSION)?.state).toBe('error');
    // The repair failed once more (still error, a sync by index named), then went through.
    await until(() => h.service.get(SESSION)?.state === 'watching', 'watching again');
    expect(h.pushes.some((p) => p.state === 'error' && /^A sync by index failed: .*ENOSPC/.test(p.error ?? ''))).toBe(true);
    expect(agent.failedApplies).toBe(2);
    expect(agent.files.get('b.txt')?.toString()).toBe('beta');
    expect(h.service.get(SESSION)?.error).toBeUndefined();
    expect(h.logged.some((l) => l.level === 'error' && l.tag === 'sync')).toBe(true);
  });

  it('resync rejects with SyncFailed and the cause, leaves the session in `error`, and a resync that works repairs it', async () => {
    const agent = new CrashingAgent(0);
    const h = harness([agent], { deps: { recoverMs: { min: 60_000, max: 60_000 } } });
    await h.start();
    fs.writeFileSync(path.join(h.localDir, 'c.txt'), 'gamma'); // not told to the watcher: only an index finds it
    agent.failures = 1;
    const failed = await h.service.resync(SESSION, {}).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(NhdError);
    expect(failed).toMatchObject({ code: ErrorCode.SyncFailed, message: expect.stringMatching(/^The resync of .* failed: .*ENOSPC/) });
    expect(h.service.get(SESSION)).toMatchObject({ state: 'error', error: expect.stringContaining('ENOSPC') });
    // Debugging waits for converged sync: it is told why it will not converge.
    await expect(h.service.whenIdle(SESSION, new AbortController().signal)).rejects.toMatchObject({ code: ErrorCode.SyncFailed, message: expect.stringContaining('ENOSPC') });
    const repaired = await h.service.resync(SESSION, {});
    expect(repaired.state).toBe('watching');
    expect(repaired.error).toBeUndefined();
    expect(agent.files.get('c.txt')?.toString()).toBe('gamma');
    expect(h.pushes.at(-1)?.state).toBe('watching');
  });

  it('a bug in a resync stays a bug: the TypeError itself reaches the caller (Internal), reported as one', async () => {
    const agent = new CrashingAgent(0, () => new TypeError("Cannot read properties of undefined (reading 'path')"));
    const h = harness([agent], { deps: { recoverMs: { min: 60_000, max: 60_000 } } });
    await h.start();
    fs.writeFileSync(path.join(h.localDir, 'd.txt'), 'delta');
    agent.failures = 1;
    const failed = await h.service.resync(SESSION, {}).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TypeError);
    expect(failed).not.toBeInstanceOf(NhdError);
    expect(h.service.get(SESSION)?.state).toBe('error');
    expect(h.logged.some((l) => l.tag === 'bug' && l.message === 'file sync resync')).toBe(true);
  });

  it('an agent that hangs until its link breaks: reconnecting (never `error`), and the next agent gets the change by index', async () => {
    const hanging = new HangingAgent();
    const next = new MemoryAgent();
    const h = harness([hanging, next]);
    await h.start();
    hanging.hang();
    save(h, 'e.txt', 'epsilon');
    await until(() => hanging.waiting === 1, 'the batch waiting on the hung agent');
    expect(h.service.get(SESSION)?.state).toBe('watching');
    hanging.breakLink('The pod authors-1 was deleted.');
    await until(() => h.service.get(SESSION)?.state === 'watching' && h.service.get(SESSION)?.reconnects === 1, 'reconnected');
    const states = h.pushes.map((p) => p.state);
    expect(states).toContain('reconnecting');
    expect(states).not.toContain('error');
    expect(h.pushes.find((p) => p.state === 'reconnecting')?.error).toBe('The pod authors-1 was deleted.');
    expect(h.service.get(SESSION)?.pod).toBe('authors-2');
    expect(next.files.get('e.txt')?.toString()).toBe('epsilon');
  });

  it('a new agent whose first sync fails is closed, the cause is pushed, and the next one takes over', async () => {
    const first = new MemoryAgent();
    const broken = new CrashingAgent(1);
    const good = new MemoryAgent();
    const h = harness([first, broken, good]);
    await h.start();
    first.breakLink('The sync agent closed its output.');
    await until(() => h.service.get(SESSION)?.state === 'watching' && h.service.get(SESSION)?.reconnects === 1, 'reconnected');
    expect(broken.failedApplies).toBe(1);
    expect(broken.isClosed).toBe(true);
    expect(good.isClosed).toBe(false);
    expect(h.pushes.some((p) => p.state === 'reconnecting' && /Reconnecting: .*ENOSPC/.test(p.error ?? ''))).toBe(true);
    expect(good.files.get('a.txt')?.toString()).toBe('alpha');
  });

  it('a watcher that cannot watch fails the start with SyncFailed and the cause, and leaves no agent running', async () => {
    const agent = new MemoryAgent();
    const h = harness([agent], { watcher: new ManualWatcher(new Error('ENOSPC: System limit for number of file watchers reached')) });
    await expect(h.start()).rejects.toMatchObject({ code: ErrorCode.SyncFailed, message: expect.stringMatching(/^The first sync of .* failed: ENOSPC: System limit/) });
    expect(h.pushes.at(-1)).toMatchObject({ state: 'failed', error: expect.stringContaining('file watchers') });
    expect(agent.isClosed).toBe(true);
    expect(h.service.get(SESSION)).toBeUndefined();
  });

  it('stop during the reconnect backoff ends it: no agent is launched afterwards', async () => {
    const first = new MemoryAgent();
    const h = harness([first, new MemoryAgent()], { deps: { reconnectMs: { min: 200, max: 200 } } });
    await h.start();
    first.breakLink('The network dropped.');
    await until(() => h.service.get(SESSION)?.state === 'reconnecting', 'reconnecting');
    await h.service.stop(SESSION);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.launches).toBe(1);
    expect(h.pushes.at(-1)?.state).toBe('stopped');
  });
});
