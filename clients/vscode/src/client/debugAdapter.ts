import { DebugListenRequest } from '../../../../protocol';
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

export const DEBUG_LISTEN_METHOD = DebugListenRequest.method;

export async function debugAdapterEndpoint(
  rpc: Rpc | undefined,
  daemonMethods: readonly string[],
  exe: NhdExecutable,
  env: Record<string, string>,
): Promise<DebugAdapterEndpoint> {
  if (rpc && daemonMethods.includes(DEBUG_LISTEN_METHOD)) {
    const { port, host } = await rpc.sendRequest(DebugListenRequest.type, {});
    return { kind: 'server', host, port };
  }
  const extra = { ...env };
  if (exe.pathPrepend) extra['PATH'] = [exe.pathPrepend, process.env['PATH']].filter(Boolean).join(process.platform === 'win32' ? ';' : ':');
  return { kind: 'executable', command: exe.command, args: ['dap'], env: extra };
}
