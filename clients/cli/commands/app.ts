import * as path from 'node:path';
import { AppInstallRequest, AppUninstallRequest } from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { printJson, progressPrinter } from '../output';
import { UsageError, parse, scopeFrom, scopeOptions } from '../usage';

/** `nhd app install DIR [-n NS] [--name N] [--no-wait]` and `nhd app uninstall NAME [-n NS]`. */
export async function appCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { ...scopeOptions, name: { type: 'string' }, 'no-wait': { type: 'boolean' }, json: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError(`nhd app ${sub ?? ''} takes one argument`);
  const client = await DaemonClient.connect();
  try {
    if (sub === 'install') {
      const result = await client.request(
        AppInstallRequest.type,
        { ...scopeFrom(values), dir: path.resolve(positionals[0]!), ...(values.name ? { name: values.name } : {}), ...(values['no-wait'] ? { wait: false } : {}) },
        progressPrinter(),
      );
      if (values.json) printJson(result);
      else {
        process.stdout.write(`Installed ${result.name} in namespace ${result.namespace}: ${result.objects.map((o) => `${o.kind}/${o.name}`).join(', ')}\n`);
        for (const f of result.portForwards) process.stdout.write(`Forwarding ${f.address}:${f.localPort} -> ${f.kind}/${f.name}:${f.remotePort} (install.portForward; \`nhd app uninstall ${result.name}\` stops it)\n`);
      }
      for (const warning of result.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
      return 0;
    }
    if (sub === 'uninstall') {
      const result = await client.request(AppUninstallRequest.type, { ...scopeFrom(values), name: positionals[0]! }, progressPrinter());
      if (values.json) printJson(result);
      else process.stdout.write(`Uninstalled ${positionals[0]}: ${result.objects.length} objects deleted\n`);
      return 0;
    }
    throw new UsageError(`unknown app command ${JSON.stringify(sub ?? '')}; use install or uninstall`);
  } finally {
    await client.close();
  }
}
