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
