import type {
  ClusterScope,
  DebugStartParams,
  LogsStreamParams,
  RunStartParams,
  SyncResyncParams,
  TerminalOpenParams,
  WorkloadRef,
} from '../../protocol';
import type { DebugPrepareOptions } from '../debug/debugService';
import type { LogsOptions } from '../logs/logsService';
import type { TerminalOpenRequest } from '../terminal/terminalService';

/**
 * Wire params to the services' options, one function per request that needs it, named after what
 * it makes. Where the request works (context, namespace) never travels in these: it is the Scope
 * the request context resolves. Absent fields stay absent (exactOptionalPropertyTypes).
 */

/** Which workload: kind and name. */
export function workloadRef(params: WorkloadRef): WorkloadRef {
  return { kind: params.kind, name: params.name };
}

/** The context and namespace a request names, as defaults for what it resolves later. */
export function clusterScope(params: ClusterScope): ClusterScope {
  return pick(params, 'context', 'namespace');
}

export function runOptions(params: RunStartParams): { hotReload?: boolean; mode?: 'run' | 'debug' } {
  return pick(params, 'hotReload', 'mode');
}

export function debugPrepareOptions(params: DebugStartParams): DebugPrepareOptions {
  return pick(params, 'container', 'localDir', 'hotReload', 'localPort');
}

export function terminalOpenRequest(params: TerminalOpenParams): TerminalOpenRequest {
  return { ...pick(params, 'container', 'command', 'tty', 'cols', 'rows'), ref: workloadRef(params) };
}

export function logsOptions(params: LogsStreamParams): LogsOptions {
  return { ...pick(params, 'container', 'tailLines'), follow: params.follow ?? false };
}

export function resyncOptions(params: SyncResyncParams): { allowDeletes?: boolean } {
  return params.allowDeletes ? { allowDeletes: true } : {};
}

/** The named fields that are present. */
function pick<T extends object, K extends keyof T>(from: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}
