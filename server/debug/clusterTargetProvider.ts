import * as path from 'node:path';
import { ErrorCode, type DebugLanguageName, type RunInfo, type WorkloadRef } from '../../protocol';
import { parseWorkloadKind } from '../devMode/kinds';
import { NhdError } from '../errors';
import type { Scope } from '../kubeScope';
import type { DebugAttachArguments, DebugEndpoint, DebugProgress, DebugTarget, DebugTargetProvider } from '../ports';
import type { Progress } from '../rpc/progress';
import type { RunClient } from '../run/runService';
import type { DebugService } from './debugService';
import { DirectTargetProvider } from './directTargetProvider';

/** How long to wait for a debugger to answer: delve builds the program first (`dlv debug`). */
const READY_TIMEOUT_MS: Record<'go' | 'python', number> = { go: 180_000, python: 60_000 };

/**
 * The DebugTargetProvider of a DAP session on the cluster: the attach request names a workload
 * (`workload: "deployment/authors"`, `namespace`, `context`, `container`, `localDir`, `language`,
 * `hotReload`); the debug service makes its debugger reachable through a port-forward. The target
 * follows the debug run: `onRestarting` fires when a hot reload begins, `restarted` resolves once
 * the new debugger's process started (the forward's endpoint stays the same) or with undefined when
 * the run is over. A debugger started for the session is stopped when the session ends. Without a
 * workload, `host` and `port` name a debugger directly. A debugger that exits by itself (a save
 * broke the program) counts as restarting: the session waits for the run's next start.
 */
export class ClusterTargetProvider implements DebugTargetProvider {
  constructor(
    private readonly service: DebugService,
    private readonly resolveScope: (params: { namespace?: string; context?: string }) => Scope,
    private readonly owner: RunClient,
  ) {}

  async prepare(args: DebugAttachArguments, progress: DebugProgress, signal: AbortSignal): Promise<DebugTarget> {
    if (args.workload === undefined && args.port !== undefined) return new DirectTargetProvider().prepare(args, progress);
    const ref = parseWorkload(args.workload);
    const scope = this.resolveScope({ ...stringField(args, 'namespace'), ...stringField(args, 'context') });
    for (const key of ['localRoot', 'remoteRoot', 'localDir'] as const) {
      const value = args[key];
      if (value !== undefined && (typeof value !== 'string' || !(path.isAbsolute(value) || path.win32.isAbsolute(value)))) {
        throw new NhdError(ErrorCode.DebugAttachInvalid, `"${key}" must be an absolute path (got ${JSON.stringify(value)}).`);
      }
    }
    const language = args.language as DebugLanguageName | undefined;
    const reporter: Progress = { begin: (title, message) => progress.report(message ?? title), report: (message) => progress.report(message), done: () => {} };
    const prepared = await this.service.prepare(
      scope,
      ref,
      {
        requireDap: true,
        ...stringField(args, 'container'),
        ...stringField(args, 'localDir'),
        ...(typeof args['hotReload'] === 'boolean' ? { hotReload: args['hotReload'] } : {}),
        ...(language !== undefined ? { language } : {}),
      },
      this.owner,
      reporter,
      signal,
    );
    const runs = this.service.deps.runs;
    const runId = prepared.runId;
    const endpoint: DebugEndpoint = { host: prepared.host, port: prepared.localPort };
    const dapLanguage = prepared.language as 'go' | 'python';
    const localRoot = typeof args.localRoot === 'string' ? args.localRoot : prepared.localRoot;
    if (!localRoot) throw new NhdError(ErrorCode.DebugAttachInvalid, `The dev session of ${prepared.sessionId} has no local directory: pass "localRoot", the source root on this machine.`);
    const readyTimeoutMs = typeof args['readyTimeoutMs'] === 'number' ? args['readyTimeoutMs'] : READY_TIMEOUT_MS[dapLanguage];
    let disposed = false;
    // Why the debug run's current process exited by itself (a hot-reload run then waits for a change).
    let exitedReason: string | undefined;
    const tracking = runId
      ? runs.onDidChange((run) => {
          if (run.runId !== runId) return;
          if (run.state === 'exited' && !run.ended) exitedReason = `command.debug exited${run.exitCode !== undefined && run.exitCode !== null ? ` with code ${run.exitCode}` : ''} (see its output)`;
          else exitedReason = undefined;
        })
      : undefined;
    return {
      endpoint,
      language: dapLanguage,
      localRoot,
      remoteRoot: typeof args.remoteRoot === 'string' ? args.remoteRoot : prepared.remoteRoot,
      readyTimeoutMs,
      restarted: (abort) => {
        // A debugger nhd did not start: the same endpoint, and the readiness wait decides.
        if (!runId) return Promise.resolve(endpoint);
        return new Promise<DebugEndpoint | undefined>((resolve) => {
          let subscription: { dispose(): void } | undefined;
          const settle = (value: DebugEndpoint | undefined) => {
            subscription?.dispose();
            abort.removeEventListener('abort', onAbort);
            resolve(value);
          };
          const onAbort = () => settle(undefined);
          const judge = (run: RunInfo | undefined) => {
            if (!run || run.ended) settle(undefined);
            else if (run.state === 'running') settle(endpoint);
            // starting, restarting, exited (a hot-reload run waits for the next change): wait.
          };
          abort.addEventListener('abort', onAbort);
          subscription = runs.onDidChange((run) => {
            if (run.runId === runId) judge(run);
          });
          const now = runs.runOf(prepared.sessionId);
          judge(now?.runId === runId ? now : undefined);
        });
      },
      // A reload begins, or the debugger exited by itself (a save broke the program; debugpy's
      // adapter may keep the connection open for a debuggee that is gone): let go of it, and wait
      // for the debug run's next start.
      onRestarting: (listener) =>
        runId
          ? runs.onDidChange((run) => {
              if (run.runId === runId && (run.state === 'restarting' || (run.state === 'exited' && !run.ended))) listener();
            })
          : { dispose() {} },
      exited: () => exitedReason,
      dispose: async () => {
        if (disposed) return;
        disposed = true;
        tracking?.dispose();
        this.service.stopForward(prepared.portForwardId);
        if (prepared.started && runId) await runs.stop(runId).catch(() => {});
      },
    };
  }
}

function parseWorkload(value: unknown): WorkloadRef {
  const text = typeof value === 'string' ? value : '';
  const slash = text.indexOf('/');
  const kind = slash > 0 ? parseWorkloadKind(text.slice(0, slash)) : undefined;
  const name = text.slice(slash + 1);
  if (!kind || !name) {
    throw new NhdError(ErrorCode.DebugAttachInvalid, `attach needs "workload" as KIND/NAME, e.g. "deployment/authors" (got ${JSON.stringify(value)}); or "host" and "port" of a debugger already reachable.`);
  }
  return { kind, name };
}

function stringField<K extends string>(args: DebugAttachArguments, key: K): { [P in K]?: string } {
  const value = args[key];
  return (typeof value === 'string' && value !== '' ? { [key]: value } : {}) as { [P in K]?: string };
}
