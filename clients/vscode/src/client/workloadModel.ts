import type { DevSession, RunInfo, WorkloadKind, WorkloadSummary, WorkloadsDidChangeParams } from '../../../../protocol';
import { DisposableStore, Emitter, type Disposable, type Event } from './emitter';
import type { NhdClient } from './nhdClient';
import { KIND_ORDER, sessionId } from './workloadRef';

/**
 * The tree of the nhd view: kubeconfig context → namespace → kind → workload, kept current by
 * what the daemon pushes (workload watches, dev sessions, runs), never by polling. Pure: the
 * vscode TreeDataProvider (src/ui/workloadTree.ts) only maps these nodes to TreeItems.
 */
export type TreeNode = ContextNode | NamespaceNode | KindNode | WorkloadNode | MessageNode;

export interface ContextNode {
  type: 'context';
  id: string;
  context: string;
  cluster: string;
  /** The context the daemon uses by default (current-context, or the one configured). */
  current: boolean;
}
export interface NamespaceNode {
  type: 'namespace';
  id: string;
  context: string;
  namespace: string;
}
export interface KindNode {
  type: 'kind';
  id: string;
  context: string;
  namespace: string;
  kind: WorkloadKind;
}
export interface WorkloadNode {
  type: 'workload';
  id: string;
  context: string;
  namespace: string;
  kind: WorkloadKind;
  name: string;
}
/** A line in place of children: an error (cluster unreachable), or "no workloads". */
export interface MessageNode {
  type: 'message';
  id: string;
  text: string;
  detail?: string;
  severity: 'info' | 'error';
}

/** Everything known about one workload: the watch's summary, and this daemon's session and run. */
export interface WorkloadState {
  summary?: WorkloadSummary;
  session?: DevSession;
  run?: RunInfo;
}

interface Watch {
  watchId?: string;
  node: NamespaceNode;
  workloads: WorkloadSummary[];
}

export class WorkloadModel implements Disposable {
  private readonly changed = new Emitter<TreeNode | undefined>();
  /** Fires with the node whose children or look changed; undefined: everything. */
  readonly onDidChange: Event<TreeNode | undefined> = this.changed.event;
  private readonly disposables = new DisposableStore();
  /** One object per id, so that change events name the objects the view holds. */
  private readonly nodes = new Map<string, TreeNode>();
  /** Watched namespaces by `<context>/<namespace>`. */
  private readonly watches = new Map<string, Watch>();
  private readonly sessions = new Map<string, DevSession>();
  private readonly runs = new Map<string, RunInfo>();
  private loaded: Promise<void> | undefined;

  constructor(private readonly client: NhdClient) {
    this.disposables.add(this.changed);
    this.disposables.add(client.onWorkloadsDidChange((p) => this.onWorkloads(p)));
    this.disposables.add(client.onDevDidChange((s) => {
      if (s.state === 'ended') this.sessions.delete(s.id);
      else this.sessions.set(s.id, s);
      this.touch(s);
    }));
    this.disposables.add(client.onRunDidChange(({ run }) => {
      if (run.ended) {
        if (this.runs.get(run.sessionId)?.runId === run.runId) this.runs.delete(run.sessionId);
      } else this.runs.set(run.sessionId, run);
      this.touch(run);
    }));
  }

  dispose(): void {
    this.disposables.dispose();
  }

  /** The children of a node (the contexts for undefined). Errors become a message node. */
  async children(node?: TreeNode): Promise<TreeNode[]> {
    try {
      if (!node) return await this.contexts();
      switch (node.type) {
        case 'context': return await this.namespaces(node);
        case 'namespace': return await this.kinds(node);
        case 'kind': return this.workloads(node);
        default: return [];
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return [this.node<MessageNode>({ type: 'message', id: `${node?.id ?? ''}#error`, text: firstLine(text), detail: text, severity: 'error' })];
    }
  }

  /** The watch's summary of a workload, when its namespace is watched. */
  summaryOf(ref: { context: string; namespace: string; kind: WorkloadKind; name: string }): WorkloadSummary | undefined {
    return this.watches.get(`${ref.context}/${ref.namespace}`)?.workloads.find((w) => w.kind === ref.kind && w.name === ref.name);
  }

  /** What the view shows for a workload. */
  state(node: WorkloadNode): WorkloadState {
    const summary = this.summaryOf(node);
    const session = this.sessions.get(node.id);
    const run = this.runs.get(node.id);
    return { ...(summary ? { summary } : {}), ...(session ? { session } : {}), ...(run ? { run } : {}) };
  }

  /** The view collapsed a namespace: stop its watch. */
  async collapsed(node: TreeNode): Promise<void> {
    if (node.type !== 'namespace') return;
    const watch = this.watches.get(node.id);
    this.watches.delete(node.id);
    if (watch?.watchId) await this.client.unwatchWorkloads(watch.watchId).catch(() => undefined);
  }

  /** Reads everything again (the refresh button, a changed setting). */
  async refresh(): Promise<void> {
    const watchIds = [...this.watches.values()].flatMap((w) => (w.watchId ? [w.watchId] : []));
    this.forget();
    await Promise.all(watchIds.map((id) => this.client.unwatchWorkloads(id).catch(() => undefined)));
  }

  /** The connection was replaced: the daemon forgot our watches; read everything again. */
  reset(): void {
    this.forget();
  }

  private forget(): void {
    this.watches.clear();
    this.sessions.clear();
    this.runs.clear();
    this.nodes.clear();
    this.loaded = undefined;
    this.changed.fire(undefined);
  }

  /** Dev sessions and runs the daemon holds now; later changes are pushed. */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const [dev, runs] = await Promise.all([this.client.devStatus(), this.client.listRuns()]);
      for (const s of dev.sessions) if (s.state !== 'ended') this.sessions.set(s.id, s);
      for (const r of runs.runs) if (!r.ended) this.runs.set(r.sessionId, r);
    })().catch(() => undefined);
    return this.loaded;
  }

  private async contexts(): Promise<TreeNode[]> {
    await this.load();
    const { contexts, current } = await this.client.contexts();
    if (contexts.length === 0) {
      return [this.node<MessageNode>({ type: 'message', id: '#no-contexts', text: 'No kubeconfig contexts', detail: 'Set KUBECONFIG or the nhd.kubeconfig setting.', severity: 'info' })];
    }
    return contexts.map((c) => this.node<ContextNode>({ type: 'context', id: c.name, context: c.name, cluster: c.cluster, current: c.name === current }));
  }

  private async namespaces(node: ContextNode): Promise<TreeNode[]> {
    const { namespaces } = await this.client.namespaces(node.context);
    return [...namespaces].sort().map((ns) => this.node<NamespaceNode>({ type: 'namespace', id: `${node.context}/${ns}`, context: node.context, namespace: ns }));
  }

  private async kinds(node: NamespaceNode): Promise<TreeNode[]> {
    let watch = this.watches.get(node.id);
    if (!watch) {
      const result = await this.client.watchWorkloads({ context: node.context, namespace: node.namespace });
      watch = { watchId: result.watchId, node, workloads: result.workloads };
      const earlier = this.watches.get(node.id);
      if (earlier?.watchId) void this.client.unwatchWorkloads(earlier.watchId).catch(() => undefined);
      this.watches.set(node.id, watch);
    }
    const present = new Set(watch.workloads.map((w) => w.kind));
    const kinds = KIND_ORDER.filter((k) => present.has(k.kind));
    if (kinds.length === 0) return [this.node<MessageNode>({ type: 'message', id: `${node.id}#empty`, text: 'No workloads', severity: 'info' })];
    return kinds.map(({ kind }) => this.node<KindNode>({ type: 'kind', id: `${node.id}/${kind}`, context: node.context, namespace: node.namespace, kind }));
  }

  private workloads(node: KindNode): TreeNode[] {
    const watch = this.watches.get(`${node.context}/${node.namespace}`);
    return (watch?.workloads ?? [])
      .filter((w) => w.kind === node.kind)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((w) => this.node<WorkloadNode>({ type: 'workload', id: sessionId({ context: node.context, namespace: w.namespace, kind: w.kind, name: w.name }), context: node.context, namespace: w.namespace, kind: w.kind, name: w.name }));
  }

  private onWorkloads(p: WorkloadsDidChangeParams): void {
    const watch = [...this.watches.values()].find((w) => w.watchId === p.watchId);
    if (!watch) return;
    watch.workloads = p.workloads;
    this.changed.fire(watch.node);
  }

  /** A session or run changed: redraw its workload if shown. */
  private touch(ref: { context: string; namespace: string; kind: WorkloadKind; name: string }): void {
    const node = this.nodes.get(sessionId(ref));
    if (node) this.changed.fire(node);
  }

  private node<T extends TreeNode>(fresh: T): T {
    const existing = this.nodes.get(fresh.id);
    if (existing && existing.type === fresh.type) return Object.assign(existing, fresh) as T;
    this.nodes.set(fresh.id, fresh);
    return fresh;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}
