import type * as net from 'node:net';
import {
  ErrorCode,
  type DebugLanguageName,
  type DebugListenResult,
  type DebugListenTransport,
  type DebugStartResult,
  type DevSession,
  type DevSettings,
  type DevStartParams,
  type PortForward,
  type RunInfo,
  type WorkloadRef,
} from '../../protocol';
import type { DevSettingsSource } from '../devMode/devModeService';
import { NhdError, throwIfAborted } from '../errors';
import { execAndCollect } from '../execCollect';
import { describe, sessionIdOf, type Scope } from '../kubeScope';
import type { DapChannel, DapConnector, Logger } from '../ports';
import type { Progress } from '../rpc/progress';
import { RunOutputText } from '../run/runOutputText';
import type { RunChangeListener, RunClient } from '../run/runService';
import { ClusterTargetProvider } from './clusterTargetProvider';
import { openDapListener, type DapListener } from './dapListener';
import { inferDebugLanguage } from './debugLanguage';
import { DebugProxy } from './debugProxy';

/** What the debug service needs from the rest of the daemon. */
export interface DebugServiceDeps {
  log: Logger;
  dev: {
    list(): DevSession[];
    settingsOf(id: string): { dev: DevSettings; source?: DevSettingsSource } | undefined;
    start(scope: Scope, params: DevStartParams, progress: Progress, signal: AbortSignal): Promise<DevSession>;
  };
  sync: { whenIdle(sessionId: string, signal: AbortSignal): Promise<void> };
  runs: {
    start(scope: Scope, ref: WorkloadRef, options: { hotReload?: boolean; mode?: 'run' | 'debug' }, owner: RunClient, signal: AbortSignal): Promise<RunInfo>;
    stop(runId: string): Promise<RunInfo>;
    runOf(sessionId: string): RunInfo | undefined;
    onDidChange(listener: RunChangeListener): { dispose(): void };
  };
  portForwards: {
    start(scope: Scope, ref: WorkloadRef, localPort: number, remotePort: number): Promise<PortForward>;
    stop(id: string): unknown;
  };
  /**
   * DAP's wire (adapters/dap), and `socketDir`, where socket listeners are made (the daemon's
   * runtime directory's `dap/`); absent in daemons built without it (`nhd/debug/listen` then fails).
   */
  dap?: { connect: DapConnector; channel: (input: NodeJS.ReadableStream, output: NodeJS.WritableStream) => DapChannel; socketDir: string };
}

/** What `prepare` may be told besides the workload. */
export interface DebugPrepareOptions {
  container?: string;
  localDir?: string;
  hotReload?: boolean;
  localPort?: number;
  /** Overrides the config's `debug.language`. */
  language?: DebugLanguageName;
  /** Fail with DebugLanguageUnsupported before starting anything when the debugger does not speak DAP. */
  requireDap?: boolean;
}

/**
 * Debugging on the cluster: makes a workload's remote debugger reachable (dev mode, converged
 * sync, `command.debug` as a run of mode `debug`, a port-forward of `debug.remoteDebugPort`) for
 * `nhd/debug/start`, and opens the one-session DAP listeners of `nhd/debug/listen` (dapListener.ts),
 * each session served by a DebugProxy whose ClusterTargetProvider uses `prepare`.
 */
export class DebugService {
  private readonly proxies = new Set<DebugProxy>();
  private readonly listeners = new Set<DapListener>();

  constructor(readonly deps: DebugServiceDeps) {}

  /** Debug sessions open now (they keep the daemon alive). */
  count(): number {
    return this.proxies.size;
  }

  async prepare(scope: Scope, ref: WorkloadRef, options: DebugPrepareOptions, owner: RunClient, progress: Progress, signal: AbortSignal): Promise<DebugStartResult> {
    const { deps } = this;
    const sessionId = sessionIdOf(scope, ref);
    const session = await this.ensureDevMode(scope, ref, sessionId, options, progress, signal);
    if (options.container !== undefined && options.container !== session.container) {
      throw new NhdError(ErrorCode.DebugAttachInvalid, `${describe(ref)} is in dev mode in container ${JSON.stringify(session.container)}, not ${JSON.stringify(options.container)}; end dev mode and start it with that container, or leave "container" out.`);
    }
    const settings = deps.dev.settingsOf(sessionId);
    if (!settings || !session.pod) throw new NhdError(ErrorCode.NotInDevMode, `${describe(ref)} is not in dev mode held by this nhd daemon.`);
    const where = settings.source && 'file' in settings.source ? ` in ${settings.source.file}` : '';
    const inferred = options.language ?? settings.dev.debug?.language ? undefined : inferDebugLanguage({ debugCommand: settings.dev.command.debug, image: settings.dev.image, ...(session.localDir ? { localDir: session.localDir } : {}) });
    if (inferred) deps.log.log('info', 'dap', `debug.language not set; debugging as ${inferred.language}: ${inferred.because}`, { session: sessionId });
    const language = options.language ?? settings.dev.debug?.language ?? inferred?.language;
    if (language !== 'go' && language !== 'python' && language !== 'node' && language !== 'java') {
      throw new NhdError(
        ErrorCode.DebugAttachInvalid,
        language === undefined
          ? `The dev config of ${describe(ref)} has no \`debug.language\`${where}, and nhd cannot tell it (command.debug, the dev image ${settings.dev.image} and the source's build files do not say one language): set it (go, python, node or java), or pass "language" in the attach configuration.`
          : `nhd cannot debug ${language}: it debugs go and python through its DAP proxy, and hands node and java to the IDE's own debugger.`,
      );
    }
    const dap = language === 'go' || language === 'python';
    if (options.requireDap && !dap) {
      throw new NhdError(
        ErrorCode.DebugLanguageUnsupported,
        `${describe(ref)} is ${language}, whose debugger (${language === 'node' ? "node's inspector" : 'JDWP'}) does not speak DAP, so nhd's DAP proxy cannot hold the session. Run \`nhd debug ${describe(ref)} -n ${scope.namespace}\`: it starts the debugger, port-forwards its port and prints an attach configuration for your IDE's own ${language} debugger.`,
      );
    }
    const remotePort = settings.dev.debug?.remoteDebugPort;
    if (!remotePort) {
      throw new NhdError(ErrorCode.DebugAttachInvalid, `The dev config of ${describe(ref)} has no \`debug.remoteDebugPort\`${where}: set the port command.debug's debugger listens on (e.g. 9009 for delve or debugpy, 9229 for node, 5005 for java).`);
    }

    progress.report('waiting for file sync to converge');
    await deps.sync.whenIdle(sessionId, signal);
    throwIfAborted(signal);

    // The debugger: ours when a debug run holds the container, else one someone started by hand, else a new one.
    let run = deps.runs.runOf(sessionId);
    let started = false;
    if (run?.mode !== 'debug') {
      if (await listensOn(scope, session.pod, session.container, remotePort)) {
        run = undefined;
        progress.report(`a debugger already listens on port ${remotePort} in ${session.pod}`);
      } else {
        progress.report(`starting ${settings.dev.command.debug.join(' ') || 'command.debug'} in ${session.pod}`);
        const hotReload = options.hotReload ?? settings.dev.hotReload;
        run = await deps.runs.start(scope, ref, { mode: 'debug', hotReload }, owner, signal);
        started = true;
      }
    }

    progress.report(`port-forwarding port ${remotePort}`);
    let forward: PortForward;
    try {
      forward = await deps.portForwards.start(scope, ref, options.localPort ?? 0, remotePort);
    } catch (error) {
      if (started && run) await deps.runs.stop(run.runId).catch(() => {});
      throw error;
    }
    owner.onClose(() => this.stopForward(forward.id));
    const localRoot = session.localDir ?? options.localDir ?? '';
    const result: DebugStartResult = {
      language,
      sessionId,
      pod: session.pod,
      container: session.container,
      remotePort,
      host: forward.address,
      localPort: forward.localPort,
      portForwardId: forward.id,
      localRoot,
      remoteRoot: session.workDir,
      started,
      dap,
      nativeAttach: nativeAttach(language, ref, forward.address, forward.localPort, localRoot, session.workDir),
    };
    if (run) result.runId = run.runId;
    if (dap) {
      result.nhdAttach = {
        name: `nhd: debug ${describe(ref)}`,
        type: 'nhd',
        request: 'attach',
        workload: describe(ref),
        namespace: scope.namespace,
        container: session.container,
        language,
        ...(localRoot ? { localRoot } : {}),
        remoteRoot: session.workDir,
      };
    }
    return result;
  }

  /** Stops a forward this service started; one already gone is fine. */
  stopForward(id: string): void {
    try {
      this.deps.portForwards.stop(id);
    } catch {
      // Stopped already (by a client, or with dev mode).
    }
  }

  /**
   * Opens the listener of one DAP session (a unix socket, or a port that wants the secret); the
   * session on it attaches through the cluster provider, its debuggers owned by `owner`. The
   * listener closes once a connection is admitted, when `owner` leaves first, or unused.
   */
  async listen(resolveScope: (params: { namespace?: string; context?: string }) => Scope, owner: RunClient, transport: DebugListenTransport): Promise<DebugListenResult> {
    const dap = this.deps.dap;
    if (!dap) throw new NhdError(ErrorCode.DebugAttachFailed, 'This daemon was built without the DAP proxy.');
    const listener = await openDapListener({
      transport,
      socketDir: dap.socketDir,
      channel: dap.channel,
      log: this.deps.log,
      serve: (ide, socket, admitted) => this.serveSession(ide, socket, admitted, resolveScope, owner, transport),
    });
    this.listeners.add(listener);
    void listener.closed.then(() => this.listeners.delete(listener));
    owner.onClose(() => listener.close());
    return listener.endpoint;
  }

  /** One connection's DAP session; it counts (keeps the daemon alive) once the connection is admitted. */
  private serveSession(
    ide: DapChannel,
    socket: net.Socket,
    admitted: Promise<boolean>,
    resolveScope: (params: { namespace?: string; context?: string }) => Scope,
    owner: RunClient,
    transport: DebugListenTransport,
  ): void {
    const dap = this.deps.dap!;
    // The debuggers this session starts send their output to the IDE's console too.
    let proxy: DebugProxy | undefined;
    const text = new RunOutputText();
    const sessionOwner: RunClient = {
      id: owner.id,
      onClose: (listener) => owner.onClose(listener),
      output: (params) => {
        owner.output(params);
        const chunk = text.write(params);
        if (chunk) proxy?.programOutput(params.stream, chunk);
      },
      outputEnded: (runId) => {
        owner.outputEnded?.(runId);
        for (const { stream, text: rest } of text.end(runId)) proxy?.programOutput(stream, rest);
      },
    };
    proxy = new DebugProxy({ ide, connect: dap.connect, provider: new ClusterTargetProvider(this, resolveScope, sessionOwner), logger: this.deps.log });
    const opened = proxy;
    void admitted.then((ok) => {
      if (!ok) return;
      this.proxies.add(opened);
      this.deps.log.log('info', 'dap', 'debug session opened', { transport, client: owner.id });
      void opened.ended.then(() => {
        this.proxies.delete(opened);
        this.deps.log.log('info', 'dap', 'debug session ended', { transport });
      });
    });
    void opened.ended.then(() => {
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }

  /** Closes listeners nobody was admitted to (the daemon is stopping); open sessions end with their sockets. */
  dispose(): void {
    for (const listener of this.listeners) listener.close();
    this.listeners.clear();
  }

  private async ensureDevMode(scope: Scope, ref: WorkloadRef, sessionId: string, options: DebugPrepareOptions, progress: Progress, signal: AbortSignal): Promise<DevSession> {
    const session = this.deps.dev.list().find((s) => s.id === sessionId);
    if (session?.state === 'ready' && session.pod) return session;
    const where = `-n ${scope.namespace}`;
    if (session?.state === 'starting') {
      throw new NhdError(ErrorCode.NotInDevMode, `${describe(ref)} is still entering dev mode; attach again once \`nhd dev start ${describe(ref)} ${where}\` has finished.`);
    }
    if (!options.localDir) {
      throw new NhdError(
        ErrorCode.NotInDevMode,
        `${describe(ref)} is not in dev mode held by this nhd daemon (namespace ${scope.namespace}, context ${scope.context}), and no local directory was given to start it with: run \`nhd dev start ${describe(ref)} ${where} --local-dir DIR\` first, or pass "localDir" in the attach configuration (\`nhd debug ${describe(ref)} ${where} --local-dir DIR\`).`,
      );
    }
    progress.report(`starting dev mode for ${describe(ref)}`);
    const params: DevStartParams = { kind: ref.kind, name: ref.name, namespace: scope.namespace, context: scope.context, localDir: options.localDir };
    if (options.container !== undefined) params.container = options.container;
    const started = await this.deps.dev.start(scope, params, { begin: (title, message) => progress.report(message ?? title), report: (message) => progress.report(message), done: () => {} }, signal);
    if (!started.pod) throw new NhdError(ErrorCode.NotInDevMode, `Dev mode of ${describe(ref)} started without a dev pod.`);
    return started;
  }
}

/**
 * Whether something listens on a TCP port in the container (/proc/net/tcp, no connection made).
 * Only a probe that ran and answered says no; an exec that failed (the API server, the pod) rejects
 * with its cluster error, and a probe that could not run (no sh or awk, a broken stream) with
 * DebugAttachFailed, so that an unknown answer never starts a second debugger.
 */
export async function listensOn(scope: Scope, pod: string, container: string, port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  // Columns: sl local_address rem_address st ...; st 0A is LISTEN.
  const script = `cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" && substr($2, length($2) - 4) == ":${hex}" { found = 1 } END { print found ? "yes" : "no" }'`;
  const { code, stdout, stderr } = await execAndCollect(scope, pod, container, ['sh', '-c', script]);
  const answer = stdout.trim();
  if (code === 0 && (answer === 'yes' || answer === 'no')) return answer === 'yes';
  const how = code === null ? 'its exec ended without an exit status (the pod restarted or the connection broke)' : `it exited with ${code}${stderr.trim() ? `: ${stderr.trim()}` : answer ? ` and printed ${JSON.stringify(answer)}` : ''}`;
  throw new NhdError(
    ErrorCode.DebugAttachFailed,
    `nhd could not tell whether a debugger already listens on port ${port} in ${pod}/${container}, so it started none: the check (sh, cat /proc/net/tcp, awk) failed: ${how}. Attach again; if it keeps failing, check that the dev image has sh and awk.`,
  );
}

/** A VS Code launch.json entry for the IDE's own debugger, through the forward. */
export function nativeAttach(language: DebugLanguageName, ref: WorkloadRef, host: string, port: number, localRoot: string, remoteRoot: string): Record<string, unknown> {
  const name = `Attach to ${describe(ref)} (nhd port-forward)`;
  switch (language) {
    case 'go':
      return { name, type: 'go', request: 'attach', mode: 'remote', host, port, substitutePath: [{ from: localRoot, to: remoteRoot }] };
    case 'python':
      return { name, type: 'debugpy', request: 'attach', connect: { host, port }, pathMappings: [{ localRoot, remoteRoot }], justMyCode: true };
    case 'node':
      return { name, type: 'node', request: 'attach', address: host, port, localRoot, remoteRoot, restart: true };
    case 'java':
      return { name, type: 'java', request: 'attach', hostName: host, port };
  }
}
