import { beforeEach, describe, expect, it } from 'vitest';
import * as vscode from 'vscode';
import {
  DevDidChangeNotification,
  DevStatusRequest,
  KubeContextsRequest,
  KubeNamespacesRequest,
  RunDidChangeNotification,
  RunListRequest,
  WorkloadsDidChangeNotification,
  WorkloadsUnwatchRequest,
  WorkloadsWatchRequest,
  type DevSession,
  type RunInfo,
  type WorkloadSummary,
} from '../../../protocol';
import { NhdClient } from '../../../clients/vscode/src/client/nhdClient';
import { WorkloadModel, type TreeNode } from '../../../clients/vscode/src/client/workloadModel';
import { WorkloadTreeProvider } from '../../../clients/vscode/src/ui/workloadTree';
import { fake } from './fakeVscode';
import { FakeRpc } from './fakeRpc';

const summary = (kind: WorkloadSummary['kind'], name: string, extra: Partial<WorkloadSummary> = {}): WorkloadSummary => ({
  kind, name, namespace: 'demo', ready: '1/1', healthy: true, devState: 'none', createdAt: '2026-11-25T00:00:00Z', containers: [name], ...extra,
});
const session = (state: DevSession['state'], extra: Partial<DevSession> = {}): DevSession => ({
  id: 'kind-nhd/demo/deployment/authors', context: 'kind-nhd', namespace: 'demo', kind: 'deployment', name: 'authors', container: 'authors',
  image: 'dev-node:1', workDir: '/home/nocalhost-dev', localDir: '/src/authors', state, owner: { identity: 'me@laptop', session: 's1', since: '2026-11-25T00:00:00Z' }, ...extra,
});

/** The tree as text: one line per item, indented, with its description and contextValue. */
async function render(tree: WorkloadTreeProvider, node?: TreeNode, depth = 0): Promise<string[]> {
  const lines: string[] = [];
  for (const child of await tree.getChildren(node)) {
    const item = tree.getTreeItem(child) as unknown as { label: string; description?: string; contextValue?: string; iconPath?: { id: string }; collapsibleState: number };
    lines.push(`${'  '.repeat(depth)}${item.label}${item.description ? ` [${item.description}]` : ''} (${item.contextValue}, $(${item.iconPath?.id}))`);
    if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None) lines.push(...(await render(tree, child, depth + 1)));
  }
  return lines;
}

describe('the workloads tree', () => {
  let rpc: FakeRpc;
  let tree: WorkloadTreeProvider;
  let model: WorkloadModel;
  let changes: (TreeNode | undefined)[];

  beforeEach(() => {
    fake.reset();
    rpc = new FakeRpc()
      .handle(KubeContextsRequest.type, () => ({ files: ['/k'], current: 'kind-nhd', contexts: [{ name: 'kind-nhd', cluster: 'nhd', user: 'admin' }, { name: 'prod', cluster: 'prod', user: 'me' }] }))
      .handle(KubeNamespacesRequest.type, (p) => {
        if (p.context === 'prod') throw new Error('The Kubernetes API at https://prod:6443 cannot be reached: connect ECONNREFUSED.\nCheck the kubeconfig.');
        return { context: p.context ?? 'kind-nhd', namespaces: ['demo', 'default'] };
      })
      .handle(WorkloadsWatchRequest.type, (p) => ({
        watchId: `w-${p.namespace}`, context: p.context ?? '', namespace: p.namespace ?? '',
        workloads: p.namespace === 'demo' ? [summary('deployment', 'reviews'), summary('deployment', 'authors'), summary('statefulset', 'db', { ready: '0/1', healthy: false })] : [],
      }))
      .handle(WorkloadsUnwatchRequest.type, () => null)
      .handle(DevStatusRequest.type, () => ({ sessions: [] }))
      .handle(RunListRequest.type, () => ({ runs: [] }));
    model = new WorkloadModel(new NhdClient(rpc));
    tree = new WorkloadTreeProvider(model);
    tree.connected = true;
    changes = [];
    tree.onDidChangeTreeData((node) => changes.push(node));
  });

  it('shows context → namespace → kind → workload, an unreachable cluster as one error line', async () => {
    expect(await render(tree)).toEqual([
      'kind-nhd [current] (nhd.context, $(server-environment))',
      '  default (nhd.namespace, $(symbol-namespace))',
      '    No workloads (nhd.message, $(info))',
      '  demo (nhd.namespace, $(symbol-namespace))',
      '    Deployments (nhd.kind, $(folder))',
      '      authors [1/1] (nhd.workload.none, $(circle-outline))',
      '      reviews [1/1] (nhd.workload.none, $(circle-outline))',
      '    StatefulSets (nhd.kind, $(folder))',
      '      db [0/1] (nhd.workload.none, $(warning))',
      'prod (nhd.context, $(server-environment))',
      '  The Kubernetes API at https://prod:6443 cannot be reached: connect ECONNREFUSED. (nhd.message, $(error))',
    ]);
    expect(rpc.requests.filter((r) => r.method === 'nhd/workloads/watch')).toHaveLength(2);
  });

  it('redraws a namespace from the pushed workloads list, without asking again', async () => {
    await render(tree);
    const watches = rpc.requests.length;
    rpc.push(WorkloadsDidChangeNotification.type, { watchId: 'w-demo', context: 'kind-nhd', namespace: 'demo', workloads: [summary('deployment', 'authors', { devState: 'developing', devOwner: { identity: 'alice@desk', session: 's9', since: '2026-11-25T01:00:00Z' } })] });
    expect(changes.at(-1)).toMatchObject({ type: 'namespace', id: 'kind-nhd/demo' });
    const demo = changes.at(-1)!;
    const kinds = await tree.getChildren(demo);
    expect(kinds).toHaveLength(1);
    const [authors] = await tree.getChildren(kinds[0]);
    expect(tree.getTreeItem(authors!)).toMatchObject({ label: 'authors', description: '1/1 · dev by alice@desk', contextValue: 'nhd.workload.other' });
    expect(rpc.requests.length).toBe(watches);
    rpc.push(WorkloadsDidChangeNotification.type, { watchId: 'w-unknown', context: 'x', namespace: 'y', workloads: [] });
    expect(changes).toHaveLength(1);
  });

  it("shows this daemon's dev session and run on the workload, pushed", async () => {
    await render(tree);
    const authors = (await tree.getChildren((await tree.getChildren((await tree.getChildren((await tree.getChildren())[0]))[1]))[0]))[0]!;
    rpc.push(DevDidChangeNotification.type, session('starting'));
    expect(changes.at(-1)).toBe(authors);
    expect(tree.getTreeItem(authors)).toMatchObject({ description: '1/1 · starting dev mode', contextValue: 'nhd.workload.mine', iconPath: { id: 'sync~spin' } });
    rpc.push(DevDidChangeNotification.type, session('ready', { pod: 'authors-dev-1' }));
    const run: RunInfo = { runId: 'r1', sessionId: authors.id, context: 'kind-nhd', namespace: 'demo', kind: 'deployment', name: 'authors', pod: 'authors-dev-1', container: 'authors', command: ['./run.sh'], workDir: '/home/nocalhost-dev', mode: 'run', hotReload: true, state: 'running', ended: false, reloads: 2, startedAt: '' };
    rpc.push(RunDidChangeNotification.type, { run });
    expect(tree.getTreeItem(authors)).toMatchObject({ description: '1/1 · developing · running (hot reload)', contextValue: 'nhd.workload.mine.running', iconPath: { id: 'play-circle' } });
    expect((tree.getTreeItem(authors) as { tooltip: string }).tooltip).toContain('run: ./run.sh running, hot reload, 2 reloads');
    rpc.push(RunDidChangeNotification.type, { run: { ...run, state: 'exited', ended: true, exitCode: 143 } });
    rpc.push(DevDidChangeNotification.type, session('ended'));
    expect(tree.getTreeItem(authors)).toMatchObject({ description: '1/1', contextValue: 'nhd.workload.none' });
  });

  it('stops a namespace watch when the view collapses it, and watches again on expand', async () => {
    await render(tree);
    const demo = (await tree.getChildren((await tree.getChildren())[0]))[1]!;
    await model.collapsed(demo);
    expect(rpc.requests.at(-1)).toEqual({ method: 'nhd/workloads/unwatch', params: { watchId: 'w-demo' } });
    await tree.getChildren(demo);
    expect(rpc.requests.at(-1)).toMatchObject({ method: 'nhd/workloads/watch', params: { context: 'kind-nhd', namespace: 'demo' } });
  });

  it('shows nothing while disconnected (the view then shows its welcome text)', async () => {
    tree.connected = false;
    expect(await tree.getChildren()).toEqual([]);
  });
});
