/**
 * exec through client-node's Exec (a websocket speaking the v5/v4 channel protocol). The caller's
 * streams sit behind relays (relay.ts) so that client-node never ends them, never keeps listeners
 * on them after the process is gone, and flow control works both ways. For a TTY the stdout relay
 * is "resizable" (rows, columns, 'resize' events): client-node's TerminalSizeQueue sends its size
 * on the resize channel at start and on every 'resize'.
 */
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { ExecProcess, ExecStreams } from '../../server/ports';
import { inputRelay, OutputRelay } from './relay';

/** Exit code from the Status sent on the error channel: Success → 0, NonZeroExitCode → its ExitCode. */
export function exitCodeOf(status: V1Status | undefined | null): number | null {
  if (!status) return null;
  if (status.status === 'Success') return 0;
  const exit = (status.details?.causes ?? []).find((c) => c.reason === 'ExitCode');
  if (exit?.message !== undefined) {
    const n = Number.parseInt(exit.message, 10);
    if (Number.isFinite(n)) return n;
  }
  return null;
}

class TtyRelay extends OutputRelay {
  rows = 24;
  columns = 80;
}

export async function startExec(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  streams: ExecStreams,
): Promise<ExecProcess> {
  let stdout: OutputRelay;
  if (streams.tty) {
    const tty = new TtyRelay(streams.stdout);
    if (streams.size) {
      tty.columns = streams.size.cols;
      tty.rows = streams.size.rows;
    }
    stdout = tty;
  } else {
    stdout = new OutputRelay(streams.stdout);
  }
  // With a TTY the container's stderr is merged into stdout; asking for both is an API error.
  const stderr = streams.tty ? null : new OutputRelay(streams.stderr);
  const stdin = streams.stdin ? inputRelay(streams.stdin) : undefined;

  let resolveExit!: (code: number | null) => void;
  const exited = new Promise<number | null>((r) => (resolveExit = r));
  let settled = false;
  let status: V1Status | undefined;
  const settle = (code: number | null) => {
    if (settled) return;
    settled = true;
    stdin?.stop();
    resolveExit(code);
  };

  const exec = new Exec(kc);
  let ws: Awaited<ReturnType<Exec['exec']>>;
  try {
    ws = await exec.exec(namespace, pod, container, command, stdout, stderr, stdin?.stream ?? null, streams.tty, (s) => {
      status = s;
      const code = exitCodeOf(s);
      if (code === null && s?.message) {
        // The command never ran (not found, not executable, ...): tell the person why.
        const target = streams.tty ? streams.stdout : (streams.stderr ?? streams.stdout);
        try {
          target.write(`${s.message}\n`);
        } catch {
          // a broken consumer
        }
      }
      settle(code);
    });
  } catch (e) {
    stdin?.stop();
    throw e;
  }
  stdout.socket = ws as any;
  if (stderr) stderr.socket = ws as any;
  stdin?.start(ws as any);
  ws.on('error', () => settle(status ? exitCodeOf(status) : null));
  ws.on('close', () => settle(status ? exitCodeOf(status) : null));
  if (ws.readyState === ws.CLOSED) settle(null);

  return {
    exited,
    resize(cols: number, rows: number) {
      if (!(stdout instanceof TtyRelay) || settled) return;
      if (stdout.columns === cols && stdout.rows === rows) return;
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
      // A peer that does not answer the close handshake.
      setTimeout(() => {
        if (!settled) ws.terminate();
      }, 2000).unref();
    },
  };
}
