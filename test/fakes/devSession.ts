import type { DevSession, DevSettings, WorkloadRef } from '../../protocol';
import type { Scope } from '../../server/kubeScope';
import type { Cluster } from '../../server/ports';

/** The workload every service test works on, and where. */
export const REF: WorkloadRef = { kind: 'deployment', name: 'authors' };
export const SESSION_ID = 'ctx/ns/deployment/authors';

export function scopeOf(cluster: Cluster): Scope {
  return { cluster, context: 'ctx', namespace: 'ns' };
}

/** A ready dev session of REF held by this daemon, its dev pod `authors-1`. */
export function readySession(overrides: Partial<DevSession> = {}): DevSession {
  return {
    id: SESSION_ID,
    context: 'ctx',
    namespace: 'ns',
    kind: 'deployment',
    name: 'authors',
    container: 'app',
    image: 'dev-image',
    workDir: '/work',
    localDir: '/src/authors',
    pod: 'authors-1',
    state: 'ready',
    owner: { identity: 'test@laptop', session: 'test', since: '2026-01-01T00:00:00Z' },
    ...overrides,
  };
}

/** Dev settings with only what the run and debug services read (commands, hot reload, debug). */
export function devSettings(overrides: { command?: Partial<DevSettings['command']>; hotReload?: boolean; debug?: DevSettings['debug'] } = {}): DevSettings {
  return {
    hotReload: overrides.hotReload ?? false,
    command: { build: [], run: ['./run.sh'], debug: ['./debug.sh'], hotReloadRun: [], hotReloadDebug: [], ...overrides.command },
    debug: overrides.debug ?? { remoteDebugPort: 2345, language: 'go' },
  } as DevSettings;
}
