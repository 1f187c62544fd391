import type { Readable, Writable } from 'node:stream';
import {
  CancellationToken,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
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
  type InitializeResult,
  type Logger as RpcLogger,
  type MessageConnection,
  type ProtocolConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ErrorCode, PROTOCOL_VERSION, RpcErrorCode, type ClusterScope, type NhdInitializationOptions, type NhdServerCapabilities } from '../../protocol';
import { reportBug } from '../bug';
import { diagnoseConfigDocument, isDevConfigUri } from '../configService';
import type { Daemon, DaemonEvent } from '../daemon';
import { CancelledError, NhdError, messageOf } from '../errors';
import { resolveScope } from '../kubeScope';
import type { Logger } from '../ports';
import { GuardedMessageReader, type BadInput } from './framing';
import { byMethod, readNotificationParams, type ClientHandle, type Method, type RequestContext } from './handler';
import { documentNotificationParams, languageMethods, preferredFormat, type DocumentationFormats } from './languageMethods';
import { nhdCommands, nhdMethods } from './methods';
import { terminalNotifications } from './streamMethods';
import { arrayOf, boolean, object, optional, progressToken, readParams, shortString, string, type Reader } from './params';
import { WorkDoneReporter, silentProgress } from './progress';
import { sendEvent } from './toNotification';
import { toLspDiagnostic } from './toWire';

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
  // vscode-jsonrpc's own complaints (a handler that threw, a notification it could not take) go to
  // the log: a notification is never answered, so the log is the only place they can show.
  const rpcLog: RpcLogger = {
    error: (message) => log.log('warn', 'rpc.error', message, { client: clientId }),
    warn: (message) => log.log('warn', 'rpc.error', message, { client: clientId }),
    info: (message) => log.log('debug', 'rpc.error', message, { client: clientId }),
    log: (message) => log.log('debug', 'rpc.error', message, { client: clientId }),
  };
  const connection: ProtocolConnection = createProtocolConnection(reader, writer, rpcLog);
  const methods = nhdMethods(daemon);
  const commands = nhdCommands(methods);
  /** The dev config files the client has open, for diagnostics, completion and hover. */
  const documents = new TextDocuments(TextDocument);
  let formats: DocumentationFormats = { hover: 'plaintext', completion: 'plaintext' };
  const languageFeatures = byMethod(languageMethods(documents, () => formats));
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
    log.log('warn', 'rpc.badInput', problem.message, { client: clientId, code: problem.code, fatal: problem.fatal, answered: problem.answer });
    // JSON-RPC: a notification (or a response) is never answered, not even with an error.
    if (!problem.answer) return;
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
    if (eventListener) daemon.off('event', eventListener);
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

  // Where a request works, resolved from the client's scope (see kubeScope.ts).
  const cluster = () => daemon.clusterFor(client.scope.kubeconfig);
  const scopeOf = (params: ClusterScope, defaults?: ClusterScope) =>
    resolveScope((kubeconfig) => daemon.clusterFor(kubeconfig), defaults ? { ...client.scope, ...defaults } : client.scope, params);

  // Runs a method under the guard every request shares (nhd/ methods, commands, completion and
  // hover): params checked, errors turned into JSON-RPC errors with stable codes, bugs logged and
  // confined to their request.
  async function run(entry: Method, rawParams: unknown, token: CancellationToken): Promise<unknown> {
    const { method } = entry;
    if (!initialized) throw new ResponseError(RpcErrorCode.ServerNotInitialized, `Send initialize before ${method}.`);
    if (shutdown) throw new ResponseError(RpcErrorCode.InvalidRequest, `The connection is shutting down; ${method} was not run.`);
    if (daemon.isStopping) throw new ResponseError(ErrorCode.DaemonStopping, 'The daemon is stopping; reconnect to start a new one.');
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    let key: string | number | undefined;
    const started = performance.now();
    try {
      // Reading params is inside the guard too: a reader that throws anything but InvalidParams is a bug.
      const serve = entry.bind(rawParams);
      const workDoneToken = entry.long ? readParams(object({ workDoneToken: optional(progressToken) }), rawParams).workDoneToken : undefined;
      const progress = entry.long ? new WorkDoneReporter(connection, workDoneToken, canCreateProgress, true) : silentProgress;
      active.add(controller);
      key = progress instanceof WorkDoneReporter ? await progress.resolvedToken : undefined;
      if (key !== undefined) byProgressToken.set(key, controller);
      const context: RequestContext = { signal: controller.signal, progress, client, cluster, scope: scopeOf };
      return await serve(context);
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
  connection.onRequest(InitializeRequest.type, (rawParams: unknown): InitializeResult => {
    if (initialized) throw new ResponseError(RpcErrorCode.InvalidRequest, 'initialize was already sent on this connection.');
    // Read like any method's params: the client's name is shown to every other client in nhd/status.
    const params = readParams(initializeParams, rawParams);
    initialized = true;
    canCreateProgress = params.capabilities.window?.workDoneProgress === true;
    formats = {
      hover: preferredFormat(params.capabilities.textDocument?.hover?.contentFormat),
      completion: preferredFormat(params.capabilities.textDocument?.completion?.completionItem?.documentationFormat),
    };
    scope = initializationScope(params.initializationOptions);
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
  // What the daemon pushes to every client, from `initialized` on.
  let eventListener: ((event: DaemonEvent) => void) | undefined;
  connection.onNotification(InitializedNotification.type, () => {
    eventListener = (event) => sendEvent(event, client.notify, () => daemon.status());
    daemon.on('event', eventListener);
  });
  connection.onRequest(ShutdownRequest.type, () => {
    shutdown = true;
  });
  // LSP's exit: this connection ends (the whole process for a stdio daemon, see onExit), with
  // code 0 after shutdown and 1 without.
  connection.onNotification(ExitNotification.type, () => {
    const wasShutdown = shutdown;
    log.log('info', 'client', 'exit received', { client: clientId, shutdown: wasShutdown });
    close();
    options.onExit(wasShutdown);
  });

  // One handler for every nhd/ method and language feature: it sees params exactly as sent (absent
  // ones included, which per-method registration would turn into a missing argument or an error).
  (connection as unknown as MessageConnection).onRequest((method: string, params: unknown, token: CancellationToken) => {
    const entry = methods.get(method) ?? languageFeatures.get(method);
    if (entry === undefined) throw new ResponseError(RpcErrorCode.MethodNotFound, `Unhandled method ${method}.`);
    return run(entry, params, token);
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
    return run(methods.get(method)!, withToken, token);
  });
  connection.onNotification(WorkDoneProgressCancelNotification.type, (params) => byProgressToken.get(params.token)?.abort());

  // Terminal input and resize: client→server notifications, served beside the request tables.
  for (const notification of terminalNotifications(daemon.services, log)) {
    connection.onNotification(notification.method, (params: unknown) => {
      if (initialized && !closed) notification.handle(params, client);
    });
  }

  // Language features for dev config files: diagnostics pushed here, completion and hover served
  // through run.
  documents.listen(textDocumentConnection(connection, log, clientId));
  const publish = (document: TextDocument) => {
    if (!isDevConfigUri(document.uri)) return;
    try {
      const diagnostics = diagnoseConfigDocument(document.uri, document.getText()).map(toLspDiagnostic);
      void connection.sendNotification(PublishDiagnosticsNotification.type, { uri: document.uri, version: document.version, diagnostics });
    } catch (error) {
      reportBug(log, 'diagnostics failed', error);
    }
  };
  // TextDocuments fires onDidChangeContent on open as well as on change: one publish per version.
  documents.onDidChangeContent((e) => publish(e.document));
  documents.onDidClose((e) => {
    if (isDevConfigUri(e.document.uri)) void connection.sendNotification(PublishDiagnosticsNotification.type, { uri: e.document.uri, diagnostics: [] });
  });

  connection.onClose(() => close());
  connection.onError(([error]) => log.log('warn', 'rpc.error', error.message, { client: clientId }));
  streams.output.on('error', () => close());
  connection.listen();
  return { closed: closedPromise };
}

/** Longest clientInfo name or version: each is stored and shown in every client's nhd/status. */
const MAX_CLIENT_INFO = 256;

/** The parts of InitializeParams that nhd reads; the rest of LSP's capabilities is ignored. */
const initializeParams = object({
  clientInfo: optional(object({ name: shortString(MAX_CLIENT_INFO), version: optional(shortString(MAX_CLIENT_INFO)) })),
  capabilities: object({
    window: optional(object({ workDoneProgress: optional(boolean) })),
    textDocument: optional(
      object({
        hover: optional(object({ contentFormat: optional(arrayOf(string)) })),
        completion: optional(object({ completionItem: optional(object({ documentationFormat: optional(arrayOf(string)) })) })),
      }),
    ),
  }),
  initializationOptions: optional(object({ kubeconfig: optional(string), context: optional(string), namespace: optional(string) })),
});

/** The client's scope; an empty string (LSP4IJ's template has them) means "not set". */
function initializationScope(options: { kubeconfig?: string; context?: string; namespace?: string } | undefined): NhdInitializationOptions {
  const scope: NhdInitializationOptions = {};
  if (options?.kubeconfig) scope.kubeconfig = options.kubeconfig;
  if (options?.context) scope.context = options.context;
  if (options?.namespace) scope.namespace = options.namespace;
  return scope;
}

type TextDocumentConnection = Parameters<TextDocuments<TextDocument>['listen']>[0];

/**
 * TextDocuments wants a connection with these six hooks; a ProtocolConnection has them by method.
 * Each notification's params are read first (TextDocuments would throw on a missing field), and
 * what is refused is logged, never answered.
 */
function textDocumentConnection(connection: ProtocolConnection, log: Logger, clientId: number): TextDocumentConnection {
  const checked =
    <P>(method: string, read: Reader<P>, handler: (params: P) => void) =>
    (raw: unknown) => {
      const params = readNotificationParams(log, method, read, raw, clientId);
      if (params !== undefined) handler(params);
    };
  const { didOpen, didChange, willSave, documentOnly } = documentNotificationParams;
  return {
    onDidOpenTextDocument: (h) => connection.onNotification(DidOpenTextDocumentNotification.method, checked(DidOpenTextDocumentNotification.method, didOpen, h)),
    onDidChangeTextDocument: (h) => connection.onNotification(DidChangeTextDocumentNotification.method, checked(DidChangeTextDocumentNotification.method, didChange, h)),
    onDidCloseTextDocument: (h) => connection.onNotification(DidCloseTextDocumentNotification.method, checked(DidCloseTextDocumentNotification.method, documentOnly, h)),
    onWillSaveTextDocument: (h) => connection.onNotification(WillSaveTextDocumentNotification.method, checked(WillSaveTextDocumentNotification.method, willSave, h)),
    // nhd does not offer willSaveWaitUntil; a client that sends it anyway is answered with no edits.
    onWillSaveTextDocumentWaitUntil: () => connection.onRequest(WillSaveTextDocumentWaitUntilRequest.type, () => []),
    onDidSaveTextDocument: (h) => connection.onNotification(DidSaveTextDocumentNotification.method, checked(DidSaveTextDocumentNotification.method, documentOnly, h)),
  };
}
