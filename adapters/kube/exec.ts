/**
 * exec through client-node's Exec (a websocket speaking the v5/v4 channel protocol). The caller's
 * streams sit behind small relays so that client-node never ends them, never keeps listeners on
 * them after the process is gone, and so that a TTY can be resized: client-node sends the size of
 * a "resizable" stdout (rows, columns, 'resize' events) through its TerminalSizeQueue.
 */
import { Writable, PassThrough } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { ExecProcess, ExecStreams } from '../../server/ports';

/** Exit code from the Status sent on the error channel: Success → 0, NonZeroExitCode → its ExitCode. */
export function exitCodeOf(status: V1Status | undefined | null): number | null {
  if (!status) return null;
  if (status.status === 'Success') return 0;
  const causes = status.details?.causes ?? [];
  const exit = causes.find((c) => c.reason === 'ExitCode');
  if (exit?.message !== undefined) {
    const n = Number.parseInt(exit.message, 10);
    if (Number.isFinite(n)) return n;
  }
  return null;
}

/** A Writable that forwards to `target` without ever ending it; optionally looks like a TTY. */
class Relay extends Writable {
  rows = 0;
  columns = 0;
  constructor(private readonly target: NodeJS.WritableStream | undefined) {
    super({
      write: (chunk: Buffer, _enc, cb) => {
        try {
          if (this.target && !(this.target as any).destroyed && !(this.target as any).writableEnded) this.target.write(chunk);
        } catch {
          // A broken consumer must not break the exec stream.
        }
        cb();
      },
    });
  }
}

export interface StartedExec {
  process: ExecProcess;
}

export async function startExec(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  streams: ExecStreams,
): Promise<ExecProcess> {
  const stdout = new Relay(streams.stdout);
  // With a TTY the container's stderr is merged into stdout; asking for both is an API error.
  const stderr = streams.tty ? null : new Relay(streams.stderr);
  if (streams.tty) {
    const size = streams.size ?? { cols: 80, rows: 24 };
    stdout.columns = size.cols;
    stdout.rows = size.rows;
  } else {
    // Not resizable: client-node then sends no size.
    delete (stdout as any).rows;
    delete (stdout as any).columns;
  }
  const stdin = streams.stdin ? new PassThrough() : null;
  if (streams.stdin && stdin) streams.stdin.pipe(stdin);

  let resolveExit!: (code: number | null) => void;
  const exited = new Promise<number | null>((r) => (resolveExit = r));
  let settled = false;
  let status: V1Status | undefined;
  const settle = (code: number | null) => {
    if (settled) return;
    settled = true;
    if (streams.stdin && stdin) streams.stdin.unpipe(stdin);
    stdin?.destroy();
    resolveExit(code);
  };

  const exec = new Exec(kc);
  const ws = await exec.exec(namespace, pod, container, command, stdout, stderr, stdin, streams.tty, (s) => {
    status = s;
    const code = exitCodeOf(s);
    if (code === null && s?.message) {
      // The command never ran (not found, not executable, ...): tell the person why.
      const target = streams.tty ? streams.stdout : (streams.stderr ?? streams.stdout);
      try {
        target.write(`${s.message}\n`);
      } catch {
        // ignore
      }
    }
    settle(code);
  });
  ws.on('error', () => settle(status ? exitCodeOf(status) : null));
  ws.on('close', () => settle(status ? exitCodeOf(status) : null));
  if (ws.readyState === ws.CLOSED) settle(null);

  return {
    exited,
    resize(cols: number, rows: number) {
      if (!streams.tty || settled) return;
      stdout.columns = cols;
      stdout.rows = rows;
      stdout.emit('resize');
    },
    close() {
      try {
        ws.close();
      } catch {
        // already closed
      }
      setTimeout(() => {
        if (!settled) ws.terminate?.();
      }, 2000).unref();
    },
  };
}
