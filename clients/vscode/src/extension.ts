/**
 * The nhd extension for VS Code: a thin client of the nhd daemon. It runs `nhd serve
 * --remote=auto` under vscode-languageclient (so dev config files get the daemon's diagnostics,
 * completion and hover, and the extension shares the daemon with the CLI and other editors), and
 * shows what the daemon pushes: the workloads tree, the sync status bar, run and terminal
 * sessions, and a debug type whose adapter is the daemon's DAP.
 *
 * Layers: src/client/ talks to the daemon and computes what to show, with no `vscode` import (it
 * runs under node in tests); src/ui/ maps it onto the vscode API; this file wires them together.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { LanguageClient, State, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { NhdInitializationOptions, NhdServerCapabilities } from '../../../protocol';
import { bundledExecutable, resolveNhdExecutable, spawnEnv, type NhdExecutable } from './client/executable';
import { NhdClient } from './client/nhdClient';
import { WorkloadModel } from './client/workloadModel';
import { registerCommands } from './ui/commands';
import { NhdDebugAdapterFactory, NhdDebugConfigurationProvider, type DebugHost } from './ui/debug';
import { SyncStatusBar } from './ui/statusBar';
import { WorkloadTreeProvider } from './ui/workloadTree';

/** The settings under `nhd.`, read at each (re)start of the connection. */
export interface NhdSettings {
  path: string;
  kubeconfig: string;
  context: string;
  namespace: string;
}

export function readSettings(): NhdSettings {
  const c = vscode.workspace.getConfiguration('nhd');
  return { path: c.get('path', ''), kubeconfig: c.get('kubeconfig', ''), context: c.get('context', ''), namespace: c.get('namespace', '') };
}

/** initializationOptions from the settings, else the KUBECONFIG VS Code was started with. */
export function initializationOptions(s: NhdSettings, env: NodeJS.ProcessEnv = process.env): NhdInitializationOptions {
  const kubeconfig = s.kubeconfig || env['KUBECONFIG'];
  return { ...(kubeconfig ? { kubeconfig } : {}), ...(s.context ? { context: s.context } : {}), ...(s.namespace ? { namespace: s.namespace } : {}) };
}

let languageClient: LanguageClient | undefined;

/** How the executable was found, as the output channel says it. */
const FOUND: Record<NhdExecutable['source'], string> = {
  setting: 'found by the nhd.path setting',
  path: 'found on PATH',
  workspace: "found in the workspace's node_modules/.bin",
  bundled: 'the one inside the extension',
  fallback: 'found nowhere: trying PATH',
};

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('nhd', { log: true });
  const bundled = bundledExecutable(context.extensionPath, String((context.extension.packageJSON as { version?: unknown }).version));
  const executable = (): NhdExecutable =>
    resolveNhdExecutable({ setting: readSettings().path, pathEnv: process.env['PATH'], workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), bundled });

  const serverOptions: ServerOptions = async () => {
    const exe = executable();
    output.appendLine(`nhd: starting ${exe.command} serve --remote=auto (${FOUND[exe.source]})`);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
    const child = spawn(exe.command, ['serve', '--remote=auto'], { cwd, env: spawnEnv(process.env, exe), shell: process.platform === 'win32' && /\.cmd$/i.test(exe.command) });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`could not start ${exe.command}: ${error.message}. Install nhd or set the nhd.path setting.`)));
    });
    return child;
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', pattern: '**/.nocalhost/config.yaml' },
      { scheme: 'file', pattern: '**/.nocalhost/config.yml' },
    ],
    initializationOptions: () => initializationOptions(readSettings()),
    outputChannel: output,
  };
  const lc = new LanguageClient('nhd', 'nhd', serverOptions, clientOptions);
  languageClient = lc;
  const client = new NhdClient(lc);
  const model = new WorkloadModel(client);
  const tree = new WorkloadTreeProvider(model);
  const treeView = vscode.window.createTreeView('nhd.workloads', { treeDataProvider: tree, showCollapseAll: true });
  const statusBar = new SyncStatusBar(client);
  let running = false;

  const setState = async (state: 'running' | 'starting' | 'stopped') => {
    running = state === 'running';
    await vscode.commands.executeCommand('setContext', 'nhd.state', state);
    tree.connected = running;
    if (running) model.reset();
    tree.redraw();
    await statusBar.setConnection(state);
  };
  const host: DebugHost = {
    client: () => (running ? client : undefined),
    daemonMethods: () => (lc.initializeResult?.capabilities.experimental as { nhd?: NhdServerCapabilities } | undefined)?.nhd?.methods ?? [],
    executable,
    env: () => {
      const kubeconfig = initializationOptions(readSettings()).kubeconfig;
      return kubeconfig ? { KUBECONFIG: kubeconfig } : {};
    },
    defaults: () => {
      const s = readSettings();
      return { ...(s.context ? { context: s.context } : {}), ...(s.namespace ? { namespace: s.namespace } : {}) };
    },
  };
  const debugConfigurations = new NhdDebugConfigurationProvider(host);
  const start = async () => {
    try {
      await lc.start();
    } catch (error) {
      await setState('stopped');
      const choice = await vscode.window.showErrorMessage(`nhd: ${error instanceof Error ? error.message : String(error)}`, 'Open Settings', 'Show Output');
      if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'nhd.path');
      if (choice === 'Show Output') output.show(true);
    }
  };
  const restart = async () => {
    if (lc.isRunning()) await lc.restart();
    else await start();
  };

  context.subscriptions.push(
    output,
    client,
    model,
    tree,
    treeView,
    statusBar,
    treeView.onDidCollapseElement((e) => void model.collapsed(e.element)),
    lc.onDidChangeState((e) => void setState(e.newState === State.Running ? 'running' : e.newState === State.Starting ? 'starting' : 'stopped')),
    ...registerCommands({ client: host.client, model, output, restart }),
    vscode.debug.registerDebugConfigurationProvider('nhd', debugConfigurations),
    // The Run and Debug view's dropdown: one entry per workload in dev mode (resolution stays with the provider above).
    vscode.debug.registerDebugConfigurationProvider('nhd', { provideDebugConfigurations: () => debugConfigurations.provideDebugConfigurations() }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory('nhd', new NhdDebugAdapterFactory(host)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (['nhd.path', 'nhd.kubeconfig', 'nhd.context', 'nhd.namespace'].some((k) => e.affectsConfiguration(k))) void restart();
    }),
  );
  await setState('starting');
  await start();
}

export async function deactivate(): Promise<void> {
  await languageClient?.stop();
}
