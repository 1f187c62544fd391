import * as path from 'node:path';
import { ConfigValidateRequest, StatusRequest, type ConfigDiagnostic, type StatusResult } from '../../protocol';
import { DaemonClient } from './daemonClient';
import { forwardStdio } from './forward';
import { formatDuration, printJson } from './output';
import { appCommand } from './commands/app';
import { devCommand } from './commands/dev';
import { execCommand } from './commands/exec';
import { logsCommand } from './commands/logs';
import { portForwardCommand } from './commands/portForward';
import { runCommand } from './commands/run';
import { dapCommand, debugCommand } from './commands/debug';
import { lsCommand } from './commands/ls';
import { syncCommand } from './commands/sync';
import type { ServeOptions } from './serve';
import { UsageError, parse } from './usage';
import { VERSION } from './version';

// server/ and @kubernetes/client-node (most of the bundle) load only for `nhd serve`, which keeps
// every other command's start fast.
const serve = async (options: ServeOptions) => (await import('./serve')).serve(options);

/**
 * The `nhd` command. Every subcommand but `serve` is a thin client of the daemon: it connects
 * (starting the shared daemon when none runs), sends one or a few requests and prints the result,
 * for people or, with --json, for scripts.
 */
const USAGE = `nhd ${VERSION}: a development daemon for Kubernetes

Usage:
  nhd serve                        serve the protocol on stdio (what an editor spawns)
  nhd serve --listen [PATH]        serve on a unix socket (default: the shared daemon's)
  nhd serve --remote=auto          forward stdio to the shared daemon, starting it if needed
  nhd status [--json]              the daemon's version, uptime, clients and sessions
  nhd config validate FILE [--json]
                                   check a .nocalhost/config.yaml; exit 1 on errors
  nhd ls [-n NS] [--context C] [--json]
                                   workloads with readiness and dev state
  nhd dev start KIND/NAME [-n NS] [--local-dir DIR] [--no-sync] [--image I] [-c C] [--work-dir D] [--force] [--json]
                                   put a workload into dev mode (config: DIR/.nocalhost/config.yaml)
                                   and sync DIR into the container (default DIR: the working
                                   directory, synced when it has a .nocalhost config)
  nhd sync status [--watch] [--json]
                                   file sync of each dev session: state, last batch, latency
  nhd sync resync KIND/NAME [-n NS] [--allow-deletes]
                                   compare both sides now; apply deletes deleteProtection held
  nhd dev end KIND/NAME [-n NS] [--force]
                                   restore the workload exactly as it was
  nhd dev status [--json]          dev sessions this daemon holds
  nhd app install DIR [-n NS] [--name N] [--no-wait]
                                   server-side apply a manifest directory and wait for it
  nhd app uninstall NAME [-n NS]   delete what app install applied
  nhd exec KIND/NAME [-n NS] [-c C] [-t] [-- CMD ...]
                                   a shell in the workload's pod, or run CMD; exits with its code
  nhd port-forward KIND/NAME LOCAL:REMOTE [-n NS]
                                   forward 127.0.0.1:LOCAL to the pod, held by the daemon
  nhd port-forward --list [--json] | --stop ID|all
  nhd logs KIND/NAME [-n NS] [-c C] [-f] [--tail N]
                                   the log of the workload's newest pod
  nhd run KIND/NAME [-n NS] [--hot-reload] [--json]
                                   run the dev config's command.run in the dev container; Ctrl-C
                                   stops it; --hot-reload restarts it on each synced change
  nhd debug KIND/NAME [-n NS] [-c C] [--local-dir DIR] [--hot-reload] [--port P] [--json]
                                   start command.debug in the dev container, port-forward
                                   debug.remoteDebugPort and print how to attach (VS Code,
                                   nvim-dap, the native debugger); Ctrl-C stops it
  nhd dap [-n NS] [--context C]    a Debug Adapter on stdio (nvim-dap, LSP4IJ, VS Code): attach
                                   with {workload: "deployment/authors", ...}; the daemon holds it
  nhd --version                    print the version

KIND is deployment, statefulset, daemonset, job, cronjob or pod (kubectl's short names work).
Environment: KUBECONFIG as kubectl reads it; NHD_HOME puts the socket, state and log under one
directory (one only you can write; a missing one is created 0700); NHD_IDENTITY names you as the
owner of dev sessions (default user@host); NHD_CONNECT_TIMEOUT is how many seconds the CLI waits
for the daemon to answer its connection (default 10) before it reports a stopped or stuck daemon.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'serve':
      return serveCommand(rest);
    case 'status':
      return statusCommand(rest);
    case 'config':
      return configCommand(rest);
    case 'ls':
      return lsCommand(rest);
    case 'dev':
      return devCommand(rest);
    case 'sync':
      return syncCommand(rest);
    case 'app':
      return appCommand(rest);
    case 'exec':
      return execCommand(rest);
    case 'port-forward':
      return portForwardCommand(rest);
    case 'logs':
      return logsCommand(rest);
    case 'run':
      return runCommand(rest);
    case 'debug':
      return debugCommand(rest);
    case 'dap':
      return dapCommand(rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function serveCommand(args: string[]): Promise<number> {
  // `--listen` takes an optional path, which parseArgs cannot express: take it by hand.
  const listenAt = args.indexOf('--listen');
  let listen: string | true | undefined;
  if (listenAt >= 0) {
    const next = args[listenAt + 1];
    listen = next !== undefined && !next.startsWith('-') ? next : true;
    args = args.filter((_, i) => i !== listenAt && !(i === listenAt + 1 && listen !== true));
  }
  const { values } = parse(args, { remote: { type: 'string' }, 'idle-timeout': { type: 'string' }, stdio: { type: 'boolean' } });
  if (values.remote !== undefined) {
    if (values.remote !== 'auto') throw new UsageError('--remote takes only "auto"');
    return forwardStdio();
  }
  const idle = values['idle-timeout'];
  const idleTimeoutSeconds = idle === undefined ? 0 : Number(idle);
  if (!Number.isFinite(idleTimeoutSeconds) || idleTimeoutSeconds < 0) throw new UsageError('--idle-timeout takes a number of seconds');
  return serve({ ...(listen === undefined ? {} : { listen }), idleTimeoutSeconds });
}

async function statusCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  return withDaemon(async (client) => {
    const status = await client.request(StatusRequest.type, {});
    if (values.json) printJson(status);
    else process.stdout.write(formatStatus(status));
    return 0;
  });
}

export function formatStatus(s: StatusResult): string {
  const where = s.mode === 'socket' ? `shared on ${s.socketPath}` : 'on stdio';
  const clients = s.clients.map((c) => (c.version ? `${c.name} ${c.version}` : c.name)).join(', ');
  const sessions = s.sessions.length === 0 ? 'none' : s.sessions.map((x) => `${x.namespace}/${x.kind}/${x.name} (${x.state})`).join(', ');
  return [
    `nhd ${s.version} (protocol ${s.protocolVersion}), pid ${s.pid}, up ${formatDuration(s.uptimeMs)}, ${where}`,
    `log: ${s.logFile}`,
    `clients: ${s.clients.length} (${clients})`,
    `sessions: ${sessions}`,
    '',
  ].join('\n');
}

async function configCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'validate') throw new UsageError(`unknown config command ${JSON.stringify(sub ?? '')}; try "nhd config validate FILE"`);
  const { values, positionals } = parse(rest, { json: { type: 'boolean' }, annotation: { type: 'boolean' } }, true);
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError('nhd config validate takes one FILE');
  return withDaemon(async (client) => {
    const result = await client.request(ConfigValidateRequest.type, { path: path.resolve(file), form: values.annotation ? 'annotation' : 'file' });
    if (values.json) printJson(result);
    else process.stdout.write(result.diagnostics.map((d) => formatDiagnostic(file, d)).join(''));
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    if (!values.json && errors === 0) {
      const warnings = result.diagnostics.length;
      process.stderr.write(`${file}: valid, ${result.services.length} service(s)${warnings ? `, ${warnings} warning(s)` : ''}\n`);
    }
    return errors > 0 ? 1 : 0;
  });
}

/** `FILE:LINE:COL: error|warning: message`, one-based, as compilers print. */
export function formatDiagnostic(file: string, d: ConfigDiagnostic): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message}\n`;
}

async function withDaemon(work: (client: DaemonClient) => Promise<number>): Promise<number> {
  const client = await DaemonClient.connect();
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** Runs the CLI and exits with its code; errors become one line on stderr. */
export function run(): void {
  const [major] = process.versions.node.split('.').map(Number);
  if ((major ?? 0) < 22) {
    process.stderr.write(`nhd needs Node.js 22 or later; this is ${process.version}. Run it through npx or npm scripts, which use the project's Node.\n`);
    process.exit(2);
  }
  let finished = false;
  process.once('beforeExit', () => {
    // The event loop ran dry while a command still awaited something: never exit 0 silently.
    if (!finished) {
      process.stderr.write('nhd: the command stopped before it finished (lost connection to the daemon?); this is a bug.\n');
      process.exitCode = 1;
    }
  });
  main(process.argv.slice(2)).then(
    (code) => {
      finished = true;
      process.exitCode = code;
    },
    (error: unknown) => {
      finished = true;
      if (error instanceof UsageError) {
        process.stderr.write(`nhd: ${error.message}\n\n${USAGE}`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(`nhd: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
