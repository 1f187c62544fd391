import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import type { DevSession, WorkloadsDidChangeParams } from '../../protocol';
import { NhdClient, type WorkDoneProgressValue } from '../../clients/vscode/src/client/nhdClient';
import { nodeView } from '../../clients/vscode/src/client/views';
import { WorkloadModel, type TreeNode, type WorkloadNode } from '../../clients/vscode/src/client/workloadModel';
import { NHD, nhdEnv, tempHome, until } from '../harness/daemon';
import { APP_IMAGE, DEV_IMAGE, applyDeployment, createNamespace } from './support';

/**
 * The VS Code extension's tree and actions on the real cluster, through its client layer (the
 * code that talks to the daemon) and `nhd serve --remote=auto`, as the extension runs it.
 */
const ns = createNamespace('nhd-vscode');
let forwarder: ChildProcess;
let connection: MessageConnection;
let client: NhdClient;
let model: WorkloadModel;

beforeAll(async () => {
  applyDeployment(ns.name, 'web', [`{name: app, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "python3 -m http.server 9080"]}`]);
  forwarder = spawn(process.execPath, [NHD, 'serve', '--remote=auto'], { env: nhdEnv(tempHome(), { NHD_IDENTITY: 'vscode@e2e' }), stdio: ['pipe', 'pipe', 'inherit'] });
  connection = createMessageConnection(new StreamMessageReader(forwarder.stdout!), new StreamMessageWriter(forwarder.stdin!));
  client = new NhdClient(connection);
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, clientInfo: { name: 'Visual Studio Code' }, rootUri: null, capabilities: {}, initializationOptions: { kubeconfig: process.env['KUBECONFIG'] } });
  await connection.sendNotification('initialized', {});
  model = new WorkloadModel(client);
});

afterAll(async () => {
  await client.devEnd({ kind: 'deployment', name: 'web', namespace: ns.name, force: true }).catch(() => undefined);
  const { pid } = await client.status();
  model.dispose();
  connection.dispose();
  forwarder.kill();
  process.kill(pid, 'SIGTERM');
  ns.dispose();
});

async function find(nodes: TreeNode[], id: string): Promise<TreeNode> {
  const node = nodes.find((n) => n.id === id || n.id.endsWith(`/${id}`));
  if (!node) throw new Error(`no ${id} in ${nodes.map((n) => n.id).join(', ')}`);
  return node;
}

describe('the VS Code tree on the real cluster', () => {
  let web: WorkloadNode;

  it('shows context → namespace → Deployments → web with its readiness', async () => {
    const [context] = await model.children();
    expect(context).toMatchObject({ type: 'context', current: true });
    const namespace = await find(await model.children(context), ns.name);
    const kinds = await model.children(namespace);
    expect(kinds.map((k) => nodeView(k).label)).toEqual(['Deployments']);
    web = (await find(await model.children(kinds[0]), 'web')) as WorkloadNode;
    expect(nodeView(web, model.state(web))).toMatchObject({ label: 'web', description: '1/1', contextValue: 'nhd.workload.none' });
  });

  it('follows dev start and dev end as the daemon pushes them, with progress', async () => {
    const changed: (TreeNode | undefined)[] = [];
    const pushed: WorkloadsDidChangeParams[] = [];
    const sessions: DevSession[] = [];
    model.onDidChange((n) => changed.push(n));
    client.onWorkloadsDidChange((p) => pushed.push(p));
    client.onDevDidChange((s) => sessions.push(s));
    const progress: WorkDoneProgressValue[] = [];
    const session = await client.devStart({ kind: 'deployment', name: 'web', namespace: ns.name, image: DEV_IMAGE }, { onProgress: (v) => progress.push(v) });
    expect(session.state).toBe('ready');
    expect(progress[0]).toMatchObject({ kind: 'begin' });
    expect(progress.at(-1)).toMatchObject({ kind: 'end' });
    await until(() => sessions.some((s) => s.name === 'web' && s.state === 'ready'), 'nhd/dev/didChange says ready');
    expect(changed).toContain(web);
    expect(nodeView(web, model.state(web))).toMatchObject({ contextValue: 'nhd.workload.mine', icon: 'code' });
    await until(() => pushed.some((p) => p.workloads.some((w) => w.name === 'web' && w.devState === 'developing')), 'the watch pushes the developing workload');
    expect(nodeView(web, model.state(web)).description).toMatch(/developing/);

    const output: string[] = [];
    let exitCode: number | null | undefined;
    await client.openTerminal({ kind: 'deployment', name: 'web', namespace: ns.name, command: ['sh', '-c', 'echo hello from $HOSTNAME'] }, (o) => output.push(Buffer.from(o.data, 'base64').toString()), (e) => (exitCode = e.exitCode));
    await until(() => exitCode !== undefined, 'the terminal command exits');
    expect(exitCode).toBe(0);
    expect(output.join('')).toMatch(/hello from web-/);

    const ended = await client.devEnd({ kind: 'deployment', name: 'web', namespace: ns.name });
    expect(ended.ended).toBe(true);
    await until(() => sessions.at(-1)?.state === 'ended', 'nhd/dev/didChange says ended');
    await until(() => nodeView(web, model.state(web)).contextValue === 'nhd.workload.none', 'the tree shows web out of dev mode');
  });
});
