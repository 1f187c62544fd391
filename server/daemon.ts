import { EventEmitter } from 'node:events';
import { PROTOCOL_VERSION, type ClientSummary, type StatusResult } from '../protocol';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { ErrorCode } from '../protocol';
import { NhdError } from './errors';
import type { AgentLauncher, AgentLink, Cluster, DapChannel, DapConnector, FileWatcher, Logger } from './ports';
import { SyncService } from './sync/syncService';
import { AppService } from './app/appService';
import { DevModeService } from './devMode/devModeService';
import { WorkloadsService } from './workloads/workloadsService';
import { LogsService } from './logs/logsService';
import { PortForwardService } from './portForward/portForwardService';
import { TerminalService } from './terminal/terminalService';
import { RunService } from './run/runService';
import { DebugService } from './debug/debugService';

/** How the composition root started the daemon. */
export interface DaemonOptions {
  /** nhd's version (the npm package's). */
  version: string;
  mode: 'stdio' | 'socket';
  socketPath?: string;
  logFile: string;
  /** Serve `nhd/test/*` methods (NHD_TEST_HOOKS=1). */
  testHooks: boolean;
  log: Logger;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /**
   * Makes the Cluster for a KUBECONFIG value (a path list; undefined: the daemon's own
   * environment). Absent in daemons built without Kubernetes (unit tests).
   */
  createCluster?: (kubeconfig: string | undefined) => Cluster;
  /** Who this daemon acts for, as `user@host` (default: the OS user and host, or NHD_IDENTITY). */
  identity?: string;
  /** File sync's edges: the local watcher and the agent in the sidecar. Absent: dev sessions do not sync. */
  fileSync?: { watcher: FileWatcher; launchAgent: AgentLauncher; launchLocalAgent: (root: string) => Promise<AgentLink> };
  /** DAP's wire (adapters/dap): the IDE's side over a socket, the debugger's over TCP. Absent: no `nhd/debug/listen`. */
  dap?: { connect: DapConnector; channel: (input: NodeJS.ReadableStream, output: NodeJS.WritableStream) => DapChannel };
}

interface DaemonEvents {
  /** The status changed: a client came or went, a session started or ended. */
  statusChanged: [];
  /** Nothing holds the daemon any more: no client, no session. */
  idle: [];
  /** Someone asked the daemon to stop; the composition root closes listeners and exits. */
  stopRequested: [reason: string];
  /** A notification for every connected client. */
  broadcast: [method: string, params: unknown];
}

/**
 * The daemon's state, shared by every connected client. Transport-free: server/rpc binds a
 * connection to it, clients/cli/serve.ts decides how the process listens and when it exits.
 */
export class Daemon extends EventEmitter<DaemonEvents> {
  readonly options: DaemonOptions;
  readonly log: Logger;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly clients = new Map<number, ClientSummary>();
  private nextClientId = 1;
  private stopping = false;
  private readonly clusters = new Map<string, Cluster>();
  /** Who the daemon acts for: written as the owner of dev sessions it starts. */
  readonly identity: string;
  /** This daemon process's session id, written beside the identity. */
  readonly sessionId = randomBytes(6).toString('hex');
  readonly dev: DevModeService;
  readonly workloads = new WorkloadsService();
  readonly apps = new AppService();
  readonly terminals: TerminalService;
  readonly portForwards: PortForwardService;
  readonly logs = new LogsService();
  readonly sync: SyncService;
  readonly runs: RunService;
  readonly debug: DebugService;
  /** Things besides clients that keep the daemon alive (port-forwards, ...): each counts its own. */
  private readonly holders: (() => number)[] = [];

  constructor(options: DaemonOptions) {
    super();
    this.options = options;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.identity = options.identity ?? `${os.userInfo().username}@${os.hostname()}`;
    this.portForwards = new PortForwardService(this.log, (list) => {
      this.broadcast('nhd/portForward/didChange', { portForwards: list });
      this.emit('statusChanged');
      if (this.isIdle()) this.emit('idle');
    });
    this.holders.push(() => this.portForwards.count());
    this.terminals = new TerminalService(this.log);
    // Listening sockets and pod watches would keep a stopped daemon's process (and ports) alive.
    this.once('stopRequested', () => {
      this.portForwards.dispose();
      this.terminals.dispose();
    });
    const fileSync = options.fileSync;
    this.sync = new SyncService({
      log: this.log,
      watcher: fileSync?.watcher ?? { watch: () => Promise.reject(new Error('This daemon was built without file sync.')) },
      launchAgent: fileSync?.launchAgent ?? (() => Promise.reject(new Error('This daemon was built without file sync.'))),
      launchLocalAgent: fileSync?.launchLocalAgent ?? (() => Promise.reject(new Error('This daemon was built without file sync.'))),
      onChange: (status) => this.broadcast('nhd/sync/didChange', status),
      now: this.now,
    });
    this.once('stopRequested', () => void this.sync.stopAll());
    this.once('stopRequested', () => this.runs.dispose());
    // Hot reload restarts a run on the batches sync applied to its session.
    this.runs = new RunService({
      log: this.log,
      sync: this.sync,
      sessions: () => this.dev.list(),
      settingsOf: (id) => this.dev.settingsOf(id),
      onChange: (params) => this.broadcast('nhd/run/didChange', params),
      now: this.now,
    });
    this.dev = new DevModeService({
      log: this.log,
      env: process.env,
      identity: this.identity,
      sessionId: this.sessionId,
      now: this.now,
      portForwards: this.portForwards,
      ...(fileSync ? { sync: this.sync } : {}),
      onSessionChange: (session) => {
        // A run lives in the dev container: it ends with dev mode.
        if (session.state === 'ending' || session.state === 'ended') this.runs.stopFor(session.id, `Dev mode of ${session.kind}/${session.name} ended.`);
        this.broadcast('nhd/dev/didChange', session);
        this.emit('statusChanged');
        if (this.isIdle()) this.emit('idle');
      },
    });
    // A failed session holds nothing: its state is in the cluster, and any daemon's dev end restores it.
    this.holders.push(() => this.dev.list().filter((session) => session.state !== 'failed').length);
    this.debug = new DebugService({
      log: this.log,
      dev: this.dev,
      sync: this.sync,
      runs: this.runs,
      portForwards: this.portForwards,
      ...(options.dap ? { dap: options.dap } : {}),
    });
    this.holders.push(() => this.debug.count());
    this.once('stopRequested', () => this.debug.dispose());
  }

  /** Sends a notification to every connected client. */
  broadcast(method: string, params: unknown): void {
    this.emit('broadcast', method, params);
  }

  /** Registers something that keeps the daemon alive while its count is above zero. */
  addHolder(count: () => number): void {
    this.holders.push(count);
  }

  /** The Cluster for a client's KUBECONFIG (one per distinct value, shared by its clients). */
  clusterFor(kubeconfig: string | undefined): Cluster {
    const create = this.options.createCluster;
    if (!create) throw new NhdError(ErrorCode.KubeUnreachable, 'This daemon was built without Kubernetes access.');
    const key = kubeconfig ?? '';
    let cluster = this.clusters.get(key);
    if (!cluster) {
      cluster = create(kubeconfig);
      this.clusters.set(key, cluster);
    }
    return cluster;
  }

  /** Milliseconds since the epoch, from the daemon's clock. */
  get nowMs(): number {
    return this.now();
  }

  /** Registers a new connection and returns its id. */
  addClient(): number {
    const id = this.nextClientId++;
    this.clients.set(id, { id, name: 'unknown', connectedAt: new Date(this.now()).toISOString() });
    this.log.log('info', 'client', 'client connected', { id, clients: this.clients.size });
    this.emit('statusChanged');
    return id;
  }

  /** Records what the client said of itself in `initialize`. */
  describeClient(id: number, name: string, version: string | undefined): void {
    const client = this.clients.get(id);
    if (!client) return;
    client.name = name;
    if (version !== undefined) client.version = version;
    this.emit('statusChanged');
  }

  removeClient(id: number): void {
    if (!this.clients.delete(id)) return;
    this.log.log('info', 'client', 'client disconnected', { id, clients: this.clients.size });
    this.emit('statusChanged');
    if (this.isIdle()) this.emit('idle');
  }

  /** True when nothing would be lost by exiting: no client connected, no session or forward held. */
  isIdle(): boolean {
    return this.clients.size === 0 && this.holders.every((count) => count() === 0);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  status(): StatusResult {
    const now = this.now();
    const result: StatusResult = {
      version: this.options.version,
      protocolVersion: PROTOCOL_VERSION,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeMs: now - this.startedAt,
      mode: this.options.mode,
      logFile: this.options.logFile,
      clients: [...this.clients.values()].map((c) => ({ ...c })),
      sessions: this.dev.list().map((d) => ({ id: d.id, kind: d.kind, name: d.name, namespace: d.namespace, state: d.state })),
    };
    if (this.options.socketPath !== undefined) result.socketPath = this.options.socketPath;
    return result;
  }

  /** Asks the process to stop. Idempotent. */
  requestStop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log.log('info', 'daemon', 'stop requested', { reason });
    this.emit('stopRequested', reason);
  }
}
