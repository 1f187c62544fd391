import * as net from 'node:net';
import * as path from 'node:path';
import {
  DebugListenRequest,
  DebugStartRequest,
  PortForwardStopRequest,
  RunDidChangeNotification,
  RunOutputNotification,
  RunStopRequest,
  type DebugStartParams,
  type DebugStartResult,
  type RunDidChangeParams,
} from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { progressPrinter } from '../output';
import { outputFollower } from '../outputFollower';
import { UsageError, parse, scopeFrom, scopeOptions } from '../usage';
import { formatReload } from './run';
import { parseWorkloadArg } from './workloadArg';

const SIGINT_EXIT = 130;

/**
 * `nhd dap [-n NS] [--context C]`: a Debug Adapter on stdio for editors that launch one (nvim-dap,
 * LSP4IJ, VS Code's DebugAdapterExecutable). It holds nothing itself: it asks the shared daemon for
 * a DAP endpoint bound to one session (`nhd/debug/listen`, on a unix socket only this user can
 * open) and pipes its stdio to it; the daemon's proxy serves the session (attach → dev mode, sync,
 * command.debug, port-forward, reattach across hot reloads). Its connection to the daemon owns the
 * debuggers the session starts, so they end when the editor ends the session. Nothing but DAP is
 * written to stdout.
 */
export async function dapCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { ...scopeOptions });
  const client = await DaemonClient.connect('nhd-dap');
  try {
    const endpoint = await client.request(DebugListenRequest.type, { ...scopeFrom(values), transport: 'socket' });
    // The daemon is this nhd's own version (DaemonClient replaces any other), so it honours the transport.
    if (endpoint.transport !== 'socket') throw new Error(`the nhd daemon answered nhd/debug/listen with transport ${JSON.stringify(endpoint.transport)}, not the unix socket asked for; this is a bug.`);
    const socket = net.connect(endpoint.path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
    // The editor closed our stdin: the session is over from its side.
    process.stdin.once('end', () => socket.end());
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.once('error', () => resolve());
      client.connection.onClose(() => {
        process.stderr.write('nhd dap: lost the connection to the nhd daemon.\n');
        socket.destroy();
      });
    });
    // The session is over: nothing more is read, and an editor that keeps our stdin open must not keep us.
    process.stdin.unpipe(socket);
    process.stdin.destroy();
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * `nhd debug KIND/NAME [-n NS] [--context C] [-c C] [--local-dir DIR] [--hot-reload] [--port P]
 * [--json]`: starts the workload's remote debugger (command.debug in its dev container; dev mode is
 * started with --local-dir when it is not on), port-forwards debug.remoteDebugPort, prints how to
 * attach, and keeps the debugger until Ctrl-C, streaming its output like `nhd run`.
 */
export async function debugCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...scopeOptions, container: { type: 'string', short: 'c' }, 'local-dir': { type: 'string' }, 'hot-reload': { type: 'boolean' }, port: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('nhd debug takes one KIND/NAME');
  const params: DebugStartParams = { ...parseWorkloadArg(positionals[0]), ...scopeFrom(values) };
  if (values.container) params.container = values.container;
  if (values['local-dir']) params.localDir = path.resolve(values['local-dir']);
  if (values['hot-reload']) params.hotReload = true;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, got ${JSON.stringify(values.port)}`);
    params.localPort = port;
  }
  const json = values.json === true;
  const say = (line: string) => process.stderr.write(`nhd: ${line}\n`);
  const event = (value: object) => process.stdout.write(JSON.stringify(value) + '\n');

  const client = await DaemonClient.connect();
  let result: DebugStartResult | undefined;
  let stopping = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  // Without --json, stdout is for how to attach: the debugger's output goes to stderr.
  const output = outputFollower(() => result?.runId, json ? { kind: 'json', event } : { kind: 'plain', write: (_stream, bytes) => process.stderr.write(bytes) });
  client.connection.onNotification(RunOutputNotification.type, output.push);
  client.connection.onNotification(RunDidChangeNotification.type, (p: RunDidChangeParams) => {
    if (!result?.runId || p.run.runId !== result.runId) return;
    if (json) event({ event: 'didChange', ...p });
    else if (p.reload) say(`debugger restarted: ${formatReload(p.reload)}`);
    else if (p.run.state === 'exited') say(`the debugger exited${p.run.exitCode !== undefined && p.run.exitCode !== null ? ` with code ${p.run.exitCode}` : ''}${p.run.message ? ` (${p.run.message})` : ''}`);
    if (p.run.ended && !stopping) finish(p.run.exitCode ? 1 : 0);
  });
  client.connection.onClose(() => finish(1));
  const onSigint = () => {
    if (stopping || !result) return finish(SIGINT_EXIT);
    stopping = true;
    const stops: Promise<unknown>[] = [client.connection.sendRequest(PortForwardStopRequest.type, { id: result.portForwardId }).catch(() => {})];
    if (result.started && result.runId) stops.push(client.connection.sendRequest(RunStopRequest.type, { runId: result.runId }).catch(() => {}));
    void Promise.all(stops).then(() => finish(SIGINT_EXIT));
  };
  try {
    result = await client.request(DebugStartRequest.type, params, json ? undefined : progressPrinter());
    process.on('SIGINT', onSigint);
    if (json) event({ event: 'started', ...result, nvimDap: nvimDapSnippet(result) });
    else process.stdout.write(describeAttach(result));
    return await finished;
  } finally {
    process.off('SIGINT', onSigint);
    output.end();
    await client.close();
  }
}

/** What `nhd debug` prints: where the debugger is and how each editor attaches. */
export function describeAttach(r: DebugStartResult): string {
  const lines: string[] = [];
  const who = r.started ? `started ${r.language} debugger` : 'a debugger already runs';
  lines.push(`${who} in ${r.pod}/${r.container}, port ${r.remotePort}, forwarded to ${r.host}:${r.localPort}`);
  lines.push(`local root ${r.localRoot || '(none)'}  ->  remote root ${r.remoteRoot}`, '');
  if (r.nhdAttach) {
    lines.push("VS Code (nhd extension), launch.json: reattaches across hot reloads", indent(JSON.stringify(r.nhdAttach, null, 2)), '');
    lines.push('Neovim (nvim-dap):', indent(nvimDapSnippet(r)), '');
  }
  const native = r.dap ? `Any ${r.language === 'go' ? 'delve (Go)' : 'debugpy'} client, directly through the port-forward (no reattach after a hot reload):` : `VS Code's own ${r.language} debugger, launch.json (${r.language}'s debugger does not speak DAP; nhd only forwards its port):`;
  lines.push(native, indent(JSON.stringify(r.nativeAttach, null, 2)));
  if (r.language === 'go') lines.push('', 'delve waits for a client before the program runs (no --continue): attach to let it start.');
  lines.push('', 'Ctrl-C stops the debugger and the port-forward.');
  return lines.join('\n') + '\n';
}

/** An nvim-dap adapter and configuration whose adapter is `nhd dap`. */
export function nvimDapSnippet(r: DebugStartResult): string {
  const a = r.nhdAttach ?? {};
  const fields = Object.entries(a)
    .filter(([key]) => key !== 'name')
    .map(([key, value]) => `  ${key} = ${lua(value)},`)
    .join('\n');
  return `require('dap').adapters.nhd = { type = 'executable', command = 'nhd', args = { 'dap' } }\nrequire('dap').configurations.${r.language} = { {\n  name = ${lua(a['name'] ?? 'nhd')},\n${fields}\n} }`;
}

function lua(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
