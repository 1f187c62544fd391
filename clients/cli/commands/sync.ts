import { SyncDidChangeNotification, SyncResyncRequest, SyncStatusRequest, type SyncStatus } from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { formatDuration, printJson } from '../output';
import { UsageError, parse, scopeOptions } from '../usage';
import { parseWorkloadArg } from './workloadArg';

/** `nhd sync status [--watch] [--json]` and `nhd sync resync KIND/NAME [-n NS] [--allow-deletes]`. */
export async function syncCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'status':
      return syncStatus(rest);
    case 'resync':
      return syncResync(rest);
    default:
      throw new UsageError(`unknown sync command ${JSON.stringify(sub ?? '')}; use status or resync`);
  }
}

/** With --watch, one line (or JSON object) per pushed change until Ctrl-C. */
async function syncStatus(args: string[]): Promise<number> {
  const { values } = parse(args, { watch: { type: 'boolean', short: 'w' }, json: { type: 'boolean' } });
  const client = await DaemonClient.connect();
  try {
    const { sessions } = await client.request(SyncStatusRequest.type, {});
    if (!values.watch) {
      if (values.json) printJson({ sessions });
      else process.stdout.write(sessions.length === 0 ? 'No file sync runs; `nhd dev start KIND/NAME --local-dir DIR` starts one.\n' : sessions.map(formatStatus).join(''));
      return 0;
    }
    const print = (status: SyncStatus): void => void process.stdout.write(values.json ? `${JSON.stringify(status)}\n` : formatEvent(status));
    sessions.forEach(print);
    client.connection.onNotification(SyncDidChangeNotification.type, (status: SyncStatus) => print(status));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      void client.connection.onClose(() => resolve());
    });
    return 0;
  } finally {
    await client.close();
  }
}

async function syncResync(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...scopeOptions, 'allow-deletes': { type: 'boolean' }, json: { type: 'boolean' } }, true);
  const ref = parseWorkloadArg(positionals[0]);
  const client = await DaemonClient.connect();
  try {
    const { sessions } = await client.request(SyncStatusRequest.type, {});
    const matches = sessions.filter((s) => {
      const [context, namespace, kind, name] = s.sessionId.split('/');
      return kind === ref.kind && name === ref.name && (!values.namespace || namespace === values.namespace) && (!values.context || context === values.context);
    });
    if (matches.length !== 1) {
      const which = `${ref.kind}/${ref.name}${values.namespace ? ` in ${values.namespace}` : ''}`;
      throw new UsageError(matches.length === 0 ? `no file sync runs for ${which}; \`nhd sync status\` lists them` : `${which} matches ${matches.length} sessions; pass -n and --context`);
    }
    const status = await client.request(SyncResyncRequest.type, { sessionId: matches[0]!.sessionId, ...(values['allow-deletes'] ? { allowDeletes: true } : {}) });
    if (values.json) printJson(status);
    else process.stdout.write(formatStatus(status));
    return 0;
  } finally {
    await client.close();
  }
}

export function formatStatus(s: SyncStatus): string {
  const lines = [`${s.sessionId}: ${s.state}${s.pod ? ` (pod ${s.pod})` : ''}, ${s.type} ${s.localDir} -> ${s.remoteDir}`];
  lines.push(`  ${s.totals.batches} batches, ${s.totals.files} files, ${formatBytes(s.totals.bytes)} since start; ${s.reconnects} reconnects`);
  if (s.lastBatch) lines.push(`  last: ${formatBatch(s)}`);
  if (s.error) lines.push(`  error: ${s.error}`);
  if (s.held.length > 0) lines.push(`  held deletes (deleteProtection): ${s.held.join(', ')}; \`nhd sync resync ... --allow-deletes\` applies them`);
  for (const c of s.conflicts) lines.push(`  conflict: ${c.path}${c.copy ? ` (remote version kept as ${c.copy})` : ' (unresolved)'}`);
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

function formatEvent(s: SyncStatus): string {
  return `${new Date().toISOString().slice(11, 23)} ${s.sessionId}: ${s.state}${s.lastBatch ? `; ${formatBatch(s)}` : ''}${s.error ? `; ${s.error}` : ''}\n`;
}

function formatBatch(s: SyncStatus): string {
  const b = s.lastBatch!;
  const what = b.paths.length === 1 ? b.paths[0] : `${b.files} changes`;
  const errors = b.errors.length > 0 ? `, ${b.errors.length} failed (${b.errors[0]!.path}: ${b.errors[0]!.message})` : '';
  return `${b.kind} ${b.direction} ${what}, ${formatBytes(b.bytes)}, live in ${formatDuration(b.latencyMs)} at ${b.at}${errors}`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
