import type { DevSession } from '../../../../protocol';
import { formatWorkload, parseWorkload } from './workloadRef';

/**
 * A debug configuration of type `nhd`, as the attach request `nhd dap` takes it: nhd things
 * (workload, namespace, context, container, language, roots); any other field goes to the
 * debugger in the container unchanged (justMyCode, showGlobalVariables, ...).
 */
export interface NhdDebugConfiguration {
  type: 'nhd';
  request: 'attach';
  name: string;
  /** `deployment/authors`. */
  workload: string;
  namespace?: string;
  context?: string;
  container?: string;
  localRoot?: string;
  remoteRoot?: string;
  language?: string;
  [field: string]: unknown;
}

export type DebugResolution =
  | { kind: 'resolved'; config: NhdDebugConfiguration }
  /** Several workloads are in dev mode: ask which, then resolve again with `workload` set. */
  | { kind: 'pick'; sessions: DevSession[] }
  | { kind: 'error'; message: string };

export interface DebugResolutionContext {
  /** The folder the configuration belongs to (F5's workspace folder). */
  workspaceFolder?: string;
  /** The dev sessions this daemon holds. */
  sessions: readonly DevSession[];
  /** The nhd.context / nhd.namespace settings, when set. */
  defaults?: { context?: string; namespace?: string };
}

/**
 * Fills in a debug configuration the way F5 expects: with no launch.json, the workload this
 * daemon holds in dev mode (or a pick among several); the namespace, context and localRoot of
 * its dev session. Pure; src/ui/debug.ts asks the questions.
 */
export function resolveDebugConfiguration(input: Record<string, unknown>, ctx: DebugResolutionContext): DebugResolution {
  const config: Record<string, unknown> = { ...input };
  // F5 with no launch.json: VS Code passes an empty configuration.
  if (!config['type'] && !config['request'] && !config['name']) {
    config['type'] = 'nhd';
    config['request'] = 'attach';
  }
  if (config['type'] !== 'nhd') return { kind: 'error', message: `Not an nhd debug configuration (type ${String(config['type'])}).` };
  if (config['request'] !== 'attach') return { kind: 'error', message: 'nhd debug configurations attach to a workload in dev mode: set "request": "attach".' };
  const str = (key: string) => (typeof config[key] === 'string' && config[key] !== '' ? (config[key] as string) : undefined);
  const live = ctx.sessions.filter((s) => s.state === 'starting' || s.state === 'ready');

  let session: DevSession | undefined;
  const workloadText = str('workload');
  if (workloadText === undefined) {
    if (live.length === 0) return { kind: 'error', message: 'No workload is in dev mode. Start dev mode on one from the nhd view (Dev Start), or set "workload" (deployment/NAME) in launch.json.' };
    if (live.length > 1) return { kind: 'pick', sessions: live };
    session = live[0];
  } else {
    const ref = parseWorkload(workloadText);
    if (!ref) return { kind: 'error', message: `"workload" must be KIND/NAME, such as deployment/authors; got ${JSON.stringify(workloadText)}.` };
    const namespace = str('namespace');
    const context = str('context');
    session = live.find((s) => s.kind === ref.kind && s.name === ref.name && (namespace === undefined || s.namespace === namespace) && (context === undefined || s.context === context));
    config['workload'] = formatWorkload(ref);
  }
  if (session) {
    config['workload'] = formatWorkload(session);
    config['namespace'] ??= session.namespace;
    config['context'] ??= session.context;
    if (str('localRoot') === undefined && session.localDir) config['localRoot'] = session.localDir;
  }
  if (str('namespace') === undefined && ctx.defaults?.namespace) config['namespace'] = ctx.defaults.namespace;
  if (str('context') === undefined && ctx.defaults?.context) config['context'] = ctx.defaults.context;
  if (str('localRoot') === undefined && ctx.workspaceFolder) config['localRoot'] = ctx.workspaceFolder;
  for (const key of ['namespace', 'context', 'localRoot', 'remoteRoot', 'container', 'language']) if (config[key] === '') delete config[key];
  config['name'] = str('name') ?? `nhd: ${String(config['workload'])}`;
  return { kind: 'resolved', config: config as NhdDebugConfiguration };
}

/** The attach arguments `nhd dap` receives: the configuration without VS Code's own fields. */
export function attachArguments(config: NhdDebugConfiguration): Record<string, unknown> {
  const { type: _type, request: _request, name: _name, ...rest } = config;
  return Object.fromEntries(Object.entries(rest).filter(([key]) => !key.startsWith('__')));
}
