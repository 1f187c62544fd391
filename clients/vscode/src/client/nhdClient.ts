import { CancellationTokenSource, ProgressType, type CancellationToken, type Disposable, type RequestType } from 'vscode-jsonrpc';
import {
  ConfigLoadRequest,
  DevDidChangeNotification,
  DevEndRequest,
  DevStartRequest,
  DevStatusRequest,
  KubeContextsRequest,
  KubeNamespacesRequest,
  LogsOutputNotification,
  LogsStreamRequest,
  PortForwardDidChangeNotification,
  PortForwardListRequest,
  PortForwardStartRequest,
  PortForwardStopRequest,
  RunDidChangeNotification,
  RunListRequest,
  RunOutputNotification,
  RunStartRequest,
  RunStopRequest,
  StatusDidChangeNotification,
  StatusRequest,
  SyncDidChangeNotification,
  SyncStatusRequest,
  TerminalCloseRequest,
  TerminalExitNotification,
  TerminalInputNotification,
  TerminalOpenRequest,
  TerminalOutputNotification,
  TerminalResizeNotification,
  WorkloadsDidChangeNotification,
  WorkloadsListRequest,
  WorkloadsUnwatchRequest,
  WorkloadsWatchRequest,
  type ClusterScope,
  type DevEndParams,
  type DevSession,
  type DevStartParams,
  type LogsOutputParams,
  type LogsStreamParams,
  type LogsStreamResult,
  type PortForwardListResult,
  type RunDidChangeParams,
  type RunOutputParams,
  type StatusResult,
  type SyncStatus,
  type TerminalExitParams,
  type TerminalOpenParams,
  type TerminalOutputParams,
  type WorkDoneParams,
  type WorkloadsDidChangeParams,
  type WorkloadKind,
  type WorkloadRef,
  type WorkloadsWatchResult,
} from '../../../../protocol';
import { DisposableStore, Emitter, type Event } from './emitter';
import type { Rpc } from './rpc';

/** LSP's $/progress payloads (begin, report, end), as the daemon sends them. */
export interface WorkDoneProgressValue {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
  percentage?: number;
  cancellable?: boolean;
}
const workDoneProgress = new ProgressType<WorkDoneProgressValue>();

/** How a caller follows a long request: its progress, and a way to cancel it. */
export interface LongRequestOptions {
  onProgress?: (value: WorkDoneProgressValue) => void;
  token?: CancellationToken;
}

let nextToken = 0;

/**
 * Notifications addressed to one handle (a terminal, a run, a log stream) that may arrive before
 * the caller knows the handle: they are held, a bounded number, until someone listens.
 */
class Router<T> {
  private readonly handlers = new Map<string, (params: T) => void>();
  private readonly held = new Map<string, T[]>();

  constructor(private readonly key: (params: T) => string) {}

  dispatch(params: T): void {
    const id = this.key(params);
    const handler = this.handlers.get(id);
    if (handler) return handler(params);
    if (!this.held.has(id) && this.held.size >= 32) this.held.delete(this.held.keys().next().value!);
    const list = this.held.get(id) ?? [];
    if (list.length < 1000) list.push(params);
    this.held.set(id, list);
  }

  on(id: string, handler: (params: T) => void): Disposable {
    this.handlers.set(id, handler);
    const held = this.held.get(id);
    this.held.delete(id);
    for (const params of held ?? []) handler(params);
    return { dispose: () => void (this.handlers.get(id) === handler && this.handlers.delete(id)) };
  }
}

/**
 * The daemon as the extension sees it: typed requests (from protocol/) and the pushed state as
 * events. Presentation lives elsewhere; this class holds no decisions the daemon should make.
 */
export class NhdClient implements Disposable {
  private readonly disposables = new DisposableStore();
  private readonly workloadsChanged = this.disposables.add(new Emitter<WorkloadsDidChangeParams>());
  private readonly devChanged = this.disposables.add(new Emitter<DevSession>());
  private readonly syncChanged = this.disposables.add(new Emitter<SyncStatus>());
  private readonly runChanged = this.disposables.add(new Emitter<RunDidChangeParams>());
  private readonly portForwardsChanged = this.disposables.add(new Emitter<PortForwardListResult>());
  private readonly statusChanged = this.disposables.add(new Emitter<StatusResult>());
  private readonly runOutput = new Router<RunOutputParams>((p) => p.runId);
  private readonly terminalOutput = new Router<TerminalOutputParams>((p) => p.terminalId);
  private readonly terminalExit = new Router<TerminalExitParams>((p) => p.terminalId);
  private readonly logsOutput = new Router<LogsOutputParams>((p) => p.streamId);

  /** A namespace's workloads changed (the whole list, for a watch this client holds). */
  readonly onWorkloadsDidChange: Event<WorkloadsDidChangeParams> = this.workloadsChanged.event;
  /** A dev session of the daemon changed state. */
  readonly onDevDidChange: Event<DevSession> = this.devChanged.event;
  /** A session's file sync changed state or applied a batch. */
  readonly onSyncDidChange: Event<SyncStatus> = this.syncChanged.event;
  /** A run started, restarted, reloaded or exited. */
  readonly onRunDidChange: Event<RunDidChangeParams> = this.runChanged.event;
  readonly onPortForwardsDidChange: Event<PortForwardListResult> = this.portForwardsChanged.event;
  readonly onStatusDidChange: Event<StatusResult> = this.statusChanged.event;

  constructor(readonly rpc: Rpc) {
    const d = this.disposables;
    d.add(rpc.onNotification(WorkloadsDidChangeNotification.type, (p) => this.workloadsChanged.fire(p)));
    d.add(rpc.onNotification(DevDidChangeNotification.type, (p) => this.devChanged.fire(p)));
    d.add(rpc.onNotification(SyncDidChangeNotification.type, (p) => this.syncChanged.fire(p)));
    d.add(rpc.onNotification(RunDidChangeNotification.type, (p) => this.runChanged.fire(p)));
    d.add(rpc.onNotification(PortForwardDidChangeNotification.type, (p) => this.portForwardsChanged.fire(p)));
    d.add(rpc.onNotification(StatusDidChangeNotification.type, (p) => this.statusChanged.fire(p)));
    d.add(rpc.onNotification(RunOutputNotification.type, (p) => this.runOutput.dispatch(p)));
    d.add(rpc.onNotification(TerminalOutputNotification.type, (p) => this.terminalOutput.dispatch(p)));
    d.add(rpc.onNotification(TerminalExitNotification.type, (p) => this.terminalExit.dispatch(p)));
    d.add(rpc.onNotification(LogsOutputNotification.type, (p) => this.logsOutput.dispatch(p)));
  }

  dispose(): void {
    this.disposables.dispose();
  }

  status() {
    return this.rpc.sendRequest(StatusRequest.type, {});
  }
  contexts() {
    return this.rpc.sendRequest(KubeContextsRequest.type, {});
  }
  namespaces(context?: string) {
    return this.rpc.sendRequest(KubeNamespacesRequest.type, context === undefined ? {} : { context });
  }
  listWorkloads(scope: ClusterScope) {
    return this.rpc.sendRequest(WorkloadsListRequest.type, scope);
  }
  watchWorkloads(scope: ClusterScope): Promise<WorkloadsWatchResult> {
    return this.rpc.sendRequest(WorkloadsWatchRequest.type, scope);
  }
  unwatchWorkloads(watchId: string) {
    return this.rpc.sendRequest(WorkloadsUnwatchRequest.type, { watchId });
  }
  devStatus() {
    return this.rpc.sendRequest(DevStatusRequest.type, {});
  }
  devStart(params: DevStartParams, options: LongRequestOptions = {}) {
    return this.longRequest(DevStartRequest.type, params, options);
  }
  devEnd(params: DevEndParams, options: LongRequestOptions = {}) {
    return this.longRequest(DevEndRequest.type, params, options);
  }
  syncStatus() {
    return this.rpc.sendRequest(SyncStatusRequest.type, {});
  }
  loadConfig(localDir: string) {
    return this.rpc.sendRequest(ConfigLoadRequest.type, { localDir });
  }
  startPortForward(ref: WorkloadLike, localPort: number, remotePort: number) {
    return this.rpc.sendRequest(PortForwardStartRequest.type, { ...sessionRef(ref), localPort, remotePort });
  }
  listPortForwards() {
    return this.rpc.sendRequest(PortForwardListRequest.type, {});
  }
  stopPortForward(id: string) {
    return this.rpc.sendRequest(PortForwardStopRequest.type, { id });
  }
  listRuns() {
    return this.rpc.sendRequest(RunListRequest.type, {});
  }

  /**
   * Starts a run and routes its output to `onOutput` (nothing of a run reaches a client before
   * the answer to run/start, so no output is lost). Dispose the result to stop listening.
   */
  async startRun(params: WorkloadLike & { hotReload?: boolean }, onOutput: (p: RunOutputParams) => void) {
    const run = await this.rpc.sendRequest(RunStartRequest.type, { ...sessionRef(params), ...(params.hotReload === undefined ? {} : { hotReload: params.hotReload }) });
    return { run, listener: this.runOutput.on(run.runId, onOutput) };
  }
  stopRun(runId: string) {
    return this.rpc.sendRequest(RunStopRequest.type, { runId });
  }

  /** Opens a terminal; output and exit go to the handlers, held until the answer is known. */
  async openTerminal(params: TerminalOpenParams, onOutput: (p: TerminalOutputParams) => void, onExit: (p: TerminalExitParams) => void) {
    const opened = await this.rpc.sendRequest(TerminalOpenRequest.type, params);
    const store = new DisposableStore();
    store.add(this.terminalOutput.on(opened.terminalId, onOutput));
    store.add(this.terminalExit.on(opened.terminalId, onExit));
    return { opened, listener: store as Disposable };
  }
  terminalInput(terminalId: string, data: Uint8Array) {
    return this.rpc.sendNotification(TerminalInputNotification.type, { terminalId, data: Buffer.from(data).toString('base64') });
  }
  terminalResize(terminalId: string, cols: number, rows: number) {
    return this.rpc.sendNotification(TerminalResizeNotification.type, { terminalId, cols, rows });
  }
  closeTerminal(terminalId: string) {
    return this.rpc.sendRequest(TerminalCloseRequest.type, { terminalId });
  }

  /** Streams a log to `onText` until it ends or `token` cancels it (with follow). */
  async streamLogs(params: Omit<LogsStreamParams, 'streamId'>, onText: (text: string) => void, token?: CancellationToken): Promise<LogsStreamResult> {
    const streamId = `logs-${process.pid}-${++nextToken}`;
    const listener = this.logsOutput.on(streamId, (p) => onText(p.text));
    try {
      return await this.rpc.sendRequest(LogsStreamRequest.type, { ...params, streamId }, token);
    } finally {
      listener.dispose();
    }
  }

  /**
   * Sends a long request under a workDoneToken of our own and follows its $/progress (the daemon
   * would otherwise create a token, which vscode-languageclient shows only in the status bar).
   */
  async longRequest<P extends WorkDoneParams, R>(type: RequestType<P, R, void>, params: P, options: LongRequestOptions = {}): Promise<R> {
    if (!options.onProgress) return this.rpc.sendRequest(type, params, options.token);
    const workDoneToken = `nhd-vscode-${process.pid}-${++nextToken}`;
    const listener = this.rpc.onProgress(workDoneProgress, workDoneToken, options.onProgress);
    try {
      return await this.rpc.sendRequest(type, { ...params, workDoneToken }, options.token);
    } finally {
      listener.dispose();
    }
  }
}

/** Anything that names a workload: a tree node, a dev session, a debug configuration. */
export interface WorkloadLike {
  kind: WorkloadKind;
  name: string;
  context?: string | undefined;
  namespace?: string | undefined;
}

/** Copies only a workload reference's wire fields (tree nodes carry more). */
export function sessionRef(ref: WorkloadLike): WorkloadRef {
  return {
    kind: ref.kind,
    name: ref.name,
    ...(ref.context === undefined ? {} : { context: ref.context }),
    ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }),
  };
}

export { CancellationTokenSource };
