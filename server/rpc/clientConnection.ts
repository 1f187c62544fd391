import type { Readable, Writable } from 'node:stream';
import {
  CancellationToken,
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ResponseError,
  ShutdownRequest,
  StreamMessageWriter,
  TextDocumentSyncKind,
  TextDocuments,
  WillSaveTextDocumentNotification,
  WillSaveTextDocumentWaitUntilRequest,
  WorkDoneProgressCancelNotification,
  createProtocolConnection,
  type CompletionItem,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  type MessageConnection,
  type ProtocolConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ErrorCode, PROTOCOL_VERSION, RpcErrorCode, StatusDidChangeNotification, type NhdInitializationOptions, type NhdServerCapabilities } from '../../protocol';
import { reportBug } from '../bug';
import { completeConfig, diagnoseConfigDocument, hoverConfig, isDevConfigUri } from '../configService';
import type { Daemon } from '../daemon';
import { CancelledError, NhdError } from '../errors';
import { GuardedMessageReader, type BadInput } from './framing';
import type { ClientHandle, MethodHandler } from './handler';
import { nhdCommands, nhdMethods } from './methods';
import { terminalNotifications } from './streamMethods';
import { object, optional, progressToken, readParams } from './params';
import { WorkDoneReporter, silentProgress } from './progress';
import { toLspCompletion, toLspDiagnostic, toLspHover } from './toWire';
import { messageOf } from '../errors';

/** Largest message accepted from a client; a dev config or a DAP payload is far smaller. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface ClientStreams {
  input: Readable;
  output: Writable;
  /** Ends the underlying transport (socket end, or nothing more for stdio). */
  close(): void;
}

export interface ServeClientOptions {
  /** `exit` arrived: a stdio daemon ends its process, a shared daemon only this connection. */
  onExit(shutdownReceived: boolean): void;
  maxMessageBytes?: number;
}

/**
 * Binds one client connection to the daemon: LSP lifecycle, the `nhd/` methods (as requests and
 * as workspace/executeCommand), language features for dev config files, progress, cancellation
 * and pushed status. This file is the only one that knows both the wire and the daemon.
 */
export function serveClient(daemon: Daemon, streams: ClientStreams, options: ServeClientOptions): { closed: Promise<void> } {
  const log = daemon.log;
  const clientId = daemon.addClient();
  const writer = new StreamMessageWriter(streams.output);
  const reader = new GuardedMessageReader(streams.input, {
    maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    onBadInput: (problem) => answerBadInput(problem),
  });
  const connection: ProtocolConnection = createProtocolConnection(reader, writer);
  const methods = nhdMethods(daemon);
  const commands = nhdCommands(methods);
  /** Every request being served, aborted when the client leaves. */
  const active = new Set<AbortController>();
  /** Long requests by progress token, for window/workDoneProgress/cancel. */
  const byProgressToken = new Map<string | number, AbortController>();
  let initialized = false;
  let shutdown = false;
  let canCreateProgress = false;
  let closed = false;
  let scope: NhdInitializationOptions = {};
  const closeListeners: (() => void)[] = [];
  const client: ClientHandle = {
    id: clientId,
    get scope() {
      return scope;
    },
    notify: (type, params) => {
      if (!closed) connection.sendNotification(type.method, params).catch(() => {});
    },
    onClose: (listener) => {
      if (closed) listener();
      else closeListeners.push(listener);
    },
  };
  let resolveClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => (resolveClosed = resolve));

  function answerBadInput(problem: BadInput): void {
    log.log('warn', 'rpc.badInput', problem.message, { client: clientId, code: problem.code, fatal: problem.fatal });
    writer
      .write({ jsonrpc: '2.0', id: problem.id, error: { code: problem.code, message: problem.message } } as never)
      .catch(() => {})
      .finally(() => {
        if (problem.fatal) close();
      });
  }

  function close(): void {
    if (closed) return;
    closed = true;
    for (const controller of active) controller.abort();
    active.clear();
    byProgressToken.clear();
    if (statusListener) daemon.off('statusChanged', statusListener);
    if (broadcastListener) daemon.off('broadcast', broadcastListener);
    connection.dispose();
    streams.close();
    daemon.removeClient(clientId);
    for (const listener of closeListeners.splice(0)) {
      try {
        listener();
      } catch (error) {
        reportBug(log, 'a close listener failed', error);
      }
    }
    resolveClosed();
  }

  // Runs a handler under the guard every request shares: params checked, errors turned into
  // JSON-RPC errors with stable codes, bugs logged and confined to their request.
  async function run(method: string, h: MethodHandler, rawParams: unknown, token: CancellationToken): Promise<unknown> {
    if (!initialized) throw new ResponseError(RpcErrorCode.ServerNotInitialized, `Send initialize before ${method}.`);
    if (shutdown) throw new ResponseError(RpcErrorCode.InvalidRequest, `The connection is shutting down; ${method} was not run.`);
    if (daemon.isStopping) throw new ResponseError(ErrorCode.DaemonStopping, 'The daemon is stopping; reconnect to start a new one.');
    const params = readParams(h.read, rawParams);
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    const workDoneToken = h.long ? readParams(object({ workDoneToken: optional(progressToken) }), rawParams).workDoneToken : undefined;
    const progress = h.long ? new WorkDoneReporter(connection, workDoneToken, canCreateProgress, true) : silentProgress;
    active.add(controller);
    const key = progress instanceof WorkDoneReporter ? await progress.resolvedToken : undefined;
    if (key !== undefined) byProgressToken.set(key, controller);
    const started = performance.now();
    try {
      return await h.serve(params, { signal: controller.signal, progress, client });
    } catch (error) {
      throw toResponseError(method, error, controller.signal);
    } finally {
      cancel.dispose();
      if (key !== undefined) byProgressToken.delete(key);
      active.delete(controller);
      log.log('debug', 'rpc.recv', method, { client: clientId, ms: Math.round(performance.now() - started) });
    }
  }

  function toResponseError(method: string, error: unknown, signal: AbortSignal): ResponseError<unknown> {
    if (error instanceof ResponseError) return error;
    if (error instanceof NhdError) return new ResponseError(error.code, error.message, error.data);
    if (error instanceof CancelledError || signal.aborted) {
      return new ResponseError(RpcErrorCode.RequestCancelled, `${method} was cancelled.`);
    }
    reportBug(log, `${method} failed`, error);
    const message = messageOf(error);
    return new ResponseError(ErrorCode.Internal, `nhd failed on ${method}: ${message}. This is a bug; the log ${daemon.options.logFile} has details.`);
  }

  // Lifecycle.
  connection.onRequest(InitializeRequest.type, (params: InitializeParams): InitializeResult => {
    if (initialized) throw new ResponseError(RpcErrorCode.InvalidRequest, 'initialize was already sent on this connection.');
    initialized = true;
    canCreateProgress = params.capabilities?.window?.workDoneProgress === true;
    scope = readInitializationOptions(params.initializationOptions);
    daemon.describeClient(clientId, params.clientInfo?.name ?? 'unknown', params.clientInfo?.version);
    const nhd: NhdServerCapabilities = {
      protocolVersion: PROTOCOL_VERSION,
      daemonVersion: daemon.options.version,
      pid: process.pid,
      methods: [...methods.keys()],
    };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: false },
        completionProvider: { resolveProvider: false },
        hoverProvider: true,
        executeCommandProvider: { commands: [...commands.keys()] },
        experimental: { nhd },
      },
      serverInfo: { name: 'nhd', version: daemon.options.version },
    };
  });
  let statusListener: (() => void) | undefined;
  let broadcastListener: ((method: string, params: unknown) => void) | undefined;
  connection.onNotification(InitializedNotification.type, () => {
    statusListener = () => {
      if (!closed) connection.sendNotification(StatusDidChangeNotification.type, daemon.status()).catch(() => {});
    };
    broadcastListener = (method, params) => {
      if (!closed) connection.sendNotification(method, params).catch(() => {});
    };
    daemon.on('statusChanged', statusListener);
    daemon.on('broadcast', broadcastListener);
  });
  connection.onRequest(ShutdownRequest.type, () => {
    shutdown = true;
  });
  connection.onNotification(ExitNotification.type, () => {
    const wasShutdown = shutdown;
    close();
    options.onExit(wasShutdown);
  });

  // One handler for every nhd/ method: it sees params exactly as sent (absent ones included,
  // which per-method registration would turn into a missing argument or an error).
  (connection as unknown as MessageConnection).onRequest((method: string, params: unknown, token: CancellationToken) => {
    const h = methods.get(method);
    if (h === undefined) throw new ResponseError(RpcErrorCode.MethodNotFound, `Unhandled method ${method}.`);
    return run(method, h, params, token);
  });
  connection.onRequest(ExecuteCommandRequest.type, (params, token) => {
    const method = commands.get(params.command);
    if (method === undefined) {
      throw new ResponseError(RpcErrorCode.InvalidParams, `Unknown command ${JSON.stringify(params.command)}; the initialize result lists the commands.`);
    }
    const args = params.arguments ?? [];
    const first: unknown = args[0] ?? {};
    const withToken =
      params.workDoneToken !== undefined && typeof first === 'object' && first !== null && !Array.isArray(first)
        ? { ...first, workDoneToken: (first as { workDoneToken?: unknown }).workDoneToken ?? params.workDoneToken }
        : first;
    return run(method, methods.get(method)!, withToken, token);
  });
  connection.onNotification(WorkDoneProgressCancelNotification.type, (params) => byProgressToken.get(params.token)?.abort());

  // Terminal input and resize: client→server notifications, served beside the request tables.
  for (const [method, handle] of terminalNotifications(daemon)) {
    connection.onNotification(method, (params: unknown) => {
      if (initialized && !closed) handle(params, client);
    });
  }

  // Language features for dev config files.
  const documents = new TextDocuments(TextDocument);
  documents.listen(textDocumentConnection(connection));
  const publish = (document: TextDocument) => {
    if (!isDevConfigUri(document.uri)) return;
    try {
      const diagnostics = diagnoseConfigDocument(document.uri, document.getText()).map(toLspDiagnostic);
      void connection.sendNotification(PublishDiagnosticsNotification.type, { uri: document.uri, version: document.version, diagnostics });
    } catch (error) {
      reportBug(log, 'diagnostics failed', error);
    }
  };
  documents.onDidOpen((e) => publish(e.document));
  documents.onDidChangeContent((e) => publish(e.document));
  documents.onDidClose((e) => {
    if (isDevConfigUri(e.document.uri)) void connection.sendNotification(PublishDiagnosticsNotification.type, { uri: e.document.uri, diagnostics: [] });
  });
  connection.onRequest(CompletionRequest.type, (params): CompletionItem[] => {
    const document = documents.get(params.textDocument.uri);
    if (!document || !isDevConfigUri(document.uri)) return [];
    return completeConfig(document.getText(), params.position).map(toLspCompletion);
  });
  connection.onRequest(HoverRequest.type, (params): Hover | null => {
    const document = documents.get(params.textDocument.uri);
    if (!document || !isDevConfigUri(document.uri)) return null;
    const hover = hoverConfig(document.getText(), params.position);
    return hover ? toLspHover(hover) : null;
  });

  connection.onClose(() => close());
  connection.onError(([error]) => log.log('warn', 'rpc.error', error.message, { client: clientId }));
  streams.output.on('error', () => close());
  connection.listen();
  return { closed: closedPromise };
}

/** initializationOptions; anything malformed is ignored, not fatal. */
function readInitializationOptions(options: unknown): NhdInitializationOptions {
  const o = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  const scope: NhdInitializationOptions = {};
  if (typeof o['kubeconfig'] === 'string' && o['kubeconfig']) scope.kubeconfig = o['kubeconfig'];
  if (typeof o['context'] === 'string' && o['context']) scope.context = o['context'];
  if (typeof o['namespace'] === 'string' && o['namespace']) scope.namespace = o['namespace'];
  return scope;
}

type TextDocumentConnection = Parameters<TextDocuments<TextDocument>['listen']>[0];

/** TextDocuments wants a connection with these six hooks; a ProtocolConnection has them by method. */
function textDocumentConnection(connection: ProtocolConnection): TextDocumentConnection {
  return {
    onDidOpenTextDocument: (h) => connection.onNotification(DidOpenTextDocumentNotification.type, h),
    onDidChangeTextDocument: (h) => connection.onNotification(DidChangeTextDocumentNotification.type, h),
    onDidCloseTextDocument: (h) => connection.onNotification(DidCloseTextDocumentNotification.type, h),
    onWillSaveTextDocument: (h) => connection.onNotification(WillSaveTextDocumentNotification.type, h),
    onWillSaveTextDocumentWaitUntil: (h) => connection.onRequest(WillSaveTextDocumentWaitUntilRequest.type, h),
    onDidSaveTextDocument: (h) => connection.onNotification(DidSaveTextDocumentNotification.type, h),
  };
}
