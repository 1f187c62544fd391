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
