import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancellationTokenSource, StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { ErrorCode, RpcErrorCode, TestSleepRequest, type NhdInitializationOptions, type StatusResult } from '../../protocol';
import { debugAdapterEndpoint } from '../../clients/vscode/src/client/debugAdapter';
import { NhdClient, type WorkDoneProgressValue } from '../../clients/vscode/src/client/nhdClient';
import { progressAdapter, type ProgressStep } from '../../clients/vscode/src/client/progress';
import { nodeView, syncStatusView } from '../../clients/vscode/src/client/views';
import { WorkloadModel, type ContextNode } from '../../clients/vscode/src/client/workloadModel';
import { NHD, connectSocketClient, nhdEnv, tempHome, until, type InitializeResultShape } from '../harness/daemon';
import { SocketDebugClient } from '../harness/debuggers';

/**
 * The VS Code extension's client layer (clients/vscode/src/client: everything that talks to the
 * daemon, free of `vscode`) against the real daemon, started the way the extension starts it:
 * `nhd serve --remote=auto` on stdio, with the kubeconfig in initializationOptions.
 */
describe('the VS Code extension client layer on the real daemon', () => {
  let home: string;
  let forwarder: ChildProcess;
  let connection: MessageConnection;
  let client: NhdClient;
  let daemonMethods: string[];

  beforeAll(async () => {
    home = tempHome();
    const kubeconfig = path.join(home, 'kubeconfig');
    // Nothing listens on port 1: every cluster call fails fast, as with an unreachable cluster.
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: dev',
      'clusters:', '- name: local', '  cluster: {server: "https://127.0.0.1:1"}', '- name: far', '  cluster: {server: "https://127.0.0.1:2"}',
      'users:', '- name: me', '  user: {token: t}',
      'contexts:', '- name: dev', '  context: {cluster: local, user: me, namespace: team}', '- name: staging', '  context: {cluster: far, user: me}', '',
    ].join('\n'));
    forwarder = spawn(process.execPath, [NHD, 'serve', '--remote=auto'], { env: nhdEnv(home, { KUBECONFIG: '' }), stdio: ['pipe', 'pipe', 'inherit'] });
    connection = createMessageConnection(new StreamMessageReader(forwarder.stdout!), new StreamMessageWriter(forwarder.stdin!));
    // As vscode-languageclient does: handlers are registered before the connection listens.
    client = new NhdClient(connection);
    connection.listen();
    const initializationOptions: NhdInitializationOptions = { kubeconfig };
    const initialized = (await connection.sendRequest('initialize', { processId: process.pid, clientInfo: { name: 'Visual Studio Code', version: 'test' }, rootUri: null, capabilities: { window: { workDoneProgress: true } }, initializationOptions })) as InitializeResultShape;
    daemonMethods = initialized.capabilities.experimental?.nhd?.methods ?? [];
    await connection.sendNotification('initialized', {});
  });

  afterAll(async () => {
    // The shared daemon this test's forwarder started, then the forwarder.
    const { pid } = await client.status();
    connection.dispose();
    forwarder.kill();
    process.kill(pid, 'SIGTERM');
  });

  it("finds the debug adapter on a unix socket of the daemon's, 0600 in its 0700 dap/ directory (a DebugAdapterNamedPipeServer), which answers DAP", async () => {
    const endpoint = await debugAdapterEndpoint(client.rpc, daemonMethods, { command: 'nhd', source: 'path' }, {});
    expect(endpoint).toMatchObject({ kind: 'pipe', path: expect.stringMatching(new RegExp(`^${home}/dap/[^/]+\\.sock$`)) });
    const socketPath = (endpoint as { path: string }).path;
    expect(fs.lstatSync(socketPath).mode & 0o777).toBe(0o600);
    expect(fs.lstatSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
    const dc = new SocketDebugClient();
    await dc.connectTo(socketPath);
    try {
      const init = await dc.initializeRequest({ adapterID: 'nhd', clientID: 'vscode', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      expect(init.body?.supportsConfigurationDoneRequest).toBe(true);
    } finally {
      dc.close();
    }
  });

  it("builds the tree's contexts from the kubeconfig the client passed", async () => {
    const model = new WorkloadModel(client);
    const contexts = (await model.children()) as ContextNode[];
    expect(contexts.map((c) => [c.context, c.cluster, c.current])).toEqual([['dev', 'local', true], ['staging', 'far', false]]);
    expect(nodeView(contexts[0]!)).toMatchObject({ label: 'dev', description: 'current', collapsible: 'expanded' });
    // An unreachable cluster is one line in the tree, with the daemon's sentence.
    const [line] = await model.children(contexts[0]);
    expect(line).toMatchObject({ type: 'message', severity: 'error' });
    expect(nodeView(line!).label).toMatch(/127\.0\.0\.1:1|reach|connect/i);
    model.dispose();
  });

  it('receives the pushed daemon status when another client (the CLI) connects', async () => {
    const pushed: StatusResult[] = [];
    const listener = client.onStatusDidChange((s) => pushed.push(s));
    const cli = await connectSocketClient(path.join(home, 'nhd.sock'), 'nhd-cli');
    await until(() => pushed.some((s) => s.clients.some((c) => c.name === 'nhd-cli')), 'a pushed status naming the CLI');
    const status = await client.status();
    expect(status.mode).toBe('socket');
    expect(status.clients.map((c) => c.name)).toContain('Visual Studio Code');
    expect(status.logFile.startsWith(home)).toBe(true);
    cli.dispose();
    listener.dispose();
  });

  it('shows no sync in the status bar while no dev session syncs', async () => {
    const { sessions } = await client.syncStatus();
    expect(sessions).toEqual([]);
    expect(syncStatusView(sessions)).toMatchObject({ visible: false });
  });

  it("follows a long request's $/progress under its own workDoneToken, as withProgress increments", async () => {
    const values: WorkDoneProgressValue[] = [];
    const steps: ProgressStep[] = [];
    const report = progressAdapter((s) => steps.push(s));
    const slept = await client.longRequest(TestSleepRequest.type, { ms: 300 }, { onProgress: (v) => (values.push(v), report(v)) });
    expect(slept).toBeGreaterThanOrEqual(300);
    expect(values[0]).toMatchObject({ kind: 'begin', cancellable: true });
    expect(values.at(-1)).toMatchObject({ kind: 'end' });
    expect(steps.reduce((sum, s) => sum + (s.increment ?? 0), 0)).toBe(100);
  });

  it('cancels a long request from the notification (the token of withProgress)', async () => {
    const source = new CancellationTokenSource();
    const pending = client.longRequest(TestSleepRequest.type, { ms: 30_000 }, { onProgress: () => source.cancel(), token: source.token });
    await expect(pending).rejects.toMatchObject({ code: RpcErrorCode.RequestCancelled });
  });

  it('gets an error a person can act on from dev start on an unreachable cluster', async () => {
    const started = client.devStart({ kind: 'deployment', name: 'authors', namespace: 'team' }, { onProgress: () => undefined });
    await expect(started).rejects.toMatchObject({ code: ErrorCode.KubeUnreachable });
  });
});
