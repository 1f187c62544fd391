import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import {
  ErrorCode,
  type TerminalExitParams,
  type TerminalOpenParams,
  type TerminalOpenResult,
  type TerminalOutputParams,
  type WorkloadRef,
} from '../../protocol';
import { NhdError } from '../errors';
import { kubeCallAsync, type Scope } from '../kubeScope';
import type { ExecProcess, Logger } from '../ports';
import { ANNOTATION, readJsonAnnotation, type DevInfo } from '../devMode/annotations';
import { resolvePodTarget, type PodTarget } from './podTarget';

/**
 * The shell a terminal runs when no command is given: zsh, else bash, else sh, whichever the
 * image has (dev images differ, and a missing shell must not make the terminal fail).
 */
export const DEFAULT_SHELL = ['/bin/sh', '-c', 'if command -v zsh >/dev/null 2>&1; then exec zsh; elif command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'];

/**
 * The dev config's `dev.shell` (a name or a path, passed as an argument, never spliced into the
 * script); when the dev image lacks it, the terminal says so and starts sh rather than failing.
 */
export function configuredShell(shell: string): string[] {
  return ['/bin/sh', '-c', 'if command -v "$1" >/dev/null 2>&1; then exec "$1"; fi; echo "nhd: dev.shell $1 is not in the dev image; starting sh" >&2; exec sh', 'nhd-shell', shell];
}

/** What a terminal runs when no command is given: the dev container's `dev.shell`, else DEFAULT_SHELL. */
function shellFor(target: PodTarget): string[] {
  const info = readJsonAnnotation<DevInfo>(target.workload.metadata.annotations, ANNOTATION.dev);
  return info?.shell && info.container === target.container ? configuredShell(info.shell) : DEFAULT_SHELL;
}

/** The client a terminal belongs to: it alone gets the output and may send input. */
export interface TerminalClient {
  readonly id: number;
  output(params: TerminalOutputParams): void;
  exit(params: TerminalExitParams): void;
  /** Runs when the client leaves; its terminals end then. */
  onClose(listener: () => void): void;
}

export type TerminalOpenRequest = Omit<TerminalOpenParams, keyof WorkloadRef> & { ref: WorkloadRef };

interface Terminal {
  id: string;
  owner: TerminalClient;
  process: ExecProcess;
  stdin: PassThrough;
  /** Output held back until the open response went out, so clients never see an unknown id. */
  pending: TerminalOutputParams[] | undefined;
}

/**
 * Terminals: processes started with exec in a workload's pod, each owned by the client that opened
 * it. Output is pushed to that client as it comes; the exit follows the last output.
 */
export class TerminalService {
  private readonly terminals = new Map<string, Terminal>();
  /** Clients whose leaving is watched already (one listener per client, not per terminal). */
  private readonly watchedClients = new Set<number>();

  constructor(private readonly log: Logger) {}

  async open(scope: Scope, request: TerminalOpenRequest, owner: TerminalClient): Promise<TerminalOpenResult> {
    const { ref } = request;
    const target = await resolvePodTarget(scope, ref, request.container);
    const command = request.command ?? shellFor(target);
    const tty = request.tty ?? request.command === undefined;
    const id = `term-${randomBytes(4).toString('hex')}`;
    const stdin = new PassThrough();
    const pending: TerminalOutputParams[] = [];
    let terminal: Terminal | undefined;
    const sink = (stream: TerminalOutputParams['stream']) =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          const params = { terminalId: id, stream, data: Buffer.from(chunk).toString('base64') };
          if (terminal && terminal.pending === undefined) owner.output(params);
          else (terminal?.pending ?? pending).push(params);
          done();
        },
      });
    const process = await kubeCallAsync(() =>
      scope.cluster.exec(scope.context, scope.namespace, target.pod, target.container, command, {
        stdin,
        stdout: sink('stdout'),
        stderr: sink('stderr'),
        tty,
        size: { cols: request.cols ?? 80, rows: request.rows ?? 24 },
      }),
    );
    terminal = { id, owner, process, stdin, pending };
    this.terminals.set(id, terminal);
    this.log.log('info', 'terminal', 'terminal opened', { terminal: id, client: owner.id, pod: target.pod, container: target.container, tty });
    this.endWhenClientLeaves(owner);
    void process.exited.then((exitCode) => this.exited(id, exitCode));
    // The response to open is queued before the next turn; output held until then follows it.
    setImmediate(() => this.flush(id));
    return { terminalId: id, pod: target.pod, container: target.container };
  }

  /** Writes to a terminal's stdin; `eof` closes it (so `cat` ends). Ignored for other clients' terminals. */
  input(terminalId: string, data: Buffer, eof: boolean, client: TerminalClient): void {
    const terminal = this.owned(terminalId, client);
    if (!terminal || terminal.stdin.writableEnded) return;
    if (data.length > 0) terminal.stdin.write(data);
    if (eof) terminal.stdin.end();
  }

  resize(terminalId: string, cols: number, rows: number, client: TerminalClient): void {
    this.owned(terminalId, client)?.process.resize(cols, rows);
  }

  /** Ends a terminal's process; its exit notification follows. */
  close(terminalId: string, client: TerminalClient): void {
    if (!this.owned(terminalId, client)) {
      throw new NhdError(ErrorCode.UnknownHandle, `No terminal ${terminalId} is open on this connection; it may have exited already.`);
    }
    this.end(terminalId);
  }

  /** Ends every terminal (the daemon is stopping). */
  dispose(): void {
    for (const id of [...this.terminals.keys()]) this.end(id);
  }

  /** Terminals open now, for status and idle detection. */
  count(): number {
    return this.terminals.size;
  }

  private endWhenClientLeaves(owner: TerminalClient): void {
    if (this.watchedClients.has(owner.id)) return;
    this.watchedClients.add(owner.id);
    owner.onClose(() => {
      this.watchedClients.delete(owner.id);
      for (const terminal of [...this.terminals.values()]) if (terminal.owner.id === owner.id) this.end(terminal.id);
    });
  }

  private owned(terminalId: string, client: TerminalClient): Terminal | undefined {
    const terminal = this.terminals.get(terminalId);
    return terminal && terminal.owner.id === client.id ? terminal : undefined;
  }

  private flush(id: string): void {
    const terminal = this.terminals.get(id);
    if (!terminal?.pending) return;
    const held = terminal.pending;
    terminal.pending = undefined;
    for (const params of held) terminal.owner.output(params);
  }

  private end(id: string): void {
    const terminal = this.terminals.get(id);
    if (!terminal) return;
    terminal.stdin.end();
    terminal.process.close();
  }

  private exited(id: string, exitCode: number | null): void {
    const terminal = this.terminals.get(id);
    if (!terminal) return;
    // Output still held (a command that ended within the open's turn) goes out before the exit.
    setImmediate(() => {
      this.flush(id);
      this.terminals.delete(id);
      const params: TerminalExitParams = { terminalId: id, exitCode };
      if (exitCode === null) params.message = 'The terminal ended without an exit status (closed, or the connection to the pod broke).';
      terminal.owner.exit(params);
      this.log.log('info', 'terminal', 'terminal exited', { terminal: id, exitCode });
    });
  }
}
