import { ErrorCode } from '../../protocol';
import { CancelledError, messageOf, NhdError, sleep } from '../errors';
import type {
  DapChannel,
  DapConnector,
  DapMessage,
  DebugAttachArguments,
  DebugEndpoint,
  DebugTarget,
  DebugTargetProvider,
  Logger,
} from '../ports';
import { nullLogger } from '../ports';
import { answeredByProxy, debuggerAdapterId, debuggerAttachArguments, debuggerStartHint, refusedWhileRunning } from './debuggers';
import { BreakpointIds, DebugConfiguration, type DapBreakpoint } from './debugConfiguration';
import { eventToLocal, PathMapping, requestToRemote, responseToLocal } from './pathMapping';
import { ConnectionLostError, RemoteDebugger, type DapEvent, type DapRequest, type DapResponse } from './remoteDebugger';

/**
 * The Debug Adapter proxy: the IDE's DAP session on one side, a debugger's DAP server (delve,
 * debugpy) on the other, both as DapChannels (adapters/dap owns the framing and the sockets).
 *
 * - `initialize` is answered at once with what every supported debugger can do; after `attach`
 *   a `capabilities` event gives the IDE the debugger's own list.
 * - `attach` names nhd things; the DebugTargetProvider makes a debugger reachable, the proxy
 *   waits for it (bounded, with backoff), initializes it and sends its own attach.
 * - Every message that carries a path is mapped (pathMapping.ts): the IDE sees only local paths.
 * - When the connection drops (a hot reload restarted the debuggee) the IDE's session stays: the
 *   proxy asks the target where the new debugger is, connects, re-sends initialize, attach, every
 *   breakpoint, function and exception breakpoints and configurationDone, keeps the IDE's breakpoint
 *   ids, and hides the second `initialized` and the old debuggee's `exited`/`terminated`.
 *   IDE requests that arrive meanwhile wait and are sent to the new debugger.
 *
 * The IDE channel numbers its own messages, so `seq` toward the IDE stays monotonic across
 * debuggers; every relayed response carries the IDE's `request_seq`.
 */

export interface DebugProxyOptions {
  ide: DapChannel;
  connect: DapConnector;
  provider: DebugTargetProvider;
  logger?: Logger;
  /** Default wait for a debugger to answer when the target sets none; ms. */
  readyTimeoutMs?: number;
}

/** What every supported debugger can do (delve 1.27 ∩ debugpy 1.8), told before attach. */
export const PROXY_CAPABILITIES = {
  supportsConfigurationDoneRequest: true,
  supportsFunctionBreakpoints: true,
  supportsConditionalBreakpoints: true,
  supportsHitConditionalBreakpoints: true,
  supportsEvaluateForHovers: true,
  supportsSetVariable: true,
  supportsExceptionInfoRequest: true,
  supportsDelayedStackTraceLoading: true,
  supportsLogPoints: true,
} as const;

const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** One initialize round trip; a port-forward accepts before the pod's port does, so it is the probe. */
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** Requests of the proxy's own (attach, replay) during a reconnect. */
const REPLAY_TIMEOUT_MS = 15_000;
/** Debuggers that die while being reattached, in a row, before the session gives up. */
const MAX_REATTACH_ATTEMPTS = 3;

type State = 'new' | 'attaching' | 'attached' | 'reconnecting' | 'ending' | 'ended';

interface IdeRequest extends DapMessage {
  type: 'request';
  command: string;
  arguments?: Record<string, unknown>;
}

/** The target says the debugger exited before it answered (a save broke its build). */
class DebuggerExitedError extends NhdError {
  constructor(reason: string) {
    super(ErrorCode.DebuggerUnreachable, `The debugger exited before it answered: ${reason}`);
  }
}

export class DebugProxy {
  private readonly ide: DapChannel;
  private readonly connect: DapConnector;
  private readonly provider: DebugTargetProvider;
  private readonly log: Logger;
  private readonly defaultReadyMs: number;
  private readonly life = new AbortController();
  private state: State = 'new';
  private ideInit: Record<string, unknown> = {};
  private attachArgs: DebugAttachArguments = {};
  private target: DebugTarget | undefined;
  private mapping = new PathMapping('/', '/');
  private remote: RemoteDebugger | undefined;
  private readonly config = new DebugConfiguration();
  private readonly ids = new BreakpointIds();
  /** IDE requests that came while reconnecting, sent to the next debugger. */
  private queued: IdeRequest[] = [];
  /** The thread the IDE last saw stop, while it believes the program is stopped. */
  private stoppedThread: number | undefined;
  /** Reverse requests relayed to the IDE: the IDE's seq → the debugger's. */
  private readonly reverse = new Map<number, { remote: RemoteDebugger; seq: number; command: string }>();
  private initializedSent = false;
  private restartSubscription: { dispose(): void } | undefined;
  private resolveEnded!: () => void;
  /** Resolves when the session is over and everything it held is released. */
  readonly ended = new Promise<void>((resolve) => (this.resolveEnded = resolve));

  constructor(options: DebugProxyOptions) {
    this.ide = options.ide;
    this.connect = options.connect;
    this.provider = options.provider;
    this.log = options.logger ?? nullLogger;
    this.defaultReadyMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    this.ide.onMessage((m) => this.fromIde(m));
    void this.ide.closed.then(async ({ reason }) => {
      if (this.state === 'ended') return;
      this.log.log('info', 'dap', 'the IDE left', { reason });
      // Left without disconnect (a crash, a closed socket): detach as disconnect would, so the
      // program does not stop on breakpoints nobody will continue.
      const remote = this.remote;
      if (remote && !remote.isClosed && (this.state === 'attached' || this.state === 'attaching')) {
        this.state = 'ending';
        await Promise.race([
          this.clearBreakpoints(remote).then(() => remote.request('disconnect', {}, REPLAY_TIMEOUT_MS)).catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, 2_000)),
        ]);
      }
      await this.end();
    });
  }

  // ---- the IDE's side ----------------------------------------------------------------------

  private fromIde(message: DapMessage): void {
    if (message.type === 'response') return this.reverseResponse(message as DapResponse);
    if (message.type !== 'request') return;
    const request = message as IdeRequest;
    try {
      this.ideRequest(request);
    } catch (error) {
      this.respondError(request, ErrorCode.Internal, `nhd: ${messageOf(error)}`);
    }
  }

  private ideRequest(request: IdeRequest): void {
    switch (request.command) {
      case 'initialize':
        this.ideInit = request.arguments ?? {};
        this.respond(request, { body: PROXY_CAPABILITIES });
        return;
      // The program runs in the cluster either way: attach starts command.debug when no debugger listens, which is
      // what a launch would do. Clients that can only launch an executable adapter (LSP4IJ) send `launch`.
      case 'launch':
      case 'attach':
        if (this.state !== 'new') {
          this.respondError(request, ErrorCode.DebugAttachInvalid, 'This debug session is already attached.');
          return;
        }
        void this.attach(request);
        return;
      case 'disconnect':
      case 'terminate':
        void this.leave(request);
        return;
    }
    switch (this.state) {
      case 'attached':
        this.forward(request);
        return;
      case 'attaching':
        // Between the debugger's `initialized` and the attach response (debugpy answers attach only
        // after configurationDone): the debugger is connected, so requests go through.
        if (this.remote) this.forward(request);
        else this.respondError(request, ErrorCode.DebugAttachInvalid, 'The debug session is still attaching.');
        return;
      case 'reconnecting':
        this.queued.push(request);
        return;
      case 'new':
        this.respondError(request, ErrorCode.DebugAttachInvalid, `"${request.command}" before "attach": nhd attaches first.`);
        return;
      case 'ending':
      case 'ended':
        this.respondError(request, ErrorCode.DebugAttachInvalid, 'The debug session has ended.');
        return;
    }
  }

  /** Sends an IDE request to the debugger, mapped, and its answer back, mapped. */
  private forward(request: IdeRequest): void {
    const remote = this.remote!;
    const command = request.command;
    const local = answeredByProxy(this.target!.language, command);
    if (local) {
      this.config.record(command, request.arguments, undefined);
      this.respond(request, local);
      return;
    }
    const args = request.arguments === undefined ? undefined : requestToRemote(command, request.arguments, this.mapping);
    const sent = command === 'configurationDone' ? this.configurationDone(remote) : remote.request(command, args);
    sent.then(
      (response) => {
        const body = this.toIdeBody(command, response.body);
        if (response.success) this.config.record(command, request.arguments, breakpointsOf(body));
        this.respond(request, response.success ? { body } : { success: false, message: response.message ?? 'failed', body });
      },
      (error: unknown) => {
        const message = error instanceof ConnectionLostError ? 'the debugger went away before answering (the debuggee restarted or ended)' : messageOf(error);
        this.respondError(request, ErrorCode.DebugAttachFailed, `nhd: ${message}`);
      },
    );
  }

  private async attach(request: IdeRequest): Promise<void> {
    this.state = 'attaching';
    this.attachArgs = (request.arguments ?? {}) as DebugAttachArguments;
    const started = performance.now();
    const progress = this.progress('Attaching to the debugger');
    try {
      const target = await this.provider.prepare(this.attachArgs, progress, this.life.signal);
      this.target = target;
      this.mapping = new PathMapping(target.localRoot, target.remoteRoot);
      this.restartSubscription = target.onRestarting?.(() => {
        this.log.log('info', 'dap', 'the target says the debuggee restarts');
        this.remote?.close();
      });
      progress.report(`Waiting for ${target.language === 'go' ? 'delve' : 'debugpy'} at ${target.endpoint.host}:${target.endpoint.port}`);
      const { remote, capabilities } = await this.connectReady(target.endpoint);
      this.useRemote(remote);
      this.event('capabilities', { capabilities: { ...capabilities, supportsRestartRequest: false } });
      progress.done();
      const response = await remote.request('attach', debuggerAttachArguments(target.language, this.attachArgs));
      if (!response.success) throw new NhdError(ErrorCode.DebugAttachFailed, `The debugger refused to attach: ${refusalText(response)}`);
      if (this.state === 'attaching') this.state = 'attached';
      this.log.log('info', 'dap', 'attached', { language: target.language, endpoint: target.endpoint, ms: Math.round(performance.now() - started) });
      this.respond(request, {});
    } catch (error) {
      progress.done();
      const code = error instanceof NhdError ? error.code : ErrorCode.DebugAttachFailed;
      this.respondError(request, code, messageOf(error));
      await this.end();
    }
  }

  private async leave(request: IdeRequest): Promise<void> {
    const remote = this.remote;
    if (remote && !remote.isClosed && (this.state === 'attached' || this.state === 'attaching')) {
      this.state = 'ending';
      try {
        if (request.command === 'disconnect' && request.arguments?.['terminateDebuggee'] !== true) await this.clearBreakpoints(remote);
        const response = await remote.request(request.command, request.arguments, REPLAY_TIMEOUT_MS);
        this.respond(request, response.success ? { body: response.body } : { success: false, message: response.message ?? 'failed' });
      } catch {
        this.respond(request, {});
      }
    } else {
      this.respond(request, {});
    }
    await this.end();
  }

  /** configurationDone, with delve's refusal while running worked around (see refusedWhileRunning). */
  private async configurationDone(remote: RemoteDebugger): Promise<DapResponse> {
    const language = this.target!.language;
    const response = await remote.request('configurationDone', undefined, REPLAY_TIMEOUT_MS);
    if (!refusedWhileRunning(language, 'configurationDone', response)) return response;
    this.log.log('debug', 'dap', 'configurationDone refused while running: pausing first');
    const paused = await remote.request('pause', { threadId: -1 }, REPLAY_TIMEOUT_MS);
    if (!paused.success) return response;
    return remote.request('configurationDone', undefined, REPLAY_TIMEOUT_MS);
  }

  /**
   * Removes the IDE's breakpoints before it detaches: delve keeps a server's breakpoints for its
   * next client, and a program left running would stop on them with nobody to continue it.
   */
  private async clearBreakpoints(remote: RemoteDebugger): Promise<void> {
    const clears: Promise<unknown>[] = this.config
      .sourcePaths()
      .map((p) => remote.request('setBreakpoints', { source: { path: this.mapping.toRemote(p) }, breakpoints: [] }, REPLAY_TIMEOUT_MS));
    if (this.config.hasFunctionBreakpoints()) clears.push(remote.request('setFunctionBreakpoints', { breakpoints: [] }, REPLAY_TIMEOUT_MS));
    await Promise.allSettled(clears);
  }

  // ---- the debugger's side -----------------------------------------------------------------

  private useRemote(remote: RemoteDebugger): void {
    this.remote = remote;
    this.ids.newDebugger();
    remote.listen(
      (event) => this.fromRemoteEvent(remote, event),
      (request) => this.fromRemoteRequest(remote, request),
    );
    void remote.closed.then(({ reason }) => this.lost(remote, `connection closed: ${reason}`));
  }

  private fromRemoteEvent(remote: RemoteDebugger, event: DapEvent): void {
    if (remote !== this.remote) return; // an old debugger's last words
    const name = event.event;
    if (this.state === 'ending' || this.state === 'ended') {
      this.event(name, this.toIdeEventBody(name, event.body));
      return;
    }
    switch (name) {
      case 'initialized':
        if (this.initializedSent) return; // the reconnect waits for it itself
        this.initializedSent = true;
        this.event('initialized', undefined);
        return;
      case 'exited':
        return; // told only when the debuggee is gone for good (see lost)
      case 'terminated':
        if (this.state === 'attached') void this.lost(remote, 'the debugger said the debuggee terminated');
        return;
      case 'stopped': {
        const body = { ...(event.body as Record<string, unknown>) };
        this.stoppedThread = typeof body['threadId'] === 'number' ? body['threadId'] : (this.stoppedThread ?? 0);
        if (Array.isArray(body['hitBreakpointIds'])) {
          body['hitBreakpointIds'] = (body['hitBreakpointIds'] as unknown[]).map((id) => (typeof id === 'number' ? (this.ids.lookup(id) ?? id) : id));
        }
        this.event('stopped', body);
        return;
      }
      case 'continued':
        this.stoppedThread = undefined;
        this.event('continued', event.body);
        return;
      default:
        this.event(name, this.toIdeEventBody(name, event.body));
    }
  }

  private fromRemoteRequest(remote: RemoteDebugger, request: DapRequest): void {
    if (remote !== this.remote || this.state === 'ended') {
      remote.respond(request.seq, { command: request.command, success: false, message: 'the debug session moved on' });
      return;
    }
    const message: { type: 'request'; command: string; arguments?: unknown } = { type: 'request', command: request.command };
    if (request.arguments !== undefined) message.arguments = request.arguments;
    const ideSeq = this.ide.send(message);
    this.reverse.set(ideSeq, { remote, seq: request.seq, command: request.command });
  }

  private reverseResponse(response: DapResponse): void {
    const to = this.reverse.get(response.request_seq);
    if (!to) return;
    this.reverse.delete(response.request_seq);
    const answer: { command: string; success: boolean; message?: string; body?: unknown } = { command: to.command, success: response.success };
    if (response.message !== undefined) answer.message = response.message;
    if (response.body !== undefined) answer.body = response.body;
    to.remote.respond(to.seq, answer);
  }

  private toIdeBody(command: string, body: unknown): unknown {
    const mapped = responseToLocal(command, body, this.mapping) as Record<string, unknown> | undefined;
    if (mapped && Array.isArray(mapped['breakpoints'])) {
      return { ...mapped, breakpoints: this.ids.translate(mapped['breakpoints'] as DapBreakpoint[]) };
    }
    return mapped;
  }

  private toIdeEventBody(event: string, body: unknown): unknown {
    const mapped = eventToLocal(event, body, this.mapping) as Record<string, unknown> | undefined;
    if (event === 'breakpoint' && mapped && typeof mapped['breakpoint'] === 'object' && mapped['breakpoint'] !== null) {
      const [b] = this.ids.translate([mapped['breakpoint'] as DapBreakpoint]);
      return { ...mapped, breakpoint: b };
    }
    return mapped;
  }

  // ---- reconnecting ------------------------------------------------------------------------

  /** The debugger went away (or said its debuggee did) while the IDE's session is open. */
  private async lost(remote: RemoteDebugger, reason: string): Promise<void> {
    if (remote !== this.remote || this.state === 'reconnecting' || this.state === 'ending' || this.state === 'ended') return;
    if (this.state === 'attaching') return; // attach() sees the failure through its own request
    const target = this.target!;
    this.state = 'reconnecting';
    const started = performance.now();
    this.log.log('info', 'dap', 'lost the debugger', { reason });
    remote.close();
    if (this.stoppedThread !== undefined) {
      this.event('continued', { threadId: this.stoppedThread, allThreadsContinued: true });
      this.stoppedThread = undefined;
    }
    this.output(`nhd: lost the debugger (${reason}); waiting for the restarted debuggee.\n`);
    // A new debugger may die during the reattach (a crash loop, a second quick reload): ask again.
    for (let attempt = 1; ; attempt++) {
      let endpoint: DebugEndpoint | undefined;
      try {
        endpoint = await target.restarted(this.life.signal);
      } catch (error) {
        if (!(error instanceof CancelledError) && !this.life.signal.aborted) this.output(`nhd: ${messageOf(error)}\n`);
      }
      if (this.life.signal.aborted) return;
      if (!endpoint) {
        this.output('nhd: the debuggee ended.\n');
        this.event('terminated', undefined);
        await this.end();
        return;
      }
      try {
        await this.reattach(endpoint);
        break;
      } catch (error) {
        if (this.life.signal.aborted) return;
        this.remote?.close();
        if (error instanceof DebuggerExitedError) {
          // Not the debugger's failing to reattach: the next change starts it again.
          this.output(`nhd: ${error.message}; waiting for it to be started again (fix and save).\n`);
          attempt--;
          continue;
        }
        if (attempt < MAX_REATTACH_ATTEMPTS && error instanceof ConnectionLostError) continue;
        this.output(`nhd: could not attach to the restarted debugger: ${messageOf(error)}\n`);
        this.event('terminated', undefined);
        await this.end();
        return;
      }
    }
    const ms = Math.round(performance.now() - started);
    this.log.log('info', 'dap', 'reattached', { ms });
    this.output(`nhd: reattached to the restarted debugger (${ms} ms).\n`);
    this.state = 'attached';
    const waiting = this.queued;
    this.queued = [];
    for (const request of waiting) this.ideRequest(request);
  }

  /** Gives a new debugger the IDE's session: initialize, attach, breakpoints, configurationDone. */
  private async reattach(endpoint: DebugEndpoint): Promise<void> {
    const target = this.target!;
    const { remote } = await this.connectReady(endpoint);
    const initialized = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the debugger sent no "initialized" event after attach')), REPLAY_TIMEOUT_MS);
      remote.listen(
        (event) => {
          if (event.event === 'initialized') {
            clearTimeout(timer);
            resolve();
          }
          this.fromRemoteEvent(remote, event);
        },
        (request) => this.fromRemoteRequest(remote, request),
      );
    });
    // Events of the new debugger are relayed from here on (initialized and terminated are not).
    this.remote = remote;
    this.ids.newDebugger();
    void remote.closed.then(({ reason }) => this.lost(remote, `connection closed: ${reason}`));
    const attached = remote.request('attach', debuggerAttachArguments(target.language, this.attachArgs), REPLAY_TIMEOUT_MS);
    attached.catch(() => {}); // awaited below; debugpy answers only after configurationDone
    initialized.catch(() => {});
    // delve answers attach after `initialized`, debugpy after configurationDone; a refusal ends the wait.
    await Promise.race([
      initialized,
      attached.then((r) => {
        if (!r.success) throw new Error(`attach failed: ${refusalText(r)}`);
        return initialized;
      }),
    ]);
    for (const { command, args, key } of this.config.replay()) {
      if (answeredByProxy(target.language, command)) continue;
      const response = await remote.request(command, requestToRemote(command, args, this.mapping), REPLAY_TIMEOUT_MS);
      if (!response.success) {
        this.output(`nhd: the restarted debugger refused ${command}: ${response.message ?? ''}\n`);
        continue;
      }
      const body = responseToLocal(command, response.body, this.mapping) as { breakpoints?: DapBreakpoint[] } | undefined;
      const ideIds = this.config.ids(key);
      (body?.breakpoints ?? []).forEach((b, i) => {
        const ideId = ideIds[i];
        if (typeof b.id === 'number' && ideId !== undefined) this.ids.bind(b.id, ideId);
        // The IDE learns each breakpoint's state in the new debugger (verified, moved line).
        if (ideId !== undefined) this.event('breakpoint', { reason: 'changed', breakpoint: { ...b, id: ideId } });
      });
    }
    if (this.config.configurationDone) {
      const done = await this.configurationDone(remote);
      if (!done.success) throw new Error(`configurationDone failed: ${refusalText(done)}`);
    }
    const response = await attached;
    if (!response.success) throw new Error(`attach failed: ${refusalText(response)}`);
  }

  /**
   * Connects and initializes, retrying with backoff until the target's deadline: a debugger that
   * is still starting refuses connections, and a port-forward accepts before anything listens.
   */
  private async connectReady(endpoint: DebugEndpoint): Promise<{ remote: RemoteDebugger; capabilities: Record<string, unknown> }> {
    const target = this.target!;
    const timeoutMs = target.readyTimeoutMs ?? this.defaultReadyMs;
    const deadline = performance.now() + timeoutMs;
    const initArgs = { ...this.ideInit, adapterID: debuggerAdapterId(target.language), pathFormat: 'path' };
    let delay = 20;
    let attempts = 0;
    let lastError = '';
    for (;;) {
      if (this.life.signal.aborted) throw new CancelledError('The debug session ended.');
      const exited = target.exited?.();
      if (exited) throw new DebuggerExitedError(exited);
      attempts++;
      let remote: RemoteDebugger | undefined;
      try {
        remote = new RemoteDebugger(await this.connect(endpoint, this.life.signal));
        const left = deadline - performance.now();
        const response = await remote.request('initialize', initArgs, Math.max(500, Math.min(HANDSHAKE_TIMEOUT_MS, left)));
        if (!response.success) {
          remote.close();
          throw new NhdError(ErrorCode.DebugAttachFailed, `The debugger refused initialize: ${response.message ?? 'no reason given'}`);
        }
        this.log.log('debug', 'dap', 'connected', { endpoint, attempts });
        return { remote, capabilities: (response.body as Record<string, unknown> | undefined) ?? {} };
      } catch (error) {
        remote?.close();
        if (error instanceof NhdError || this.life.signal.aborted) throw error;
        lastError = messageOf(error);
        if (performance.now() + delay > deadline) {
          const tool = target.language === 'go' ? 'delve' : 'debugpy';
          throw new NhdError(
            ErrorCode.DebuggerUnreachable,
            `No ${tool} answered at ${endpoint.host}:${endpoint.port} within ${Math.round(timeoutMs / 1000)} s ` +
              `(${attempts} attempts; last: ${lastError}). Check that the debugger runs and listens on that port ` +
              `(${debuggerStartHint(target.language, endpoint.port)}), that the dev container's command.debug starts it, ` +
              `and that debug.remoteDebugPort names its port.`,
          );
        }
        // Aborted: the session ended while waiting.
        await sleep(delay, this.life.signal).catch(() => {
          throw new CancelledError('The debug session ended.');
        });
        delay = Math.min(Math.round(delay * 1.5), 250);
      }
    }
  }

  // ---- ending ------------------------------------------------------------------------------

  private async end(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.life.abort();
    this.restartSubscription?.dispose();
    this.remote?.close();
    for (const request of this.queued) this.respondError(request, ErrorCode.DebugAttachFailed, 'The debug session has ended.');
    this.queued = [];
    try {
      await this.target?.dispose();
    } catch (error) {
      this.log.log('warn', 'dap', 'target dispose failed', { error: messageOf(error) });
    }
    this.ide.close();
    this.resolveEnded();
  }

  // ---- messages to the IDE -----------------------------------------------------------------

  private respond(request: IdeRequest, r: { success?: boolean; message?: string; body?: unknown }): void {
    const response: Record<string, unknown> = { type: 'response', request_seq: request.seq, command: request.command, success: r.success ?? true };
    if (r.message !== undefined) response['message'] = r.message;
    if (r.body !== undefined) response['body'] = r.body;
    this.ide.send(response as { type: 'response' });
  }

  private respondError(request: IdeRequest, code: number, message: string): void {
    this.respond(request, { success: false, message, body: { error: { id: code, format: message.replace(/[{}]/g, ''), showUser: true } } });
  }

  private event(event: string, body: unknown): void {
    const message: Record<string, unknown> = { type: 'event', event };
    if (body !== undefined) message['body'] = body;
    this.ide.send(message as { type: 'event' });
  }

  private output(text: string): void {
    this.event('output', { category: 'console', output: text });
  }

  /**
   * Output of the debuggee's process as its runner sees it (the debug run's stdout and stderr:
   * build errors, the program's log), for the IDE's debug console; dropped once the session ended.
   */
  programOutput(category: 'stdout' | 'stderr', text: string): void {
    if (this.state === 'ended' || this.state === 'new') return;
    this.event('output', { category, output: text });
  }

  /** Progress events when the IDE supports them, console output otherwise. */
  private progress(title: string): { report(message: string): void; done(): void } {
    const supported = this.ideInit['supportsProgressReporting'] === true;
    const progressId = `nhd-attach-${Date.now()}`;
    let started = false;
    let finished = false;
    return {
      report: (message) => {
        if (finished) return;
        if (!supported) return this.output(`nhd: ${message}\n`);
        if (!started) {
          started = true;
          this.event('progressStart', { progressId, title, message });
        } else this.event('progressUpdate', { progressId, message });
      },
      done: () => {
        if (started && !finished) this.event('progressEnd', { progressId });
        finished = true;
      },
    };
  }
}

/** A refusal in the debugger's own words: the detailed format when there is one (delve's "Process 12 has exited"). */
function refusalText(response: DapResponse): string {
  const format = (response.body as { error?: { format?: unknown } } | undefined)?.error?.format;
  return typeof format === 'string' ? format : (response.message ?? 'no reason given');
}

function breakpointsOf(body: unknown): DapBreakpoint[] | undefined {
  const list = (body as { breakpoints?: unknown } | undefined)?.breakpoints;
  return Array.isArray(list) ? (list as DapBreakpoint[]) : undefined;
}
