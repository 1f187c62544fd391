import { WorkloadsListRequest, type WorkloadSummary } from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { printJson } from '../output';
import { parse, scopeFrom, scopeOptions } from '../usage';

/** `nhd ls [-n NS] [--context C] [--json]`: the namespace's workloads with readiness and dev state. */
export async function lsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { ...scopeOptions, json: { type: 'boolean' } });
  const client = await DaemonClient.connect();
  try {
    const result = await client.request(WorkloadsListRequest.type, scopeFrom(values));
    if (values.json) printJson(result);
    else process.stdout.write(formatWorkloads(result.workloads, result.namespace));
    return 0;
  } finally {
    await client.close();
  }
}

export function formatWorkloads(workloads: WorkloadSummary[], namespace: string): string {
  if (workloads.length === 0) return `No workloads in namespace ${namespace}.\n`;
  const rows = [['KIND/NAME', 'READY', 'DEV'], ...workloads.map((w) => [`${w.kind}/${w.name}`, w.ready, w.devOwner ? `developing (${w.devOwner.identity})` : '-'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join('')).join('\n') + '\n';
}
