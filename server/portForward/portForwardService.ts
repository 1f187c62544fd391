import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { ErrorCode, type PortForward, type WorkloadRef } from '../../protocol';
import { NhdError, messageOf } from '../errors';
import { describe, getWorkload, kubeCallAsync, type Scope } from '../kubeScope';
import type { KubeObject, Logger } from '../ports';
import { choosePod, isPodReady, podSelector } from '../workloadPods';

/** The only address nhd listens on: a forward must never expose a pod to the network. */
export const LOOPBACK = '127.0.0.1';
/** How long a connection waits for a ready pod (during a restart) before it is closed. */
export const WAIT_FOR_POD_MS = 30_000;

interface Forward {
  info: PortForward;
  scope: Scope;
  server: net.Server;
  /** Stops the pod watch. */
  watch: AbortController;
  /** The workload's pods by name, kept current by the watch. */
  pods: Map<string, KubeObject>;
  sockets: Set<net.Socket>;
  /** Connections waiting for a ready pod. */
  waiters: Set<() => void>;
}

/**
 * Port-forwards the daemon holds: 127.0.0.1:localPort to a port of the workload's current ready
 * pod, one API-server stream per connection. A watch on the workload's pods keeps the target
 * current, so a forward follows the workload to its new pod after a restart. Forwards are daemon
 * state: they outlive the client that started them, until stopped.
 */
export class PortForwardService {
  private readonly forwards = new Map<string, Forward>();

  /** `broadcast` receives the whole list after every start, stop or change of pod. */
  constructor(
    private readonly log: Logger,
    private readonly broadcast: (portForwards: PortForward[]) => void,
    private readonly waitForPodMs = WAIT_FOR_POD_MS,
  ) {}

  async start(scope: Scope, ref: WorkloadRef, localPort: number, remotePort: number): Promise<PortForward> {
    const workload = await getWorkload(scope, ref);
    // Connections are not read until the pod stream takes them: their first bytes wait in the socket.
    const server = net.createServer();
    await this.listen(server, localPort, ref, remotePort);
    const address = server.address() as net.AddressInfo;
    const forward: Forward = {
      info: {
        id: `pf-${randomBytes(4).toString('hex')}`,
        context: scope.context,
        namespace: scope.namespace,
        kind: ref.kind,
        name: ref.name,
        address: LOOPBACK,
        localPort: address.port,
        remotePort,
        state: 'waiting',
        connections: 0,
      },
      scope,
      server,
      watch: new AbortController(),
      pods: new Map(),
      sockets: new Set(),
      waiters: new Set(),
    };
    try {
      await this.watchPods(forward, ref, workload);
    } catch (error) {
      forward.watch.abort();
      server.close();
      throw error;
    }
    server.on('connection', (socket) => void this.accept(forward, socket));
    this.forwards.set(forward.info.id, forward);
    this.log.log('info', 'portForward', 'port-forward started', { ...forward.info });
    this.changed();
    return { ...forward.info };
  }

  /**
   * Starts the forwards of a dev config's `portForward` list ("39080:9080", or "9080" for the same
   * port on both sides); a forward that already exists for the same workload and ports is kept.
   */
  async startFromConfig(scope: Scope, ref: WorkloadRef, pairs: string[]): Promise<PortForward[]> {
    const started: PortForward[] = [];
    for (const pair of pairs) {
      const { localPort, remotePort } = parsePortPair(pair);
      const existing = [...this.forwards.values()].find(
        (f) =>
          f.info.context === scope.context &&
          f.info.namespace === scope.namespace &&
          f.info.kind === ref.kind &&
          f.info.name === ref.name &&
          f.info.localPort === localPort &&
          f.info.remotePort === remotePort,
      );
      started.push(existing ? { ...existing.info } : await this.start(scope, ref, localPort, remotePort));
    }
    return started;
  }

  list(): PortForward[] {
    return [...this.forwards.values()].map((f) => ({ ...f.info }));
  }

  /** Stops one forward, or all with "all"; returns the forwards left. */
  stop(id: string): PortForward[] {
    const ids = id === 'all' ? [...this.forwards.keys()] : [id];
    if (id !== 'all' && !this.forwards.has(id)) {
      throw new NhdError(ErrorCode.UnknownHandle, `No port-forward ${id}; \`nhd port-forward --list\` shows the ones this daemon holds.`);
    }
    for (const each of ids) this.end(each);
    if (ids.length > 0) this.changed();
    return this.list();
  }

  /** Stops the forwards to one workload (its dev session ended). */
  stopFor(scope: { context: string; namespace: string }, ref: WorkloadRef): void {
    const ids = [...this.forwards.entries()]
      .filter(([, f]) => f.info.context === scope.context && f.info.namespace === scope.namespace && f.info.kind === ref.kind && f.info.name === ref.name)
      .map(([id]) => id);
    for (const id of ids) this.end(id);
    if (ids.length > 0) this.changed();
  }

  /** Forwards held now; the shared daemon stays up while there are any. */
  count(): number {
    return this.forwards.size;
  }

  /** Stops everything (the daemon is exiting). */
  dispose(): void {
    for (const id of [...this.forwards.keys()]) this.end(id);
  }

  private listen(server: net.Server, localPort: number, ref: WorkloadRef, remotePort: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') return reject(error);
        const ours = [...this.forwards.values()].find((f) => f.info.localPort === localPort);
        const local = `${LOOPBACK}:${localPort}`;
        const message =
          error.code === 'EACCES'
            ? `${local} cannot be used: permission denied (ports below 1024 need privileges); pick a higher local port, or 0 for a free one.`
            : ours
              ? `${local} is already forwarded to ${ours.info.kind}/${ours.info.name}:${ours.info.remotePort} by ${ours.info.id}; stop it with \`nhd port-forward --stop ${ours.info.id}\`, or pick another local port (0 picks a free one).`
              : `${local} is in use by another program; pick another local port for ${describe(ref)}:${remotePort} (0 picks a free one).`;
        reject(new NhdError(ErrorCode.PortInUse, message));
      });
      // exclusive: a port shared with another process through cluster mode is not ours to use.
      server.listen({ host: LOOPBACK, port: localPort, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (error) => this.log.log('warn', 'portForward', `port-forward listener failed: ${error.message}`));
        resolve();
      });
    });
  }

  private async watchPods(forward: Forward, ref: WorkloadRef, workload: KubeObject): Promise<void> {
    // A bare Pod has no selector: watch the namespace's pods and keep the one with its name.
    const selector = ref.kind === 'pod' ? undefined : podSelector(ref.kind, workload);
    if (ref.kind !== 'pod' && selector === undefined) {
      throw new NhdError(ErrorCode.WorkloadNotFound, `${describe(ref)} has no pod selector, so nhd cannot tell which pods to forward to.`);
    }
    const { scope } = forward;
    await kubeCallAsync(() =>
      scope.cluster.watch(
        scope.context,
        scope.namespace,
        { apiVersion: 'v1', kind: 'Pod' },
        (type, pod) => {
          if (ref.kind === 'pod' && pod.metadata.name !== ref.name) return;
          if (type === 'DELETED') forward.pods.delete(pod.metadata.name);
          else forward.pods.set(pod.metadata.name, pod);
          this.retarget(forward);
        },
        forward.watch.signal,
        selector,
      ),
    );
    this.retarget(forward);
  }

  /** The ready pod connections go to now, newest first (dev pods preferred). */
  private currentPod(forward: Forward): string | undefined {
    return choosePod([...forward.pods.values()].filter(isPodReady))?.metadata.name;
  }

  private retarget(forward: Forward): void {
    const pod = this.currentPod(forward);
    const state = pod === undefined ? 'waiting' : 'active';
    if (pod === forward.info.pod && state === forward.info.state) return;
    if (pod === undefined) delete forward.info.pod;
    else forward.info.pod = pod;
    forward.info.state = state;
    if (pod !== undefined) for (const wake of [...forward.waiters]) wake();
    if (this.forwards.has(forward.info.id)) {
      this.log.log('info', 'portForward', 'port-forward target changed', { id: forward.info.id, pod, state });
      this.changed();
    }
  }

  private async accept(forward: Forward, socket: net.Socket): Promise<void> {
    socket.on('error', () => {});
    forward.sockets.add(socket);
    forward.info.connections++;
    try {
      const pod = this.currentPod(forward) ?? (await this.waitForPod(forward, socket));
      if (pod === undefined || socket.destroyed) {
        socket.destroy();
        return;
      }
      const { scope } = forward;
      await scope.cluster.portForward(scope.context, scope.namespace, pod, forward.info.remotePort, socket);
    } catch (error) {
      this.log.log('warn', 'portForward', `port-forward connection failed: ${messageOf(error)}`, { id: forward.info.id });
      socket.destroy();
    } finally {
      forward.sockets.delete(socket);
      forward.info.connections--;
    }
  }

  /** Holds a connection while no pod is ready (a restart); undefined after the wait or a stop. */
  private waitForPod(forward: Forward, socket: net.Socket): Promise<string | undefined> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        forward.waiters.delete(done);
        socket.off('close', done);
        resolve(this.forwards.has(forward.info.id) ? this.currentPod(forward) : undefined);
      };
      const timer = setTimeout(done, this.waitForPodMs);
      forward.waiters.add(done);
      socket.once('close', done);
    });
  }

  private end(id: string): void {
    const forward = this.forwards.get(id);
    if (!forward) return;
    this.forwards.delete(id);
    forward.watch.abort();
    forward.server.close();
    for (const wake of [...forward.waiters]) wake();
    for (const socket of forward.sockets) socket.destroy();
    this.log.log('info', 'portForward', 'port-forward stopped', { id });
  }

  private changed(): void {
    this.broadcast(this.list());
  }
}

/** "39080:9080" → 39080 to 9080; "9080" → 9080 to 9080. */
export function parsePortPair(pair: string): { localPort: number; remotePort: number } {
  const match = /^\s*(\d{1,5})(?::(\d{1,5}))?\s*$/.exec(pair);
  const local = Number(match?.[1]);
  const remote = match?.[2] === undefined ? local : Number(match[2]);
  if (!match || local > 65535 || remote < 1 || remote > 65535) {
    throw new NhdError(ErrorCode.ConfigInvalid, `portForward entry ${JSON.stringify(pair)} is not LOCAL:REMOTE or PORT (for example "39080:9080" or "9080").`);
  }
  return { localPort: local, remotePort: remote };
}
