import { applyPatch, type Operation } from 'fast-json-patch';
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Scope } from '../../server/kubeScope';
import {
  KubeApiError,
  type Cluster,
  type ExecProcess,
  type ExecStreams,
  type KubeConfigView,
  type KubeObject,
  type ResourceType,
  type WatchEventType,
} from '../../server/ports';

/**
 * An in-memory `Cluster` (server/ports.ts) for unit tests of server/ logic: objects stored as
 * plain JSON, resourceVersions that conflict as the API server's do, JSON merge patch, deletes that
 * cascade to owned pods, watches that list first and then deliver every change, and a small
 * controller that gives Deployments, StatefulSets, DaemonSets and Jobs pods from their templates
 * (bare Pods too get a status), each walking a scripted lifecycle (default: creating, then ready).
 * exec answers from a script. Faults are injected per call with `failNext`; the factories at the
 * bottom are the common faulty clusters.
 *
 * What it does not do: defaulting (no fields are added to a spec, so a spec reads back exactly as
 * written), admission, finalizers or graceful termination (a delete is immediate), CronJob
 * schedules, port-forward and logs. Behaviour that depends on those is proven on the real cluster
 * (test/e2e), never here.
 */

/** One call the fake received, as recorded in `calls` and passed to a fault's `when`. */
export interface FakeCall {
  method: 'get' | 'list' | 'create' | 'replace' | 'mergePatch' | 'patch' | 'delete' | 'apply' | 'watch' | 'exec';
  namespace: string;
  type: ResourceType;
  name?: string;
  /** The object written (create, replace, apply), as sent. */
  object?: KubeObject;
  /** The patch (mergePatch, patch). */
  patch?: unknown;
}

/** What a scripted exec answers. */
export interface ExecAnswer {
  stdout?: string;
  stderr?: string;
  /** null: the stream broke without a status. */
  exitCode: number | null;
}

export type ExecScript = (target: { namespace: string; pod: string; container: string; command: string[] }, stdin: string) => ExecAnswer | Promise<ExecAnswer>;

/** A pod's statuses after it is created, the first at once and each next one a tick later. */
export type PodLifecycle = (pod: KubeObject) => object[];

export interface FakeClusterOptions {
  /** The kubeconfig context the fake answers to (default `fake`). */
  context?: string;
  /** Give workloads pods as their controllers would (default true). */
  controllers?: boolean;
  podLifecycle?: PodLifecycle;
  exec?: ExecScript;
  /** What becomes of a new PersistentVolumeClaim: bound right after it is created (default), or left pending. */
  claims?: 'bind' | 'pending';
}

interface Fault {
  method: FakeCall['method'];
  remaining: number;
  when: (call: FakeCall, cluster: FakeCluster) => boolean;
  error: () => unknown;
}

interface Watcher {
  namespace: string;
  type: ResourceType;
  selector: Selector;
  onEvent: (type: WatchEventType, object: KubeObject) => void;
}

const POD: ResourceType = { apiVersion: 'v1', kind: 'Pod' };
const CONTROLLED_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** The fake's one node, for a DaemonSet's node selector. */
const NODE_LABELS: Record<string, string> = { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': 'fake-node' };
const fitsTheNode = (spec: { nodeSelector?: Record<string, string> } | undefined) => Object.entries(spec?.nodeSelector ?? {}).every(([k, v]) => NODE_LABELS[k] === v);
const TEMPLATE_HASH_LABEL = 'fake.nhd/template-hash';

export class FakeCluster implements Cluster {
  readonly context: string;
  /** Every call, in order (reads included), for assertions on what was done when. */
  readonly calls: FakeCall[] = [];
  /** Keys (`Kind/namespace/name`) of objects deleted so far. */
  readonly deleted = new Set<string>();
  private readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<Watcher>();
  private readonly faults: Fault[] = [];
  private version = 0;
  private clock = Date.parse('2025-01-01T00:00:00Z');

  constructor(private readonly options: FakeClusterOptions = {}) {
    this.context = options.context ?? 'fake';
  }

  /** Where a test's requests work: this cluster, its context, the namespace. */
  scope(namespace = 'default'): Scope {
    return { cluster: this, context: this.context, namespace };
  }

  /** Stores objects as they are (a pre-existing cluster state), giving their pods as a controller would. */
  seed(...objects: KubeObject[]): void {
    for (const object of objects) this.store(this.stamp(structuredClone(object), undefined), 'ADDED');
  }

  /** The stored object, a copy, without recording a call. */
  object(type: ResourceType | string, namespace: string, name: string): KubeObject | undefined {
    const stored = this.objects.get(keyOf(typeof type === 'string' ? type : type.kind, namespace, name));
    return stored && structuredClone(stored);
  }

  /** Every stored object of a kind in a namespace, copies. */
  objectsOf(kind: string, namespace: string): KubeObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind && o.metadata.namespace === namespace).map((o) => structuredClone(o));
  }

  /**
   * Makes the next calls of `method` (those `when` accepts, `times` of them, default 1) fail with
   * `error` (default a 500 KubeApiError) instead of doing anything.
   */
  failNext(method: FakeCall['method'], fault: { times?: number; when?: (call: FakeCall, cluster: FakeCluster) => boolean; error?: () => unknown } = {}): void {
    this.faults.push({
      method,
      remaining: fault.times ?? 1,
      when: fault.when ?? (() => true),
      error: fault.error ?? (() => new KubeApiError(500, 'InternalError', `injected ${method} failure`)),
    });
  }

  config(): KubeConfigView {
    return { files: [], currentContext: this.context, contexts: [{ name: this.context, cluster: this.context, user: 'fake', namespace: 'default' }] };
  }

  defaultNamespace(): string {
    return 'default';
  }

  async namespaces(): Promise<string[]> {
    return [...new Set(['default', ...[...this.objects.values()].map((o) => o.metadata.namespace ?? 'default')])].sort();
  }

  async get(context: string, namespace: string, type: ResourceType, name: string): Promise<KubeObject | undefined> {
    this.enter(context, { method: 'get', namespace, type, name });
    return this.object(type, namespace, name);
  }

  async list(context: string, namespace: string, type: ResourceType, labelSelector?: string): Promise<KubeObject[]> {
    this.enter(context, { method: 'list', namespace, type });
    const selector = parseSelector(labelSelector);
    return this.objectsOf(type.kind, namespace).filter((o) => selector(o.metadata.labels ?? {}));
  }

  async create(context: string, object: KubeObject): Promise<KubeObject> {
    const namespace = object.metadata.namespace ?? 'default';
    this.enter(context, { method: 'create', namespace, type: typeOf(object), name: object.metadata.name, object: structuredClone(object) });
    const key = keyOf(object.kind, namespace, object.metadata.name);
    if (this.objects.has(key)) throw new KubeApiError(409, 'AlreadyExists', `${object.kind} "${object.metadata.name}" already exists`);
    const created = this.stamp(structuredClone(object), undefined);
    created.metadata.namespace = namespace;
    const answer = structuredClone(this.store(created, 'ADDED'));
    // As a provisioner of an Immediate StorageClass would, a moment after the create.
    if (object.kind === 'PersistentVolumeClaim' && (this.options.claims ?? 'bind') === 'bind') {
      queueMicrotask(() => {
        const stored = this.objects.get(key);
        if (stored) this.store(this.stamp({ ...structuredClone(stored), status: { phase: 'Bound' } }, stored), 'MODIFIED');
      });
    }
    return answer;
  }

  async replace(context: string, object: KubeObject): Promise<KubeObject> {
    const namespace = object.metadata.namespace ?? 'default';
    this.enter(context, { method: 'replace', namespace, type: typeOf(object), name: object.metadata.name, object: structuredClone(object) });
    const existing = this.objects.get(keyOf(object.kind, namespace, object.metadata.name));
    if (!existing) throw notFound(object.kind, object.metadata.name);
    const sent = object.metadata.resourceVersion;
    if (sent !== undefined && sent !== existing.metadata.resourceVersion) {
      throw new KubeApiError(409, 'Conflict', `Operation cannot be fulfilled on ${object.kind} "${object.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    // The status is a subresource: a PUT of the object keeps the stored one.
    const next: KubeObject = { ...structuredClone(object), ...(existing.status !== undefined ? { status: existing.status } : {}) };
    if (existing.status === undefined) delete next.status;
    return structuredClone(this.store(this.stamp(next, existing), 'MODIFIED'));
  }

  async mergePatch(context: string, namespace: string, type: ResourceType, name: string, patch: object): Promise<KubeObject> {
    this.enter(context, { method: 'mergePatch', namespace, type, name, patch: structuredClone(patch) });
    const existing = this.objects.get(keyOf(type.kind, namespace, name));
    if (!existing) throw notFound(type.kind, name);
    const next = mergePatch(structuredClone(existing), patch) as KubeObject;
    return structuredClone(this.store(this.stamp(next, existing), 'MODIFIED'));
  }

  /** Merge and JSON patches as the API server computes them; strategic merge needs the real one (the e2e suite). */
  async patch(context: string, namespace: string, type: ResourceType, name: string, patch: unknown, patchType: 'strategic' | 'merge' | 'json'): Promise<KubeObject> {
    this.enter(context, { method: 'patch', namespace, type, name, patch: structuredClone(patch) });
    const existing = this.objects.get(keyOf(type.kind, namespace, name));
    if (!existing) throw notFound(type.kind, name);
    if (patchType === 'strategic') throw new Error('FakeCluster cannot compute strategic merge patches; test those against the real cluster');
    const next = (patchType === 'merge' ? mergePatch(structuredClone(existing), patch) : applyPatch(structuredClone(existing), patch as Operation[]).newDocument) as KubeObject;
    return structuredClone(this.store(this.stamp(next, existing), 'MODIFIED'));
  }

  async delete(context: string, namespace: string, type: ResourceType, name: string): Promise<boolean> {
    this.enter(context, { method: 'delete', namespace, type, name });
    return this.remove(keyOf(type.kind, namespace, name));
  }

  /** Server-side apply, approximated: create, or a merge patch of everything but the resourceVersion. */
  async apply(context: string, object: KubeObject): Promise<KubeObject> {
    const namespace = object.metadata.namespace ?? 'default';
    this.enter(context, { method: 'apply', namespace, type: typeOf(object), name: object.metadata.name, object: structuredClone(object) });
    const existing = this.objects.get(keyOf(object.kind, namespace, object.metadata.name));
    const patch = structuredClone(object);
    delete patch.metadata.resourceVersion;
    patch.metadata.namespace = namespace;
    if (!existing) return structuredClone(this.store(this.stamp(patch, undefined), 'ADDED'));
    return structuredClone(this.store(this.stamp(mergePatch(structuredClone(existing), patch) as KubeObject, existing), 'MODIFIED'));
  }

  async watch(
    context: string,
    namespace: string,
    type: ResourceType,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    signal: AbortSignal,
    labelSelector?: string,
  ): Promise<void> {
    this.enter(context, { method: 'watch', namespace, type });
    if (signal.aborted) return;
    const watcher: Watcher = { namespace, type, selector: parseSelector(labelSelector), onEvent };
    for (const object of this.objectsOf(type.kind, namespace)) if (watcher.selector(object.metadata.labels ?? {})) onEvent('ADDED', object);
    this.watchers.add(watcher);
    signal.addEventListener('abort', () => this.watchers.delete(watcher), { once: true });
  }

  async exec(context: string, namespace: string, pod: string, container: string, command: string[], streams: ExecStreams): Promise<ExecProcess> {
    this.enter(context, { method: 'exec', namespace, type: POD, name: pod });
    const script = this.options.exec;
    if (!script) throw new Error(`FakeCluster: no exec script for ${command.join(' ')}`);
    if (!this.objects.has(keyOf('Pod', namespace, pod))) throw notFound('Pod', pod);
    const stdin = streams.stdin ? readAll(streams.stdin) : Promise.resolve('');
    const exited = stdin
      .then((input) => script({ namespace, pod, container, command }, input))
      .then((answer) => {
        if (answer.stdout) streams.stdout.write(answer.stdout);
        if (answer.stderr) streams.stderr?.write(answer.stderr);
        return answer.exitCode;
      });
    return { exited, resize() {}, close() {} };
  }

  async portForward(_context: string, _namespace: string, pod: string, port: number, _connection: Duplex): Promise<void> {
    throw new Error(`FakeCluster does not forward ports (pod ${pod}, port ${port})`);
  }

  async logs(): Promise<void> {
    throw new Error('FakeCluster has no logs');
  }

  private enter(context: string, call: FakeCall): void {
    if (context !== this.context) throw new Error(`FakeCluster: context "${context}" does not exist (it answers to "${this.context}")`);
    this.calls.push(call);
    const fault = this.faults.find((f) => f.method === call.method && f.remaining > 0 && f.when(call, this));
    if (!fault) return;
    fault.remaining--;
    throw fault.error();
  }

  /** What the API server fills in on a write: uid, creation time and generation kept, a new resourceVersion. */
  private stamp(object: KubeObject, existing: KubeObject | undefined): KubeObject {
    const meta = object.metadata;
    meta.namespace ??= existing?.metadata.namespace ?? 'default';
    meta.uid = existing?.metadata.uid ?? `uid-${++this.version}`;
    meta.creationTimestamp = existing?.metadata.creationTimestamp ?? new Date((this.clock += 1000)).toISOString();
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(object.spec);
    meta.generation = (existing?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
    meta.resourceVersion = String(++this.version);
    return object;
  }

  private store(object: KubeObject, event: WatchEventType): KubeObject {
    const key = keyOf(object.kind, object.metadata.namespace!, object.metadata.name);
    this.objects.set(key, object);
    this.emit(event, object);
    if (object.kind === 'Pod' && event === 'ADDED' && object.status === undefined) this.runLifecycle(key);
    if (this.controlling(object)) this.reconcile(object);
    return object;
  }

  /** Deletes at once (no grace period); `byController`: the owner's own reconcile removes it, so it is not asked again. */
  private remove(key: string, byController = false): boolean {
    const object = this.objects.get(key);
    if (!object) return false;
    this.objects.delete(key);
    this.deleted.add(key);
    this.emit('DELETED', object);
    // Owned pods go with their owner; a pod whose owner stays is replaced by it.
    for (const pod of this.ownedPods(object)) this.remove(keyOf('Pod', pod.metadata.namespace!, pod.metadata.name), true);
    const owner = byController ? undefined : this.ownerOf(object);
    if (owner) this.reconcile(owner);
    return true;
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    for (const watcher of this.watchers) {
      if (watcher.type.kind !== object.kind || watcher.namespace !== object.metadata.namespace) continue;
      if (!watcher.selector(object.metadata.labels ?? {})) continue;
      const copy = structuredClone(object);
      queueMicrotask(() => {
        if (this.watchers.has(watcher)) watcher.onEvent(type, copy);
      });
    }
  }

  private controlling(object: KubeObject): boolean {
    return (this.options.controllers ?? true) && CONTROLLED_KINDS.has(object.kind);
  }

  /** A controller's loop, once: pods of the current template, as many as the workload asks for. */
  private reconcile(workload: KubeObject): void {
    if (!this.controlling(workload) || !this.objects.has(keyOf(workload.kind, workload.metadata.namespace!, workload.metadata.name))) return;
    const template = workload.spec?.template;
    if (!template) return;
    // Its controller has seen this generation (a Deployment's status.observedGeneration).
    workload.status = { ...workload.status, observedGeneration: workload.metadata.generation };
    const hash = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
    const wanted = workload.kind === 'Job' ? (workload.spec.suspend ? 0 : (workload.spec.parallelism ?? 1)) : workload.kind === 'DaemonSet' ? (fitsTheNode(template.spec) ? 1 : 0) : (workload.spec.replicas ?? 1);
    const pods = this.ownedPods(workload);
    for (const pod of pods) {
      if (pod.metadata.labels?.[TEMPLATE_HASH_LABEL] !== hash) this.remove(keyOf('Pod', pod.metadata.namespace!, pod.metadata.name), true);
    }
    let current = this.ownedPods(workload);
    for (let i = 0; current.length < wanted && i < 100; i++) {
      const name = workload.kind === 'StatefulSet' ? `${workload.metadata.name}-${i}` : `${workload.metadata.name}-${hash.slice(0, 5)}-${i}`;
      if (this.objects.has(keyOf('Pod', workload.metadata.namespace!, name))) continue;
      const labels = { ...template.metadata?.labels, [TEMPLATE_HASH_LABEL]: hash, ...(workload.kind === 'Job' ? { 'batch.kubernetes.io/job-name': workload.metadata.name } : {}) };
      this.store(
        this.stamp(
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name,
              namespace: workload.metadata.namespace!,
              labels,
              ...(template.metadata?.annotations ? { annotations: structuredClone(template.metadata.annotations) } : {}),
              ownerReferences: [{ apiVersion: workload.apiVersion, kind: workload.kind, name: workload.metadata.name, uid: workload.metadata.uid!, controller: true }],
            },
            spec: structuredClone(template.spec),
          },
          undefined,
        ),
        'ADDED',
      );
      current = this.ownedPods(workload);
    }
  }

  private ownedPods(owner: KubeObject): KubeObject[] {
    return [...this.objects.values()].filter((o) => o.kind === 'Pod' && o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid));
  }

  private ownerOf(object: KubeObject): KubeObject | undefined {
    const ref = object.metadata.ownerReferences?.find((r) => r.controller);
    return ref && [...this.objects.values()].find((o) => o.metadata.uid === ref.uid);
  }

  private runLifecycle(key: string): void {
    const pod = this.objects.get(key)!;
    const statuses = (this.options.podLifecycle ?? defaultLifecycle)(structuredClone(pod));
    const uid = pod.metadata.uid;
    const next = (i: number) => {
      const now = this.objects.get(key);
      if (!now || now.metadata.uid !== uid || i >= statuses.length) return;
      const updated = { ...structuredClone(now), status: structuredClone(statuses[i]) };
      updated.metadata.resourceVersion = String(++this.version);
      this.objects.set(key, updated);
      this.emit('MODIFIED', updated);
      setTimeout(() => next(i + 1), 0);
    };
    next(0);
  }
}

/** Pod statuses for scripted lifecycles, built from the pod's own containers. */
export const podStatus = {
  unscheduled: (_pod: KubeObject) => ({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] }),
  creating: (pod: KubeObject) => ({
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: containersOf(pod).map((name) => ({ name, ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } })),
  }),
  ready: (pod: KubeObject) => ({
    phase: 'Running',
    conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
    containerStatuses: containersOf(pod).map((name) => ({ name, ready: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } })),
  }),
  /** `container` cannot pull its image (the others are running). */
  imagePullBackOff: (pod: KubeObject, container: string) => ({
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: containersOf(pod).map((name) =>
      name === container
        ? { name, ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image` } } }
        : { name, ready: true, restartCount: 0, state: { running: {} } },
    ),
  }),
};

const defaultLifecycle: PodLifecycle = (pod) => [podStatus.unscheduled(pod), podStatus.creating(pod), podStatus.ready(pod)];

// Faulty clusters, each a FakeCluster with one fault set.

/** Its first replace (of `name`, if given) fails with 409 Conflict, as when a controller wrote the object first. */
export function conflictOnReplace(options: FakeClusterOptions & { name?: string; times?: number } = {}): FakeCluster {
  const cluster = new FakeCluster(options);
  cluster.failNext('replace', {
    times: options.times ?? 1,
    when: (call) => options.name === undefined || call.name === options.name,
    error: () => new KubeApiError(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'),
  });
  return cluster;
}

/** Its watches of `kind` (default Pod) fail to start, as when the API server drops the connection. */
export function failingWatch(options: FakeClusterOptions & { kind?: string } = {}): FakeCluster {
  const cluster = new FakeCluster(options);
  cluster.failNext('watch', { times: Number.MAX_SAFE_INTEGER, when: (call) => call.type.kind === (options.kind ?? 'Pod'), error: () => new Error('watch connection refused by the fake') });
  return cluster;
}

/** Creating an object it deleted before fails once (a recreated kind lost between its delete and its create). */
export function createFailsAfterDelete(options: FakeClusterOptions = {}): FakeCluster {
  const cluster = new FakeCluster(options);
  cluster.failNext('create', {
    when: (call, c) => c.deleted.has(keyOf(call.type.kind, call.namespace, call.name ?? '')),
    error: () => new KubeApiError(500, 'InternalError', 'etcd timeout (injected)'),
  });
  return cluster;
}

/** Kinds without a namespace: the namespace a caller passes for them is ignored, as the API server's paths do. */
const CLUSTER_SCOPED = new Set(['StorageClass', 'Namespace', 'Node', 'PersistentVolume']);

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}/${CLUSTER_SCOPED.has(kind) ? '' : namespace}/${name}`;
}

function typeOf(object: KubeObject): ResourceType {
  return { apiVersion: object.apiVersion, kind: object.kind };
}

function notFound(kind: string, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${kind.toLowerCase()}s "${name}" not found`);
}

function containersOf(pod: KubeObject): string[] {
  return ((pod.spec?.containers ?? []) as { name: string }[]).map((c) => c.name);
}

type Selector = (labels: Record<string, string>) => boolean;

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated; empty selects all. */
export function parseSelector(text: string | undefined): Selector {
  const terms = (text ?? '').split(',').map((t) => t.trim()).filter(Boolean).map((term): Selector => {
    const unequal = /^([^!=]+)!=(.*)$/.exec(term);
    if (unequal) return (l) => l[unequal[1]!.trim()] !== unequal[2]!.trim();
    const equal = /^([^!=]+)==?(.*)$/.exec(term);
    if (equal) return (l) => l[equal[1]!.trim()] === equal[2]!.trim();
    if (term.startsWith('!')) return (l) => !(term.slice(1) in l);
    return (l) => term in l;
  });
  return (labels) => terms.every((t) => t(labels));
}

/** RFC 7386: objects merge key by key, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
