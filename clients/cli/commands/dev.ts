import * as path from 'node:path';
import { DevEndRequest, DevStartRequest, DevStatusRequest, type DevSession } from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { printJson, progressPrinter } from '../output';
import { UsageError, parse, scopeFrom, scopeOptions } from '../usage';
import { parseWorkloadArg } from './workloadArg';

/** `nhd dev start|end|status`. */
export async function devCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'start':
      return devStart(rest);
    case 'end':
      return devEnd(rest);
    case 'status':
      return devStatus(rest);
    default:
      throw new UsageError(`unknown dev command ${JSON.stringify(sub ?? '')}; use start, end or status`);
  }
}

async function devStart(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...scopeOptions,
      'local-dir': { type: 'string' },
      'no-sync': { type: 'boolean' },
      image: { type: 'string' },
      container: { type: 'string', short: 'c' },
      'work-dir': { type: 'string' },
      force: { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  const ref = parseWorkloadArg(positionals[0]);
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(timeout > 0)) throw new UsageError('--timeout takes a number of seconds');
  const client = await DaemonClient.connect();
  try {
    const session = await client.request(
      DevStartRequest.type,
      {
        ...ref,
        ...scopeFrom(values),
        localDir: path.resolve(values['local-dir'] ?? '.'),
        // An explicit --local-dir syncs; the working directory syncs only when it has a dev config (the daemon checks).
        ...(values['no-sync'] ? { sync: false } : values['local-dir'] ? { sync: true } : {}),
        ...(values.image ? { image: values.image } : {}),
        ...(values.container ? { container: values.container } : {}),
        ...(values['work-dir'] ? { workDir: values['work-dir'] } : {}),
        ...(values.force ? { force: true } : {}),
        ...(timeout ? { timeoutSeconds: timeout } : {}),
      },
      progressPrinter(),
    );
    if (values.json) printJson(session);
    else process.stdout.write(`${session.kind}/${session.name} is in dev mode: pod ${session.pod}, container ${session.container}, image ${session.image}, source at ${session.workDir}\n`);
    for (const warning of session.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
    return 0;
  } finally {
    await client.close();
  }
}

async function devEnd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...scopeOptions, force: { type: 'boolean' }, json: { type: 'boolean' } }, true);
  const ref = parseWorkloadArg(positionals[0]);
  const client = await DaemonClient.connect();
  try {
    const result = await client.request(DevEndRequest.type, { ...ref, ...scopeFrom(values), ...(values.force ? { force: true } : {}) }, progressPrinter());
    if (values.json) printJson(result);
    else process.stdout.write(`${result.message}\n`);
    return 0;
  } finally {
    await client.close();
  }
}

async function devStatus(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const client = await DaemonClient.connect();
  try {
    const { sessions } = await client.request(DevStatusRequest.type, {});
    if (values.json) printJson({ sessions });
    else process.stdout.write(sessions.length === 0 ? 'No dev sessions.\n' : sessions.map(formatSession).join(''));
    return 0;
  } finally {
    await client.close();
  }
}

function formatSession(s: DevSession): string {
  return `${s.namespace}/${s.kind}/${s.name}: ${s.state}${s.pod ? `, pod ${s.pod}` : ''}, image ${s.image}${s.error ? `, error: ${s.error}` : ''}\n`;
}
