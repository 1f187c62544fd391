import { EventEmitter } from 'node:events';
import { ErrorCode, PROTOCOL_VERSION, type ClientSummary, type StatusResult } from '../protocol';
import { NhdError } from './errors';
import type { Cluster, Logger } from './ports';
import type { ServiceEvent, Services } from './services';

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
}

/**
 * What every client hears of: the services' events, and a change of the daemon's status (a client
 * came or went, a session or a port-forward started or ended). A closed union: server/rpc maps
 * each kind to its protocol notification.
 */
export type DaemonEvent = ServiceEvent | { kind: 'statusChanged' };

interface DaemonEvents {
  event: [DaemonEvent];
  /** Someone asked the daemon to stop; the composition root closes listeners and exits. */
  stopRequested: [reason: string];
}

/**
 * The state every connected client shares: the clients, the services (built by createServices and
 * handed in), the clusters by KUBECONFIG, what keeps the daemon alive, and stopping. Transport-free:
 * server/rpc binds a connection to it, clients/cli/serve.ts decides how the process listens and
 * when it exits.
 */
export class Daemon extends EventEmitter<DaemonEvents> {
  readonly options: DaemonOptions;
  readonly log: Logger;
  readonly services: Services;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly clients = new Map<number, ClientSummary>();
  private nextClientId = 1;
  private stopping = false;
  private readonly clusters = new Map<string, Cluster>();
  /** Things besides clients that keep the daemon alive: each counts its own. */
  private readonly holders: (() => number)[];

  constructor(options: DaemonOptions, services: Services) {
    super();
    this.options = options;
    this.log = options.log;
    this.services = services;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.holders = [
      () => services.portForwards.count(),
      // A failed session holds nothing: its state is in the cluster, and any daemon's dev end restores it.
      () => services.dev.list().filter((session) => session.state !== 'failed').length,
      () => services.debug.count(),
    ];
    services.events.on('event', (event) => {
      this.emit('event', event);
      if (event.kind === 'devChanged' || event.kind === 'portForwardsChanged') this.statusChanged();
    });
    // Listening sockets and pod watches would keep a stopped daemon's process (and ports) alive.
    this.once('stopRequested', () => services.dispose());
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

  /** Registers a new connection and returns its id. */
  addClient(): number {
    const id = this.nextClientId++;
    this.clients.set(id, { id, name: 'unknown', connectedAt: new Date(this.now()).toISOString() });
    this.log.log('info', 'client', 'client connected', { id, clients: this.clients.size });
    this.statusChanged();
    return id;
  }

  /** Records what the client said of itself in `initialize`. */
  describeClient(id: number, name: string, version: string | undefined): void {
    const client = this.clients.get(id);
    if (!client) return;
    client.name = name;
    if (version !== undefined) client.version = version;
    this.statusChanged();
  }

  removeClient(id: number): void {
    if (!this.clients.delete(id)) return;
    this.log.log('info', 'client', 'client disconnected', { id, clients: this.clients.size });
    this.statusChanged();
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
      sessions: this.services.dev.list().map((d) => ({ id: d.id, kind: d.kind, name: d.name, namespace: d.namespace, state: d.state })),
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

  private statusChanged(): void {
    this.emit('event', { kind: 'statusChanged' });
  }
}
