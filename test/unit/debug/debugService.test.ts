import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type DevSettings, type PortForward } from '../../../protocol';
import { DebugService } from '../../../server/debug/debugService';
import { NhdError } from '../../../server/errors';
import { KubeApiError, nullLogger, type DapChannel, type DapMessage } from '../../../server/ports';
import { silentProgress } from '../../../server/rpc/progress';
import type { SyncApplyReport } from '../../../server/run/reloadScheduler';
import { RunService, type RunClient } from '../../../server/run/runService';
import { devSettings, readySession, REF, scopeOf } from '../../fakes/devSession';
import { ExecCluster } from '../../fakes/execCluster';
import { until } from '../../harness/daemon';

/**
 * DebugService against a fake container (ExecCluster: the listening probe and the debug run) and
 * the real RunService: whether it starts a debugger, and what it does when the probe cannot tell.
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const owner: RunClient = { id: 1, output() {}, onClose() {} };

function setup(options: { whenIdle?: () => Promise<void>; forwardFails?: Error; settings?: { dev: DevSettings } } = {}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-'));
  cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const cluster = new ExecCluster();
  const sync = { onDidApply: (_: (e: { sessionId: string; report: SyncApplyReport }) => void) => ({ dispose() {} }) };
  const settings = options.settings ?? { dev: devSettings() };
  const runs = new RunService({ log: nullLogger, sync, sessions: () => [readySession()], settingsOf: () => settings, onChange() {}, graceMs: 50 });
  cleanups.push(() => runs.dispose());
  const forwards: string[] = [];
  const channels: FakeIde[] = [];
  const service = new DebugService({
    log: nullLogger,
    dev: { list: () => [readySession()], settingsOf: () => settings, start: () => Promise.reject(new Error('not used')) },
    sync: { whenIdle: options.whenIdle ?? (async () => {}) },
    runs,
    portForwards: {
      start: async (_scope, _ref, localPort, remotePort) => {
        if (options.forwardFails) throw options.forwardFails;
        forwards.push(`${localPort}->${remotePort}`);
        return { id: 'pf-1', context: 'ctx', namespace: 'ns', kind: 'deployment', name: 'authors', address: '127.0.0.1', localPort: 40000, remotePort, state: 'active', connections: 0 } satisfies PortForward;
      },
      stop: () => {},
    },
    // A debugger that never answers (the session stays attaching), and an IDE the test speaks for.
    dap: {
      connect: (_endpoint, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      channel: () => {
        const ide = new FakeIde();
        channels.push(ide);
        return ide;
      },
      socketDir: path.join(home, 'dap'),
    },
  });
  cleanups.push(() => service.dispose());
  const prepare = () => service.prepare(scopeOf(cluster), REF, {}, owner, silentProgress, new AbortController().signal);
  return { cluster, runs, service, forwards, channels, prepare };
}

class FakeIde implements DapChannel {
  readonly sent: Record<string, unknown>[] = [];
  private listener: ((message: DapMessage) => void) | undefined;
  private seq = 0;
  private resolveClosed!: (value: { reason: string }) => void;
  readonly closed = new Promise<{ reason: string }>((resolve) => (this.resolveClosed = resolve));
  send(message: { type: DapMessage['type']; [key: string]: unknown }): number {
    this.sent.push(message);
    return ++this.seq;
  }
  onMessage(listener: (message: DapMessage) => void): void {
    this.listener = listener;
  }
  request(seq: number, command: string, args: Record<string, unknown>): void {
    this.listener?.({ seq, type: 'request', command, arguments: args });
  }
  close(): void {
    this.resolveClosed({ reason: 'closed by the test' });
  }
  /** The program's output as the IDE's console shows it. */
  programOutput(): string {
    return this.sent
      .filter((m) => m['event'] === 'output' && (m['body'] as { category?: string }).category === 'stdout')
      .map((m) => (m['body'] as { output: string }).output)
      .join('');
  }
}

describe('DebugService.prepare', () => {
  it('debugs a config without debug.language in the language its dev image or command.debug says, and asks when nothing says', async () => {
    const withoutLanguage = (image: string, debug = ['./debug.sh']) => ({ dev: { ...devSettings({ debug: { remoteDebugPort: 2345 }, command: { debug } }), image } as DevSettings });
    expect(await setup({ settings: withoutLanguage('nocalhost-docker.pkg.coding.net/nocalhost/dev-images/golang:latest') }).prepare()).toMatchObject({ language: 'go', dap: true });
    expect(await setup({ settings: withoutLanguage('ubuntu:24.04', ['dlv', 'debug']) }).prepare()).toMatchObject({ language: 'go' });
    await expect(setup({ settings: withoutLanguage('ubuntu:24.04') }).prepare()).rejects.toThrow(
      /has no `debug\.language`, and nhd cannot tell it \(command\.debug, the dev image ubuntu:24\.04 and the source's build files do not say one language\): set it/,
    );
  });

  it('starts command.debug as a debug run when no debugger listens, and forwards its port', async () => {
    const { cluster, prepare, forwards } = setup();
    const result = await prepare();
    expect(result).toMatchObject({ started: true, language: 'go', remotePort: 2345, localPort: 40000, pod: 'authors-1', dap: true });
    expect(result.runId).toMatch(/^run-/);
    expect(cluster.count('probe')).toBe(1);
    expect(cluster.running.map((p) => p.argv)).toEqual([['./debug.sh']]);
    expect(forwards).toEqual(['0->2345']);
  });

  it('uses a debugger that already listens: none is started', async () => {
    const { cluster, prepare } = setup();
    cluster.listening.add(2345);
    const result = await prepare();
    expect(result.started).toBe(false);
    expect(result.runId).toBeUndefined();
    expect(cluster.count('start')).toBe(0);
  });

  it('a probe whose exec the cluster refuses fails the attach with that error, and starts no second debugger', async () => {
    const { cluster, prepare, forwards } = setup();
    cluster.failExec('probe', () => new KubeApiError(500, 'InternalError', 'error dialing backend: dial tcp 10.0.0.5:10250: i/o timeout'));
    await expect(prepare()).rejects.toMatchObject({ code: ErrorCode.KubeApi, message: expect.stringContaining('error dialing backend') });
    expect(cluster.count('start')).toBe(0);
    expect(forwards).toEqual([]);
  });

  it('a probe whose exec ends without a status (the stream died) fails the attach: DebugAttachFailed, no debugger started', async () => {
    const { cluster, prepare } = setup();
    cluster.breakExec('probe', 1);
    const error = await prepare().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NhdError);
    expect(error).toMatchObject({ code: ErrorCode.DebugAttachFailed, message: expect.stringMatching(/could not tell whether a debugger already listens on port 2345 in authors-1\/app.*ended without an exit status/) });
    expect(cluster.count('start')).toBe(0);
  });

  it('a probe that cannot run in the image (no awk) says so', async () => {
    const { cluster, prepare } = setup();
    cluster.probeExit = { code: 127, stderr: 'sh: 1: awk: not found\n' };
    await expect(prepare()).rejects.toMatchObject({ code: ErrorCode.DebugAttachFailed, message: expect.stringContaining('exited with 127: sh: 1: awk: not found') });
    expect(cluster.count('start')).toBe(0);
  });

  it('a sync that will not converge fails the attach with its cause before anything starts', async () => {
    const { cluster, prepare } = setup({ whenIdle: () => Promise.reject(new NhdError(ErrorCode.SyncFailed, 'Applying saved changes failed: ENOSPC')) });
    await expect(prepare()).rejects.toMatchObject({ code: ErrorCode.SyncFailed, message: expect.stringContaining('ENOSPC') });
    expect(cluster.execs).toEqual([]);
  });

  it('a port-forward that fails stops the debugger it started', async () => {
    const { cluster, runs, prepare } = setup({ forwardFails: new NhdError(ErrorCode.PortInUse, 'Port 40000 is in use.') });
    await expect(prepare()).rejects.toMatchObject({ code: ErrorCode.PortInUse });
    expect(cluster.count('start')).toBe(1);
    await until(() => runs.list().length === 0 && cluster.running.length === 0, 'the debug run stopped');
  });
});

describe('DebugService.listen', () => {
  it("shows the debuggee's output in the IDE whole: characters split across chunks, and what a process left incomplete when it ended", async () => {
    const { cluster, service, channels } = setup();
    const euro = Buffer.from('€');
    cluster.onStart = (program) => {
      const text = Buffer.from('héllo wörld\n');
      const split = text.indexOf(Buffer.from('ö')) + 1; // inside ö
      program.write('stdout', text.subarray(0, split));
      program.write('stdout', text.subarray(split));
      program.write('stdout', euro.subarray(0, 2)); // a truncated character, then the end
      setTimeout(() => program.exit(1), 10);
    };
    const endpoint = await service.listen(() => scopeOf(cluster), owner, 'socket');
    if (endpoint.transport !== 'socket') throw new Error(`asked for a socket, got ${JSON.stringify(endpoint)}`);
    const socket = net.connect(endpoint.path);
    cleanups.push(() => socket.destroy());
    await until(() => channels.length === 1, 'the DAP session opened');
    const ide = channels[0]!;
    cleanups.push(() => ide.close());
    ide.request(1, 'initialize', { adapterID: 'nhd' });
    ide.request(2, 'attach', { workload: 'deployment/authors', namespace: 'ns', localRoot: '/src/authors' });
    await until(() => ide.programOutput().endsWith('\ufffd'), 'the flushed end of the output');
    expect(ide.programOutput()).toBe('héllo wörld\n\ufffd');
    expect(cluster.count('start')).toBe(1);
  });
});
