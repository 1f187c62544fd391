import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type RunDidChangeParams, type RunOutputParams } from '../../../protocol';
import { KubeApiError, type Logger } from '../../../server/ports';
import type { SyncApplyReport, SyncEvents } from '../../../server/run/reloadScheduler';
import { RunService, type RunClient } from '../../../server/run/runService';
import { devSettings, readySession, REF, scopeOf } from '../../fakes/devSession';
import { ExecCluster } from '../../fakes/execCluster';
import { until } from '../../harness/daemon';

/**
 * RunService against a fake container (test/fakes/execCluster.ts): how a run ends when its exec
 * dies, when the cluster refuses the start, the stop or a restart, and in which order its client
 * hears of output and of a process's end.
 */

const services: RunService[] = [];
afterEach(() => {
  for (const service of services.splice(0)) service.dispose();
});

class Sync implements SyncEvents {
  private readonly listeners = new Set<(event: { sessionId: string; report: SyncApplyReport }) => void>();
  onDidApply(listener: (event: { sessionId: string; report: SyncApplyReport }) => void) {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }
  /** A batch of one file applied to the session. */
  applied(): void {
    for (const l of this.listeners) l({ sessionId: 'ctx/ns/deployment/authors', report: { kind: 'batch', files: 1, bytes: 10, ms: 3 } });
  }
}

interface Client extends RunClient {
  /** What the client heard, in order: `out:<stream>:<text>` and `end:<runId>`. */
  heard: string[];
  leave(): void;
}

function client(id = 1): Client {
  const closers: (() => void)[] = [];
  const heard: string[] = [];
  return {
    id,
    heard,
    output: (p: RunOutputParams) => void heard.push(`out:${p.stream}:${Buffer.from(p.data, 'base64').toString('utf8')}`),
    outputEnded: (runId) => void heard.push(`end:${runId}`),
    onClose: (listener) => void closers.push(listener),
    leave: () => closers.forEach((c) => c()),
  };
}

function setup(options: { hotReload?: boolean } = {}) {
  const cluster = new ExecCluster();
  const sync = new Sync();
  const changes: RunDidChangeParams[] = [];
  const logged: string[] = [];
  const log: Logger = { log: (level, tag, message) => void logged.push(`${level} ${tag} ${message}`) };
  const service = new RunService({
    log,
    sync,
    sessions: () => [readySession()],
    settingsOf: () => ({ dev: devSettings({ hotReload: options.hotReload ?? false }) }),
    onChange: (params) => void changes.push(params),
    graceMs: 50,
  });
  services.push(service);
  const start = (owner: RunClient = client()) => service.start(scopeOf(cluster), REF, {}, owner, new AbortController().signal);
  return { cluster, sync, changes, logged, service, start };
}

describe('RunService', () => {
  it('runs command.run in its own process group; an exec that dies mid-run ends the run with that said', async () => {
    const { cluster, service, changes, start } = setup();
    const owner = client();
    const run = await start(owner);
    expect(run).toMatchObject({ state: 'running', pod: 'authors-1', container: 'app', command: ['./run.sh'] });
    // A stop of leftovers first (a run per container), then the start.
    expect(cluster.execs.map((e) => e.kind)).toEqual(['stop', 'start']);
    const program = cluster.running[0]!;
    expect(program.argv).toEqual(['./run.sh']);
    program.write('stdout', 'listening on :8080\n');
    program.exit(null);
    await until(() => changes.some((c) => c.run.state === 'exited'), 'the exit pushed');
    const exited = changes.find((c) => c.run.state === 'exited')!.run;
    expect(exited).toMatchObject({ runId: run.runId, exitCode: null, ended: true, message: expect.stringMatching(/broke without an exit status/) });
    expect(service.list()).toEqual([]);
    expect(owner.heard).toEqual(['out:stdout:listening on :8080\n', `end:${run.runId}`]);
  });

  it('a start the cluster refuses rejects with its error and holds no run', async () => {
    const { cluster, service, start } = setup();
    cluster.failExec('start', () => new KubeApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
    await expect(start()).rejects.toMatchObject({ code: ErrorCode.KubeApi, message: expect.stringContaining('unable to handle the request') });
    expect(service.list()).toEqual([]);
    expect(cluster.running).toEqual([]);
  });

  it('a stop whose exec fails (the pod is gone) still ends the run, once the run exec ends', async () => {
    const { cluster, service, logged, start } = setup();
    const run = await start();
    cluster.failExec('stop', () => new KubeApiError(404, 'NotFound', 'pods "authors-1" not found'));
    const program = cluster.running[0]!;
    setTimeout(() => program.exit(null), 20); // the pod's deletion ends the run's exec too
    const stopped = await service.stop(run.runId);
    expect(stopped).toMatchObject({ state: 'exited', ended: true, message: 'Stopped.', exitCode: null });
    expect(service.list()).toEqual([]);
    expect(logged.some((l) => l.startsWith('warn run stopping the process group failed'))).toBe(true);
  });

  it('a program that ignores SIGTERM is killed, and the stop says so', async () => {
    const { cluster, service, logged, start } = setup();
    cluster.stubborn = true;
    const run = await start();
    const stopped = await service.stop(run.runId);
    expect(stopped.exitCode).toBe(137);
    expect(logged.some((l) => l.includes('ignored SIGTERM for 50 ms and was killed'))).toBe(true);
  });

  it('hot reload: each process ends (output over) before the next starts; a restart the cluster refuses is reported and the next change retries', async () => {
    const { cluster, sync, changes, start, service } = setup({ hotReload: true });
    const owner = client();
    const run = await start(owner);
    const first = cluster.running[0]!;
    first.write('stdout', 'v1\n');
    sync.applied();
    await until(() => changes.some((c) => c.reload !== undefined), 'the first reload');
    expect(first.ended).toBe(true);
    const second = cluster.running[0]!;
    expect(second).not.toBe(first);
    second.write('stdout', 'v2\n');
    expect(owner.heard).toEqual(['out:stdout:v1\n', `end:${run.runId}`, 'out:stdout:v2\n']);
    expect(service.runOf('ctx/ns/deployment/authors')).toMatchObject({ state: 'running', reloads: 1 });

    cluster.failExec('start', () => new KubeApiError(500, 'InternalError', 'etcdserver: request timed out'), 1);
    sync.applied();
    await until(() => service.runOf('ctx/ns/deployment/authors')?.state === 'exited', 'the failed restart');
    expect(service.runOf('ctx/ns/deployment/authors')).toMatchObject({ exitCode: null, ended: false, message: expect.stringMatching(/^Hot reload could not start the program again: .*etcdserver: request timed out/) });
    expect(cluster.running).toEqual([]);

    sync.applied();
    await until(() => service.runOf('ctx/ns/deployment/authors')?.state === 'running', 'running again');
    expect(cluster.running).toHaveLength(1);
    expect(service.runOf('ctx/ns/deployment/authors')?.reloads).toBe(2);
  });

  it('a run ends when the client that started it leaves', async () => {
    const { cluster, service, start } = setup();
    const owner = client();
    await start(owner);
    owner.leave();
    await until(() => service.list().length === 0, 'the run ended');
    expect(cluster.running).toEqual([]);
    expect(cluster.count('stop')).toBe(2);
  });
});
