import {
  TerminalCloseRequest,
  TerminalExitNotification,
  TerminalInputNotification,
  TerminalOpenRequest,
  TerminalOutputNotification,
  TerminalResizeNotification,
  type TerminalExitParams,
  type TerminalOpenParams,
  type TerminalOutputParams,
} from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { UsageError, parse, scopeFrom, scopeOptions } from '../usage';
import { parseWorkloadArg } from './workloadArg';

/**
 * `nhd exec KIND/NAME [-n NS] [-c C] [--context C] [-t] [-- CMD ...]`. Without CMD it attaches the
 * terminal to a shell in the pod (raw mode, resize); with CMD it runs it, keeping stdout and stderr
 * apart and feeding it piped stdin. The exit code is the remote process's.
 */
export async function execCommand(args: string[]): Promise<number> {
  const dashes = args.indexOf('--');
  const own = dashes < 0 ? args : args.slice(0, dashes);
  const command = dashes < 0 ? undefined : args.slice(dashes + 1);
  const { values, positionals } = parse(own, { ...scopeOptions, container: { type: 'string', short: 'c' }, tty: { type: 'boolean', short: 't' } }, true);
  if (positionals.length !== 1) throw new UsageError('nhd exec takes one KIND/NAME; put the command after --');
  if (command !== undefined && command.length === 0) throw new UsageError('nothing after --; give a command or leave out --');
  const stdin = process.stdin;
  const stdout = process.stdout;
  // A shell gets a TTY when we have one to give it; a command only when asked (-t), as kubectl does.
  const tty = command === undefined ? stdin.isTTY === true : values.tty === true;
  const params: TerminalOpenParams = { ...parseWorkloadArg(positionals[0]), ...scopeFrom(values), tty };
  if (command !== undefined) params.command = command;
  if (values.container !== undefined) params.container = values.container;
  // A terminal that does not know its size (0×0, as some ptys start) leaves the daemon's default.
  if (tty && stdout.isTTY && stdout.columns > 0 && stdout.rows > 0) {
    params.cols = stdout.columns;
    params.rows = stdout.rows;
  }

  const client = await DaemonClient.connect();
  let terminalId: string | undefined;
  let resolveExit!: (params: TerminalExitParams) => void;
  const exited = new Promise<TerminalExitParams>((resolve) => (resolveExit = resolve));
  // The daemon sends a terminal's output only after the open response, so the id is known here.
  client.connection.onNotification(TerminalOutputNotification.type, (p: TerminalOutputParams) => {
    if (p.terminalId !== terminalId) return;
    (p.stream === 'stderr' ? process.stderr : stdout).write(Buffer.from(p.data, 'base64'));
  });
  client.connection.onNotification(TerminalExitNotification.type, (p: TerminalExitParams) => {
    if (p.terminalId === terminalId) resolveExit(p);
  });
  client.connection.onClose(() => resolveExit({ terminalId: terminalId ?? '', exitCode: null, message: 'The connection to the nhd daemon was lost.' }));

  const cleanups: (() => void)[] = [];
  try {
    terminalId = (await client.request(TerminalOpenRequest.type, params)).terminalId;
    const id = terminalId;
    const send = (data: Buffer, eof = false) => void client.connection.sendNotification(TerminalInputNotification.type, { terminalId: id, data: data.toString('base64'), ...(eof ? { eof } : {}) });
    if (tty && stdin.isTTY) {
      stdin.setRawMode(true);
      cleanups.push(() => stdin.setRawMode(false));
      const onResize = () => {
        if (stdout.columns > 0 && stdout.rows > 0) void client.connection.sendNotification(TerminalResizeNotification.type, { terminalId: id, cols: stdout.columns, rows: stdout.rows });
      };
      stdout.on('resize', onResize);
      cleanups.push(() => stdout.off('resize', onResize));
    } else if (!tty) {
      // Ctrl-C ends the remote command (there is no TTY to carry it as a character).
      const onSigint = () => void client.connection.sendRequest(TerminalCloseRequest.method, { terminalId: id }).catch(() => {});
      process.on('SIGINT', onSigint);
      cleanups.push(() => process.off('SIGINT', onSigint));
    }
    if (stdin.isTTY && !tty) {
      send(Buffer.alloc(0), true); // Nothing to read: a command waiting on stdin sees its end.
    } else {
      const onData = (chunk: Buffer) => send(chunk);
      const onEnd = () => send(Buffer.alloc(0), true);
      stdin.on('data', onData);
      stdin.once('end', onEnd);
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
      });
    }
    const exit = await exited;
    if (exit.exitCode === null) process.stderr.write(`nhd: ${exit.message ?? 'the terminal ended without an exit status'}\n`);
    return exit.exitCode ?? 1;
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
    await client.close();
  }
}
