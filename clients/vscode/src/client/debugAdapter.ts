import { RequestType } from 'vscode-jsonrpc';
import type { NhdExecutable } from './executable';
import type { Rpc } from './rpc';

/**
 * How VS Code reaches the daemon's Debug Adapter: a 127.0.0.1 port the daemon opens, when it
 * serves `nhd/debug/listen`; otherwise `nhd dap`, which speaks DAP on stdio and hands each
 * attach to the shared daemon.
 */
export type DebugAdapterEndpoint =
  | { kind: 'server'; host: string; port: number }
  | { kind: 'executable'; command: string; args: string[]; env: Record<string, string> };

/**
 * FIXME: `nhd/debug/listen` is not in protocol/ yet (the debug branch defines the ways in); the
 * shape below is the one this client expects. Import it from protocol/ once it lands.
 */
export interface DebugListenResult {
  /** The TCP port on `host` (127.0.0.1) where the daemon takes one DAP session. */
  port: number;
  host?: string;
}
export const DEBUG_LISTEN_METHOD = 'nhd/debug/listen';
const DebugListenRequest = new RequestType<Record<string, never>, DebugListenResult, void>(DEBUG_LISTEN_METHOD);

export async function debugAdapterEndpoint(
  rpc: Rpc | undefined,
  daemonMethods: readonly string[],
  exe: NhdExecutable,
  env: Record<string, string>,
): Promise<DebugAdapterEndpoint> {
  if (rpc && daemonMethods.includes(DEBUG_LISTEN_METHOD)) {
    const { port, host } = await rpc.sendRequest(DebugListenRequest, {});
    return { kind: 'server', host: host ?? '127.0.0.1', port };
  }
  const extra = { ...env };
  if (exe.pathPrepend) extra['PATH'] = [exe.pathPrepend, process.env['PATH']].filter(Boolean).join(process.platform === 'win32' ? ';' : ':');
  return { kind: 'executable', command: exe.command, args: ['dap'], env: extra };
}
