/**
 * Stable error codes carried in JSON-RPC error responses (`error.code`). They sit outside
 * JSON-RPC's reserved range (-32768 to -32000), grouped by area in blocks of a hundred, so a client
 * can branch on them; `error.message` is always a sentence a person can act on.
 *
 * The standard JSON-RPC codes are used as the specification says: -32700 parse error (invalid
 * JSON), -32600 invalid request (not a JSON-RPC message, or too large), -32601 method not found,
 * -32602 invalid params, -32800 request cancelled (LSP's RequestCancelled).
 */
export const ErrorCode = {
  /** A bug in nhd: the message says what failed; the daemon log has the stack. */
  Internal: 1000,
  /** The daemon is stopping and takes no new work; reconnect to get a new one. */
  DaemonStopping: 1001,

  /** The workload does not exist. */
  WorkloadNotFound: 1101,
  /** Someone else holds the workload in dev mode; the message names them and since when. */
  DevModeOwnedByOther: 1102,
  /** The dev pod failed (image pull, crash, unschedulable); the message carries the pod's reason. */
  DevPodFailed: 1103,
  /** The dev pod was not ready in time; the message says what it was waiting for. */
  DevPodTimeout: 1104,
  /** The Kubernetes API refused a call; the message carries its answer. */
  KubeApi: 1105,
  /** The Kubernetes API cannot be reached, or the kubeconfig cannot be used. */
  KubeUnreachable: 1106,
  /** The container named does not exist in the workload. */
  ContainerNotFound: 1107,
  /** No dev image is configured for the container. */
  DevImageMissing: 1108,
  /** A terminal, port-forward or stream id that this daemon does not hold. */
  UnknownHandle: 1109,
  /** The local port of a port-forward is in use. */
  PortInUse: 1110,
  /** The workload has no running pod to exec into, forward to or read logs from. */
  PodNotRunning: 1113,
  /** No application of that name is installed in the namespace. */
  AppNotFound: 1111,
  /** A manifest cannot be read or parsed; the message names the file and place. */
  ManifestInvalid: 1112,
  /** The workload is not in dev mode held by this daemon; the message says how to start it. */
  NotInDevMode: 1114,

  /** The dev config has no command to run; the message names the file and the key to set. */
  RunCommandMissing: 1301,

  /** File sync could not start or continue (the agent did not start, the first sync failed); the message says why. */
  SyncFailed: 1201,

  /** No debugger answered at the debug port in time; the message says where nhd looked and what to check. */
  DebuggerUnreachable: 1401,
  /** A debug attach request is missing what nhd needs (language, roots, a target); the message names the field. */
  DebugAttachInvalid: 1402,
  /** The debugger refused the attach request; the message carries its own words. */
  DebugAttachFailed: 1403,
  /**
   * The language's debugger does not speak DAP (node's inspector, Java's JDWP), so nhd's DAP proxy
   * cannot hold its session; `nhd/debug/start` (`nhd debug`) returns an attach configuration for the
   * IDE's own debugger instead.
   */
  DebugLanguageUnsupported: 1404,

  /** No dev config was found where it was looked for. */
  ConfigNotFound: 1501,
  /** The dev config has errors; `data` carries the diagnostics. */
  ConfigInvalid: 1502,
  /** A file the request names cannot be read. */
  FileNotReadable: 1503,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Standard JSON-RPC / LSP codes, named for readability. */
export const RpcErrorCode = {
  /** The body is not valid JSON, or the header is malformed (then the connection closes). */
  ParseError: -32700,
  /** Not a JSON-RPC 2.0 message, a batch, or larger than the daemon accepts. */
  InvalidRequest: -32600,
  /** No such method; the initialize result lists nhd's methods. */
  MethodNotFound: -32601,
  /** The params do not fit the method; the message names the field. */
  InvalidParams: -32602,
  /** An error inside JSON-RPC handling itself. */
  InternalError: -32603,
  /** LSP: a request other than `initialize` arrived before it. */
  ServerNotInitialized: -32002,
  /** The request was cancelled ($/cancelRequest, window/workDoneProgress/cancel). */
  RequestCancelled: -32800,
} as const;
