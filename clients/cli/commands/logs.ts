import { randomBytes } from 'node:crypto';
import { ResponseError } from 'vscode-jsonrpc/node';
import { LogsOutputNotification, LogsStreamRequest, RpcErrorCode, type LogsOutputParams, type LogsStreamParams } from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { UsageError, parse, scopeFrom, scopeOptions } from '../usage';
import { parseWorkloadArg } from './workloadArg';

/**
 * `nhd logs KIND/NAME [-n NS] [-c C] [-f] [--tail N]`: the log of the workload's newest pod on
 * stdout. With -f it keeps printing until Ctrl-C, which ends it cleanly (exit 0).
 */
export async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...scopeOptions, container: { type: 'string', short: 'c' }, follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('nhd logs takes one KIND/NAME');
  const streamId = `cli-${randomBytes(4).toString('hex')}`;
  const params: LogsStreamParams = { ...parseWorkloadArg(positionals[0]), ...scopeFrom(values), streamId, follow: values.follow === true };
  if (values.container !== undefined) params.container = values.container;
  if (values.tail !== undefined) {
    const tail = Number(values.tail);
    if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`--tail takes a number of lines, got ${JSON.stringify(values.tail)}`);
    params.tailLines = tail;
  }
  const client = await DaemonClient.connect();
  try {
    client.connection.onNotification(LogsOutputNotification.type, (p: LogsOutputParams) => {
      if (p.streamId === streamId) process.stdout.write(p.text);
    });
    try {
      // Ctrl-C cancels the request (DaemonClient.request); the daemon then ends the follow normally.
      await client.request(LogsStreamRequest.type, params);
    } catch (error) {
      if (!(error instanceof ResponseError && error.code === RpcErrorCode.RequestCancelled)) throw error;
    }
    return 0;
  } finally {
    await client.close();
  }
}
