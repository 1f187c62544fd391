/**
 * What the daemon needs from the outside world, declared here and implemented in adapters/ (or,
 * for plain files, in the composition root). server/ codes against these and never imports a
 * Kubernetes, file-watching or DAP library.
 */

/** Log entries are tagged by where they come from, so a log can be filtered by area. */
export type LogTag =
  | 'daemon'
  | 'rpc.recv'
  | 'rpc.send'
  | 'rpc.error'
  | 'rpc.badInput'
  | 'client'
  | 'config'
  | 'kube'
  | 'dev'
  | 'sync'
  | 'terminal'
  | 'portForward'
  | 'logs'
  | 'run'
  | 'dap'
  | 'bug';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The daemon's log. Entries go to a file in the state directory, never to stdout, which may be
 * the protocol's transport. Never pass credentials (tokens, kubeconfig contents) in `data`.
 */
export interface Logger {
  log(level: LogLevel, tag: LogTag, message: string, data?: Record<string, unknown>): void;
}

/** A Logger that drops everything, for tests that do not read the log. */
export const nullLogger: Logger = { log() {} };

/**
 * A Kubernetes object as the API returns it, as plain JSON. server/ reads and writes these
 * structurally; it never sees @kubernetes/client-node's classes.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [key: string]: unknown;
}

/** A kind of object: `{ apiVersion: 'apps/v1', kind: 'Deployment' }`. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
}

/** The kubeconfig as kubectl reads it (KUBECONFIG with several files, contexts, namespaces). */
export interface KubeConfigView {
  files: string[];
  currentContext: string;
  contexts: { name: string; cluster: string; user: string; namespace?: string }[];
}

/** An error from the Kubernetes API, with its HTTP status and reason (NotFound, Conflict, ...). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/**
 * The Cluster port's other failure: the request never reached the API server (connection refused,
 * DNS, TLS, a broken stream) or the kubeconfig leads to no cluster (unreadable, no such context).
 * The message names the server or the file and the cause.
 */
export class KubeUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeUnreachableError';
  }
}

/** A watch event. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Streams of a process started with exec. */
export interface ExecStreams {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  tty: boolean;
  /** Initial TTY size. */
  size?: { cols: number; rows: number };
}

/** A process running in a container. */
export interface ExecProcess {
  /** Resolves with the exit code; null when the stream broke without a status. */
  readonly exited: Promise<number | null>;
  resize(cols: number, rows: number): void;
  /** Closes the exec stream (the process gets SIGHUP through its TTY, or loses its stdin). */
  close(): void;
}

/**
 * What nhd needs from Kubernetes; implemented by adapters/kube on @kubernetes/client-node. Every
 * call names its kubeconfig context; namespaced calls name the namespace. Errors from the API are
 * KubeApiError; network errors are plain Errors with a message naming the server.
 */
export interface Cluster {
  /** Reads the kubeconfig now (it may change between calls). */
  config(): KubeConfigView;
  /** The namespace a context uses when none is given ("default" when it sets none). */
  defaultNamespace(context: string): string;
  namespaces(context: string): Promise<string[]>;
  /** One object, or undefined when it does not exist. */
  get(context: string, namespace: string, type: ResourceType, name: string): Promise<KubeObject | undefined>;
  list(context: string, namespace: string, type: ResourceType, labelSelector?: string): Promise<KubeObject[]>;
  create(context: string, object: KubeObject): Promise<KubeObject>;
  /** PUT; fails with a 409 KubeApiError when metadata.resourceVersion is stale. */
  replace(context: string, object: KubeObject): Promise<KubeObject>;
  /** JSON merge patch (RFC 7386). */
  mergePatch(context: string, namespace: string, type: ResourceType, name: string, patch: object): Promise<KubeObject>;
  /** A patch of any of Kubernetes' three types, computed by the API server (strategic merge knows each list's merge key). */
  patch(context: string, namespace: string, type: ResourceType, name: string, patch: unknown, patchType: 'strategic' | 'merge' | 'json'): Promise<KubeObject>;
  /** Deletes; false when it did not exist. Background propagation unless told otherwise. */
  delete(
    context: string,
    namespace: string,
    type: ResourceType,
    name: string,
    options?: { propagation?: 'Foreground' | 'Background' | 'Orphan'; gracePeriodSeconds?: number },
  ): Promise<boolean>;
  /** Server-side apply with the field manager; `force` takes over conflicting fields. */
  apply(context: string, object: KubeObject, fieldManager: string, force: boolean): Promise<KubeObject>;
  /**
   * Lists, then watches, calling `onEvent` for every change; after a dropped watch it re-lists and
   * resumes, so no change is lost. Resolves once the first list was delivered; stops on `signal`.
   */
  watch(
    context: string,
    namespace: string,
    type: ResourceType,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    signal: AbortSignal,
    labelSelector?: string,
  ): Promise<void>;
  /** Starts a command in a container through the API server (`kubectl exec`). */
  exec(context: string, namespace: string, pod: string, container: string, command: string[], streams: ExecStreams): Promise<ExecProcess>;
  /**
   * Forwards one connection to a pod's port through the API server (`kubectl port-forward`);
   * resolves when either side closes.
   */
  portForward(context: string, namespace: string, pod: string, port: number, connection: import('node:stream').Duplex): Promise<void>;
  /** Streams a container's log into `out`; resolves when it ends (or on `signal` with follow). */
  logs(
    context: string,
    namespace: string,
    pod: string,
    container: string,
    options: { follow: boolean; tailLines?: number },
    out: NodeJS.WritableStream,
    signal: AbortSignal,
  ): Promise<void>;
}

/** One entry of a tree's index: a path relative to the sync root, with `/` separators. */
export interface IndexEntry {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Bytes (files); 0 otherwise. */
  size: number;
  /** Modification time, milliseconds since the epoch (integer). */
  mtimeMs: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  /** A symlink's target, as stored (never followed). */
  target?: string;
  /** sha256 hex of the content, when it was asked for. */
  hash?: string;
}

/**
 * A write's or delete's precondition (two-way sync): the path must still be what the sender last saw there
 * (kind, size, whole-millisecond mtime), or absent when `null`; otherwise the op fails with code `changed`
 * and nothing is touched, so an edit made on the far side meanwhile is never overwritten.
 */
export type IfUnchanged = { kind: IndexEntry['kind']; size: number; mtimeMs: number } | null;

/** One change the sync agent applies under its root. Paths are relative, `/`-separated. */
export type SyncOp =
  | {
      op: 'write';
      path: string;
      mode: number;
      mtimeMs: number;
      size: number;
      /** The content as a stream (large files, content from the other agent). */
      open: () => NodeJS.ReadableStream;
      /** The whole content at once, when that is cheaper (small local files): the link reads ahead with it. */
      read?: () => Promise<Buffer>;
      ifUnchanged?: IfUnchanged;
    }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'delete'; path: string; ifUnchanged?: IfUnchanged }
  | { op: 'rename'; from: string; to: string }
  | { op: 'chmod'; path: string; mode: number };

export interface SyncOpError {
  path: string;
  /** `path-escape`, `not-found`, `changed` (an ifUnchanged precondition failed), `io`, ... */
  code: string;
  message: string;
}

export interface BatchResult {
  /** Ops applied. */
  applied: number;
  /** Content bytes written. */
  bytes: number;
  /** Ops refused or failed; the others were applied. */
  errors: SyncOpError[];
}

/**
 * The sync agent, seen from the daemon: a process with a root directory it owns (in the sidecar,
 * or a local process in tests), reached over one byte stream. Implemented in adapters/agent.
 */
export interface AgentLink {
  /** The agent's root, as the agent sees it. */
  readonly root: string;
  /** Every entry under the root, hashes included when asked (for the files listed, or all). */
  index(options?: { hash?: boolean | string[] }): Promise<IndexEntry[]>;
  /** Applies ops in order; each write is atomic (temp file + rename) and keeps its mode and mtime. */
  apply(ops: SyncOp[]): Promise<BatchResult>;
  /** Streams a file's content from the agent's side (two-way sync). */
  read(path: string): Promise<NodeJS.ReadableStream>;
  /** Changes the agent saw under its root (two-way sync), as paths; starts watching on first use. */
  onRemoteChange(listener: (paths: string[]) => void): void;
  /** Resolves when the link is gone (agent exited, stream broke, close()). */
  readonly closed: Promise<{ reason: string }>;
  close(): void;
}

/** Where a sync agent runs: the sidecar of a dev pod. */
export interface AgentTarget {
  context: string;
  namespace: string;
  pod: string;
  container: string;
}

/** Starts the sync agent in a container with `root` as its root and connects to it (adapters/agent). */
export type AgentLauncher = (cluster: Cluster, target: AgentTarget, root: string) => Promise<AgentLink>;

/** A change under a watched root, path relative with `/` separators. */
export interface WatchEvent {
  kind: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';
  path: string;
}

/**
 * Watches a local tree (implemented by adapters/watch: DirectoryWatcher on fs.watch, one inotify
 * watch per directory). Events come in batches as
 * they arrive; `onOverflow` says events may have been lost (queue overflow, a burst), and the
 * caller re-reads the tree instead of trusting the events.
 */
export interface FileWatcher {
  /**
   * Checked before watching a tree of this many directories: a message when it comes close to an OS
   * limit (inotify watches), which would make the watcher miss changes silently.
   */
  capacityWarning?(directories: number): string | undefined;
  watch(
    root: string,
    options: { ignored: (relativePath: string, isDirectory: boolean) => boolean },
    onEvents: (events: WatchEvent[]) => void,
    onOverflow: (reason: string) => void,
  ): Promise<{ close(): Promise<void> }>;
}

/**
 * One Debug Adapter Protocol message as plain JSON. server/debug reads and rewrites these
 * structurally (server/debug/pathMapping.ts names the fields it rewrites); the DAP libraries stay in
 * adapters/dap.
 */
export interface DapMessage {
  seq: number;
  type: 'request' | 'response' | 'event';
  [key: string]: unknown;
}

/**
 * A connection that carries DAP messages: the IDE's session (stdio, a socket) or a debugger's
 * server (TCP). Implemented by adapters/dap, which owns the framing.
 */
export interface DapChannel {
  /**
   * Sends a message and returns the `seq` the channel gave it. Every channel numbers what it sends
   * itself, 1, 2, 3, ..., so what the IDE receives stays monotonic whichever debugger it came from.
   */
  send(message: { type: DapMessage['type']; [key: string]: unknown }): number;
  /** Messages as they arrive, in order. One listener. */
  onMessage(listener: (message: DapMessage) => void): void;
  /** Resolves once, when the channel is gone (peer closed, stream error, close()). */
  readonly closed: Promise<{ reason: string }>;
  close(): void;
}

/** Where a debugger's DAP server listens, as reachable from the daemon (a port-forward's local end). */
export interface DebugEndpoint {
  host: string;
  port: number;
}

/** Opens one TCP connection to a DAP server; rejects when nothing accepts it (adapters/dap). */
export type DapConnector = (endpoint: DebugEndpoint, signal: AbortSignal) => Promise<DapChannel>;

/** The debuggers the proxy speaks to: delve (`dlv --headless`) and debugpy. */
export type DebugLanguage = 'go' | 'python';

/**
 * The attach request's arguments as the IDE sends them to nhd: nhd's own fields, and anything
 * else, which goes to the debugger unchanged (justMyCode, showGlobalVariables, ...).
 */
export interface DebugAttachArguments {
  /** `go` (delve) or `python` (debugpy); a provider may infer it from the dev config. */
  language?: DebugLanguage;
  /** `deployment/authors`; phase 2's provider ensures dev mode for it. */
  workload?: string;
  namespace?: string;
  container?: string;
  /** The source root on this machine; defaults to the dev session's local dir. */
  localRoot?: string;
  /** The same tree in the container; defaults to the dev container's workDir. */
  remoteRoot?: string;
  /** A debugger already reachable at host:port (the direct provider). */
  host?: string;
  port?: number;
  [key: string]: unknown;
}

/** What a provider tells the person attaching while it works (DAP progress events, or output). */
export interface DebugProgress {
  report(message: string): void;
}

/**
 * A debugger made reachable for one IDE session, with the roots that map its paths. Returned by
 * DebugTargetProvider.prepare; the proxy calls dispose() when the IDE's session ends.
 */
export interface DebugTarget {
  readonly endpoint: DebugEndpoint;
  readonly language: DebugLanguage;
  /** Absolute, on this machine (the IDE's paths). */
  readonly localRoot: string;
  /** Absolute, where the debugger runs (the paths in its binaries and frames). */
  readonly remoteRoot: string;
  /** How long to wait for a debugger to answer at an endpoint, first attach and reconnects; ms. */
  readonly readyTimeoutMs?: number;
  /**
   * Called when the connection to the debugger was lost (or the debuggee ended) while the IDE's
   * session is open. Resolves with where the debugger that replaces it listens (after a hot reload;
   * the same endpoint is fine), or undefined when the debuggee is gone for good and the session
   * ends. `signal` fires when the IDE leaves first.
   */
  restarted(signal: AbortSignal): Promise<DebugEndpoint | undefined>;
  /**
   * Optional: tells the proxy that the debuggee is being restarted before its connection drops
   * (the run service knows first on a hot reload), so the proxy leaves the old debugger at once.
   */
  onRestarting?(listener: () => void): { dispose(): void };
  /**
   * Optional: why the debugger at the endpoint will not answer any more (it exited by itself, e.g.
   * a save broke the build), checked while the proxy waits for it; the proxy then stops waiting and
   * asks `restarted` again instead of waiting out readyTimeoutMs.
   */
  exited?(): string | undefined;
  /** Releases what prepare set up (port-forward, ...). */
  dispose(): Promise<void>;
}

/**
 * Turns an IDE's attach request into a reachable debugger: phase 2's provider ensures dev mode
 * and sync, starts command.debug and port-forwards debug.remoteDebugPort; the direct provider
 * (server/debug/directTargetProvider.ts) uses host and port as given. Errors that a person can
 * act on are NhdError; their message reaches the IDE as the attach request's error.
 */
export interface DebugTargetProvider {
  prepare(args: DebugAttachArguments, progress: DebugProgress, signal: AbortSignal): Promise<DebugTarget>;
}

/** Shared by adapters as by server/: the message of anything thrown. */
export { messageOf } from './errors';
