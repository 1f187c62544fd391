import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import type { DevSession, PortForward, RunInfo, RunReload, SyncStatus } from '../protocol';
import { AppService } from './app/appService';
import { DebugService } from './debug/debugService';
import { DevModeService } from './devMode/devModeService';
import { LogsService } from './logs/logsService';
import { PortForwardService } from './portForward/portForwardService';
import type { AgentLauncher, AgentLink, DapChannel, DapConnector, FileWatcher, Logger } from './ports';
import { RunService } from './run/runService';
import { SyncService } from './sync/syncService';
import { TerminalService } from './terminal/terminalService';
import { WorkloadsService } from './workloads/workloadsService';

/** File sync's edges: the local watcher and the agents in the sidecar and on the local directory. */
export interface FileSyncPorts {
  watcher: FileWatcher;
  launchAgent: AgentLauncher;
  launchLocalAgent: (root: string) => Promise<AgentLink>;
}

/** DAP's wire (adapters/dap): the IDE's side over a socket, the debugger's over TCP. */
export interface DapPorts {
  connect: DapConnector;
  channel: (input: NodeJS.ReadableStream, output: NodeJS.WritableStream) => DapChannel;
  /** Where `nhd/debug/listen` makes its unix sockets: a directory of this user's alone (made 0700). */
  socketDir: string;
}

/** What the services need from outside, as the composition root provides it. */
export interface ServicePorts {
  log: Logger;
  /** Who this daemon acts for, as `user@host` (default: the OS user and host). */
  identity?: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** The environment `${VAR}` in dev configs is rendered from (the daemon's own, from serve.ts). */
  env: Readonly<Record<string, string | undefined>>;
  /** Absent: dev sessions do not sync (and the sync service refuses, see WITHOUT_FILE_SYNC). */
  fileSync?: FileSyncPorts;
  /** Absent: no `nhd/debug/listen`. */
  dap?: DapPorts;
}

/**
 * What a service tells the clients about: a closed union, so that server/rpc maps every kind to
 * its protocol notification in one exhaustive switch.
 */
export type ServiceEvent =
  | { kind: 'devChanged'; session: DevSession }
  | { kind: 'syncChanged'; status: SyncStatus }
  | { kind: 'runChanged'; run: RunInfo; reload?: RunReload }
  | { kind: 'portForwardsChanged'; portForwards: PortForward[] };

/** The daemon's features, built once and shared by every client. */
export interface Services {
  readonly workloads: WorkloadsService;
  readonly apps: AppService;
  readonly logs: LogsService;
  readonly terminals: TerminalService;
  readonly portForwards: PortForwardService;
  readonly sync: SyncService;
  readonly dev: DevModeService;
  readonly runs: RunService;
  readonly debug: DebugService;
  /** Every ServiceEvent, in the order the services emitted them. */
  readonly events: EventEmitter<{ event: [ServiceEvent] }>;
  /** Ends what would keep a stopped daemon's process alive: listeners, pod watches, syncs, runs. */
  dispose(): void;
}

/** A daemon built without file sync's edges: the one value the sync service gets then. */
const WITHOUT_FILE_SYNC: FileSyncPorts = (() => {
  const refuse = () => Promise.reject(new Error('This daemon was built without file sync.'));
  return { watcher: { watch: refuse }, launchAgent: refuse, launchLocalAgent: refuse };
})();

/**
 * Builds every service in dependency order (each from the ones before it) and wires what one
 * service does when another changes. The composition root calls it and hands the result to the
 * Daemon.
 */
export function createServices(ports: ServicePorts): Services {
  const { log } = ports;
  const now = ports.now ?? Date.now;
  const events = new EventEmitter<{ event: [ServiceEvent] }>();
  const emit = (event: ServiceEvent) => events.emit('event', event);

  const workloads = new WorkloadsService();
  const logs = new LogsService();
  const terminals = new TerminalService(log);
  const portForwards = new PortForwardService(log, (list) => emit({ kind: 'portForwardsChanged', portForwards: list }));
  const apps = new AppService({ env: ports.env, portForwards });
  const sync = new SyncService({ log, ...(ports.fileSync ?? WITHOUT_FILE_SYNC), onChange: (status) => emit({ kind: 'syncChanged', status }), now });
  const dev = new DevModeService({
    log,
    identity: ports.identity ?? `${os.userInfo().username}@${os.hostname()}`,
    // This daemon process's session id, written beside the identity on the workloads it takes.
    sessionId: randomBytes(6).toString('hex'),
    now,
    env: ports.env,
    portForwards,
    ...(ports.fileSync ? { sync } : {}),
    onSessionChange: (session) => emit({ kind: 'devChanged', session }),
  });
  // Hot reload restarts a run on the batches sync applied to its session.
  const runs = new RunService({
    log,
    sync,
    sessions: () => dev.list(),
    settingsOf: (id) => dev.settingsOf(id),
    onChange: (change) => emit({ kind: 'runChanged', ...change }),
    now,
  });
  // A run lives in the dev container: it ends with dev mode. Registered first, so that it runs
  // before anyone hears of the change.
  events.on('event', (event) => {
    if (event.kind !== 'devChanged') return;
    const { session } = event;
    if (session.state === 'ending' || session.state === 'ended') runs.stopFor(session.id, `Dev mode of ${session.kind}/${session.name} ended.`);
  });
  const debug = new DebugService({ log, dev, sync, runs, portForwards, ...(ports.dap ? { dap: ports.dap } : {}) });

  return {
    workloads,
    apps,
    logs,
    terminals,
    portForwards,
    sync,
    dev,
    runs,
    debug,
    events,
    dispose: () => {
      portForwards.dispose();
      terminals.dispose();
      void sync.stopAll();
      runs.dispose();
      debug.dispose();
    },
  };
}
