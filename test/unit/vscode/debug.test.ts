import { beforeEach, describe, expect, it } from 'vitest';
import * as vscode from 'vscode';
import { DevStatusRequest, type DevSession } from '../../../protocol';
import { attachArguments, resolveDebugConfiguration, type NhdDebugConfiguration } from '../../../clients/vscode/src/client/debugConfiguration';
import { NhdClient } from '../../../clients/vscode/src/client/nhdClient';
import { NhdDebugAdapterFactory, NhdDebugConfigurationProvider, type DebugHost } from '../../../clients/vscode/src/ui/debug';
import { fake } from './fakeVscode';
import { FakeRpc } from './fakeRpc';

const session = (name: string, extra: Partial<DevSession> = {}): DevSession => ({
  id: `kind-nhd/demo/deployment/${name}`, context: 'kind-nhd', namespace: 'demo', kind: 'deployment', name, container: name,
  image: 'dev:1', workDir: '/home/nocalhost-dev', localDir: `/src/${name}`, state: 'ready', owner: { identity: 'me@laptop', session: 's', since: '' }, ...extra,
});

describe('debug configuration resolution', () => {
  it('F5 with no launch.json attaches to the one workload in dev mode, with its roots', () => {
    expect(resolveDebugConfiguration({}, { sessions: [session('authors')], workspaceFolder: '/ws' })).toEqual({
      kind: 'resolved',
      config: { type: 'nhd', request: 'attach', name: 'nhd: deployment/authors', workload: 'deployment/authors', namespace: 'demo', context: 'kind-nhd', localRoot: '/src/authors' },
    });
  });

  it('asks which workload when several are in dev mode, and says what to do when none is', () => {
    expect(resolveDebugConfiguration({}, { sessions: [session('authors'), session('details')] })).toMatchObject({ kind: 'pick', sessions: [{ name: 'authors' }, { name: 'details' }] });
    expect(resolveDebugConfiguration({}, { sessions: [session('gone', { state: 'ended' })] })).toMatchObject({ kind: 'error', message: expect.stringContaining('No workload is in dev mode') });
  });

  it("keeps what launch.json says, normalizes the kind, and passes the debugger's own fields", () => {
    const r = resolveDebugConfiguration(
      { type: 'nhd', request: 'attach', name: 'mine', workload: 'deploy/authors', localRoot: '/elsewhere', remoteRoot: '/app', justMyCode: false },
      { sessions: [session('authors')], workspaceFolder: '/ws' },
    );
    expect(r).toEqual({ kind: 'resolved', config: { type: 'nhd', request: 'attach', name: 'mine', workload: 'deployment/authors', namespace: 'demo', context: 'kind-nhd', localRoot: '/elsewhere', remoteRoot: '/app', justMyCode: false } });
    expect(attachArguments((r as { config: NhdDebugConfiguration }).config)).toEqual({ workload: 'deployment/authors', namespace: 'demo', context: 'kind-nhd', localRoot: '/elsewhere', remoteRoot: '/app', justMyCode: false });
  });

  it('falls back to the settings and the workspace folder for a workload this daemon does not hold', () => {
    expect(resolveDebugConfiguration({ type: 'nhd', request: 'attach', name: 'x', workload: 'sts/db', namespace: '' }, { sessions: [], workspaceFolder: '/ws', defaults: { namespace: 'team' } })).toEqual({
      kind: 'resolved', config: { type: 'nhd', request: 'attach', name: 'x', workload: 'statefulset/db', namespace: 'team', localRoot: '/ws' },
    });
  });

  it('refuses launch requests and malformed workloads with a sentence', () => {
    expect(resolveDebugConfiguration({ type: 'nhd', request: 'launch', name: 'x' }, { sessions: [] })).toMatchObject({ kind: 'error', message: expect.stringContaining('"request": "attach"') });
    expect(resolveDebugConfiguration({ type: 'nhd', request: 'attach', name: 'x', workload: 'authors' }, { sessions: [] })).toMatchObject({ kind: 'error', message: expect.stringContaining('KIND/NAME') });
  });
});

describe('the nhd debug type in the editor', () => {
  let rpc: FakeRpc;
  let methods: string[];
  const host = (): DebugHost => ({
    client: () => new NhdClient(rpc),
    daemonMethods: () => methods,
    executable: () => ({ command: '/ws/node_modules/.bin/nhd', pathPrepend: '/ws/node_modules/.bin', source: 'workspace' }),
    env: () => ({ KUBECONFIG: '/k/config' }),
    defaults: () => ({}),
  });
  beforeEach(() => {
    fake.reset();
    methods = ['nhd/dev/start'];
    rpc = new FakeRpc().handle(DevStatusRequest.type, () => ({ sessions: [session('authors'), session('details')] }));
  });

  it('asks which workload to debug with a quick pick', async () => {
    fake.quickPick = (items) => items.find((i) => i.label === 'deployment/details');
    const config = await new NhdDebugConfigurationProvider(host()).resolveDebugConfiguration(undefined, { type: '', request: '', name: '' });
    expect(config).toMatchObject({ type: 'nhd', request: 'attach', workload: 'deployment/details', namespace: 'demo', localRoot: '/src/details' });
  });

  it('cancels the launch with a message when it cannot resolve', async () => {
    const config = await new NhdDebugConfigurationProvider(host()).resolveDebugConfiguration(undefined, { type: 'nhd', request: 'attach', name: 'x', workload: 'nope' });
    expect(config).toBeUndefined();
    expect(fake.messages).toEqual([{ level: 'error', text: expect.stringContaining('KIND/NAME') }]);
  });

  it('runs `nhd dap` as the adapter, with the PATH that finds Node and the kubeconfig', async () => {
    const descriptor = await new NhdDebugAdapterFactory(host()).createDebugAdapterDescriptor();
    expect(descriptor).toBeInstanceOf(vscode.DebugAdapterExecutable);
    expect(descriptor).toMatchObject({ command: '/ws/node_modules/.bin/nhd', args: ['dap'], options: { env: { KUBECONFIG: '/k/config', PATH: expect.stringMatching(/^\/ws\/node_modules\/\.bin:/) } } });
  });

  it('asks the daemon for a unix socket (nhd/debug/listen, transport socket) and connects to it as a named pipe', async () => {
    methods.push('nhd/debug/listen');
    const asked: unknown[] = [];
    rpc.handle({ method: 'nhd/debug/listen' } as never, (params: unknown) => (asked.push(params), { transport: 'socket', path: '/run/nhd/dap/x.sock' }));
    const descriptor = await new NhdDebugAdapterFactory(host()).createDebugAdapterDescriptor();
    expect(asked).toEqual([{ transport: 'socket' }]);
    expect(descriptor).toBeInstanceOf(vscode.DebugAdapterNamedPipeServer);
    expect(descriptor).toMatchObject({ path: '/run/nhd/dap/x.sock' });
  });

  it('runs `nhd dap` when the daemon answers with a port (protocol 0.1 has no socket transport): never an unguarded port', async () => {
    methods.push('nhd/debug/listen');
    rpc.handle({ method: 'nhd/debug/listen' } as never, () => ({ host: '127.0.0.1', port: 41234 }));
    const descriptor = await new NhdDebugAdapterFactory(host()).createDebugAdapterDescriptor();
    expect(descriptor).toBeInstanceOf(vscode.DebugAdapterExecutable);
    expect(descriptor).toMatchObject({ args: ['dap'] });
  });
});
