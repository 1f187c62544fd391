// server/terminal owns interactive terminals in a workload's container (exec with a TTY, input,
// resize, exit), each owned by the client that opened it, and podTarget.ts: which pod and container
// a workload-level request means (the dev container while in dev mode), shared with server/logs.
//
// Architecture Invariant: a terminal's output and input belong to its client alone; it reaches
// containers only through the Cluster port's exec.

export { DEFAULT_SHELL, TerminalService, type TerminalClient } from './terminalService';
export { resolvePodTarget } from './podTarget';
