import { PortForwardListRequest, PortForwardStartRequest, PortForwardStopRequest, type PortForward } from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { printJson } from '../output';
import { UsageError, parse, scopeFrom, scopeOptions } from '../usage';
import { parseWorkloadArg } from './workloadArg';

/**
 * `nhd port-forward KIND/NAME LOCAL:REMOTE [-n NS]` starts a forward that the daemon holds (it
 * outlives this command); `--list [--json]` shows them, `--stop ID|all` ends them.
 */
export async function portForwardCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...scopeOptions, list: { type: 'boolean' }, stop: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (values.list || values.stop !== undefined) {
    if (positionals.length > 0) throw new UsageError('--list and --stop take no KIND/NAME');
    return withClient(async (client) => {
      const result =
        values.stop !== undefined
          ? await client.request(PortForwardStopRequest.type, { id: values.stop })
          : await client.request(PortForwardListRequest.type, {});
      if (values.json) printJson(result);
      else if (values.list) process.stdout.write(formatPortForwards(result.portForwards));
      else process.stderr.write(`Stopped ${values.stop === 'all' ? 'every port-forward' : values.stop}; ${result.portForwards.length} left.\n`);
      return 0;
    });
  }
  if (positionals.length !== 2) throw new UsageError('nhd port-forward takes KIND/NAME and LOCAL:REMOTE (or PORT), or --list, or --stop ID');
  const { localPort, remotePort } = parsePorts(positionals[1]!);
  const params = { ...parseWorkloadArg(positionals[0]), ...scopeFrom(values), localPort, remotePort };
  return withClient(async (client) => {
    const forward = await client.request(PortForwardStartRequest.type, params);
    if (values.json) printJson(forward);
    else {
      process.stdout.write(
        `Forwarding ${forward.address}:${forward.localPort} -> ${forward.kind}/${forward.name}:${forward.remotePort} (id ${forward.id}); stop it with: nhd port-forward --stop ${forward.id}\n`,
      );
    }
    return 0;
  });
}

/** "39080:9080", ":9080" (a free local port) or "9080" (the same port on both sides). */
export function parsePorts(text: string): { localPort: number; remotePort: number } {
  const match = /^(\d*):(\d+)$|^(\d+)$/.exec(text);
  const local = match?.[3] ?? match?.[1];
  const remote = match?.[3] ?? match?.[2];
  const localPort = local === '' ? 0 : Number(local);
  const remotePort = Number(remote);
  if (!match || localPort > 65535 || remotePort < 1 || remotePort > 65535) {
    throw new UsageError(`expected LOCAL:REMOTE ports such as 39080:9080, :9080 or 9080, got ${JSON.stringify(text)}`);
  }
  return { localPort, remotePort };
}

export function formatPortForwards(forwards: PortForward[]): string {
  if (forwards.length === 0) return 'No port-forwards.\n';
  const rows = [
    ['ID', 'LOCAL', 'TARGET', 'POD', 'STATE', 'CONN'],
    ...forwards.map((f) => [f.id, `${f.address}:${f.localPort}`, `${f.namespace}/${f.kind}/${f.name}:${f.remotePort}`, f.pod ?? '-', f.state, String(f.connections)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join('')).join('\n') + '\n';
}

async function withClient(work: (client: DaemonClient) => Promise<number>): Promise<number> {
  const client = await DaemonClient.connect();
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
