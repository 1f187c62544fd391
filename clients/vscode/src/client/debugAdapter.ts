import { DebugListenRequest } from '../../../../protocol';
import type { NhdExecutable } from './executable';
import type { Rpc } from './rpc';

/**
 * How VS Code reaches the daemon's Debug Adapter: a unix socket the daemon opens for the session
 * (`nhd/debug/listen` with transport `socket`: 0600, in a directory only this user can reach), for
 * a DebugAdapterNamedPipeServer; otherwise `nhd dap`, which speaks DAP on stdio and hands each
 * attach to the shared daemon the same way. Never the TCP transport: VS Code cannot put its secret
 * in the attach arguments once the session is resolved.
 */
export type DebugAdapterEndpoint =
  | { kind: 'pipe'; path: string }
  | { kind: 'executable'; command: string; args: string[]; env: Record<string, string> };

export const DEBUG_LISTEN_METHOD = DebugListenRequest.method;

export async function debugAdapterEndpoint(
  rpc: Rpc | undefined,
  daemonMethods: readonly string[],
  exe: NhdExecutable,
  env: Record<string, string>,
): Promise<DebugAdapterEndpoint> {
  if (rpc && daemonMethods.includes(DEBUG_LISTEN_METHOD)) {
    const endpoint = await rpc.sendRequest(DebugListenRequest.type, { transport: 'socket' });
    // A daemon of protocol 0.1 ignores the transport and answers with a port: `nhd dap` then.
    if (endpoint.transport === 'socket') return { kind: 'pipe', path: endpoint.path };
  }
  const extra = { ...env };
  if (exe.pathPrepend) extra['PATH'] = [exe.pathPrepend, process.env['PATH']].filter(Boolean).join(process.platform === 'win32' ? ';' : ':');
  return { kind: 'executable', command: exe.command, args: ['dap'], env: extra };
}
