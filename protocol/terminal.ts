import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { WorkloadRef } from './workloads';

/** Parameters of `nhd/terminal/open`. */
export interface TerminalOpenParams extends WorkloadRef {
  /** The container (default: the dev session's, else the workload's first). */
  container?: string;
  /** The command to run; default an interactive shell (the config's, else zsh, bash or sh). */
  command?: string[];
  /** Allocate a TTY (default true without a command, false with one). */
  tty?: boolean;
  cols?: number;
  rows?: number;
}

export interface TerminalOpenResult {
  terminalId: string;
  pod: string;
  container: string;
}

/**
 * Runs a command or a shell in the workload's pod through the API server (`kubectl exec`).
 * Output arrives as `nhd/terminal/output`, the end as `nhd/terminal/exit`; input goes in with
 * `nhd/terminal/input`.
 */
export namespace TerminalOpenRequest {
  export const method = 'nhd/terminal/open' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<TerminalOpenParams, TerminalOpenResult, void>(method);
}

export interface TerminalInputParams {
  terminalId: string;
  /** Bytes for the process's stdin, base64. */
  data: string;
  /** Close stdin after this input. */
  eof?: boolean;
}

/** Sends input to a terminal's process. */
export namespace TerminalInputNotification {
  export const method = 'nhd/terminal/input' as const;
  export const direction = 'clientToServer' as const;
  export const type = new NotificationType<TerminalInputParams>(method);
}

export interface TerminalResizeParams {
  terminalId: string;
  cols: number;
  rows: number;
}

/** Resizes a terminal's TTY. */
export namespace TerminalResizeNotification {
  export const method = 'nhd/terminal/resize' as const;
  export const direction = 'clientToServer' as const;
  export const type = new NotificationType<TerminalResizeParams>(method);
}

export interface TerminalCloseParams {
  terminalId: string;
}

/** Ends a terminal's process. */
export namespace TerminalCloseRequest {
  export const method = 'nhd/terminal/close' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<TerminalCloseParams, null, void>(method);
}

export interface TerminalOutputParams {
  terminalId: string;
  stream: 'stdout' | 'stderr';
  /** Bytes, base64 (a TTY's output is not always valid UTF-8 at chunk boundaries). */
  data: string;
}

/** Output of a terminal's process, to the client that opened it. */
export namespace TerminalOutputNotification {
  export const method = 'nhd/terminal/output' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<TerminalOutputParams>(method);
}

export interface TerminalExitParams {
  terminalId: string;
  /** The process's exit code; null when it was killed or the connection broke. */
  exitCode: number | null;
  /** Why, when not a plain exit. */
  message?: string;
}

/** The terminal's process ended. */
export namespace TerminalExitNotification {
  export const method = 'nhd/terminal/exit' as const;
  export const direction = 'serverToClient' as const;
  export const type = new NotificationType<TerminalExitParams>(method);
}
