import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ErrorCode, type DevSession } from '../../../../protocol';
import { formatDevWarnings, formatSyncDetails } from '../client/format';
import { CancellationTokenSource, sessionRef, type NhdClient, type WorkloadLike } from '../client/nhdClient';
import { progressAdapter } from '../client/progress';
import type { WorkloadModel, WorkloadNode } from '../client/workloadModel';
import { formatWorkload, parsePortPair } from '../client/workloadRef';
import { RunTerminal, WorkloadTerminal } from './terminals';

/** What the commands need from the extension. */
export interface CommandHost {
  client(): NhdClient | undefined;
  model: WorkloadModel;
  output: vscode.OutputChannel;
  restart(): Promise<void>;
}

/** A JSON-RPC error's code, when the daemon sent one. */
function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Every action of the extension as a vscode command. A command run from the tree gets the
 * workload node; from the command palette it asks for a workload. Each one is a protocol request;
 * the daemon decides, the command only asks and shows.
 */
export function registerCommands(host: CommandHost): vscode.Disposable[] {
  const logs = new Map<string, { channel: vscode.OutputChannel; cancel: CancellationTokenSource }>();
  let syncChannel: vscode.OutputChannel | undefined;

  const client = (): NhdClient => {
    const c = host.client();
    if (!c) throw new Error('nhd is not running; see the nhd output (command "nhd: Show Output").');
    return c;
  };

  /** Wraps a command: errors become one message a person can act on. */
  const command = (id: string, run: (node?: WorkloadNode) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, async (node?: WorkloadNode) => {
      try {
        await run(node);
      } catch (error) {
        if (errorCode(error) === -32800) return; // cancelled by the user
        void vscode.window.showErrorMessage(`nhd: ${errorText(error)}`);
      }
    });

  /** The tree's node, else a pick among the default namespace's workloads. */
  const workload = async (node?: WorkloadNode): Promise<WorkloadLike | undefined> => {
    if (node?.type === 'workload') return node;
    const list = await client().listWorkloads({});
    const picked = await vscode.window.showQuickPick(
      list.workloads.map((w) => ({ label: formatWorkload(w), description: `${w.ready}${w.devState === 'developing' ? ' · developing' : ''}`, workload: w })),
      { title: `nhd: which workload? (${list.namespace} in ${list.context})` },
    );
    return picked && { kind: picked.workload.kind, name: picked.workload.name, namespace: list.namespace, context: list.context };
  };

  /** The dev session this daemon holds for a workload, if any. */
  const sessionOf = async (ref: WorkloadLike): Promise<DevSession | undefined> => {
    const { sessions } = await client().devStatus();
    return sessions.find((s) => s.kind === ref.kind && s.name === ref.name && (ref.namespace === undefined || s.namespace === ref.namespace) && (ref.context === undefined || s.context === ref.context) && s.state !== 'ended');
  };

  /** The workload's containers: as the tree's watch last saw them, else as the daemon lists them now. */
  const containersOf = async (ref: WorkloadLike): Promise<string[]> => {
    const watched = ref.namespace !== undefined && ref.context !== undefined ? host.model.summaryOf({ ...ref, namespace: ref.namespace, context: ref.context }) : undefined;
    if (watched) return watched.containers;
    const list = await client().listWorkloads({ ...(ref.context ? { context: ref.context } : {}), ...(ref.namespace ? { namespace: ref.namespace } : {}) });
    return list.workloads.find((w) => w.name === ref.name)?.containers ?? [];
  };

  const devStart = async (ref: WorkloadLike, force = false, chosen?: { container?: string }): Promise<void> => {
    const localDir = await pickLocalFolder(ref);
    if (localDir === undefined) return;
    const pick = chosen ?? (await pickContainer(ref, await containersOf(ref)));
    if (pick === undefined) return;
    const title = `nhd: dev start ${formatWorkload(ref)}`;
    let session: DevSession;
    try {
      session = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
        client().devStart(
          { ...sessionRef(ref), ...(localDir ? { localDir } : {}), ...(pick.container ? { container: pick.container } : {}), ...(force ? { force } : {}) },
          { onProgress: progressAdapter((s) => progress.report(s)), token },
        ),
      );
    } catch (error) {
      if (errorCode(error) !== ErrorCode.DevModeOwnedByOther || force) throw error;
      const choice = await vscode.window.showWarningMessage(`nhd: ${errorText(error)}`, 'Take Over');
      if (choice === 'Take Over') await devStart(ref, true, pick);
      return;
    }
    const warnings = session.warnings ?? [];
    for (const w of warnings) host.output.appendLine(`warning: ${formatWorkload(session)}: ${w}`);
    const summary = formatDevWarnings(formatWorkload(session), warnings);
    if (summary) {
      void vscode.window.showWarningMessage(summary, ...(warnings.length > 1 ? ['Show All'] : [])).then((choice) => {
        if (choice === 'Show All') host.output.show(true);
      });
    }
    const next = await vscode.window.showInformationMessage(`nhd: ${formatWorkload(session)} is in dev mode (pod ${session.pod ?? '?'}, ${session.workDir}).`, 'Run', 'Terminal', 'Debug');
    const target = { type: 'workload', id: session.id, context: session.context, namespace: session.namespace, kind: session.kind, name: session.name } as WorkloadNode;
    if (next === 'Run') await vscode.commands.executeCommand('nhd.run', target);
    if (next === 'Terminal') await vscode.commands.executeCommand('nhd.terminal', target);
    if (next === 'Debug') await vscode.commands.executeCommand('nhd.debug', target);
  };

  return [
    command('nhd.refresh', () => host.model.refresh()),
    command('nhd.showOutput', async () => host.output.show(true)),
    command('nhd.restart', () => host.restart()),
    command('nhd.devStart', async (node) => {
      const ref = await workload(node);
      if (ref) await devStart(ref);
    }),

    command('nhd.devEnd', async (node) => {
      const ref = await workload(node);
      if (!ref) return;
      const mine = await sessionOf(ref);
      let force = false;
      if (!mine) {
        const choice = await vscode.window.showWarningMessage(`nhd: ${formatWorkload(ref)} may be held by someone else. End dev mode anyway and restore it?`, { modal: true }, 'End Dev Mode');
        if (choice !== 'End Dev Mode') return;
        force = true;
      }
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `nhd: dev end ${formatWorkload(ref)}`, cancellable: true }, (progress, token) =>
        client().devEnd({ ...sessionRef(ref), ...(force ? { force } : {}) }, { onProgress: progressAdapter((s) => progress.report(s)), token }),
      );
      void vscode.window.showInformationMessage(`nhd: ${result.message}`);
    }),

    command('nhd.run', async (node) => {
      const ref = await workload(node);
      if (!ref) return;
      const pty = new RunTerminal(client(), ref, true);
      vscode.window.createTerminal({ name: `nhd run: ${ref.name}`, pty, iconPath: new vscode.ThemeIcon('run') }).show();
    }),

    command('nhd.terminal', async (node) => {
      const ref = await workload(node);
      if (!ref) return;
      const pty = new WorkloadTerminal(client(), ref);
      vscode.window.createTerminal({ name: `nhd: ${ref.name}`, pty, iconPath: new vscode.ThemeIcon('terminal') }).show();
    }),

    command('nhd.debug', async (node) => {
      const ref = await workload(node);
      if (!ref) return;
      const folder = vscode.workspace.workspaceFolders?.[0];
      await vscode.debug.startDebugging(folder, {
        type: 'nhd',
        request: 'attach',
        name: `nhd: ${formatWorkload(ref)}`,
        workload: formatWorkload(ref),
        ...(ref.namespace ? { namespace: ref.namespace } : {}),
        ...(ref.context ? { context: ref.context } : {}),
      });
    }),

    command('nhd.portForward', async (node) => {
      const ref = await workload(node);
      if (!ref) return;
      const text = await vscode.window.showInputBox({
        title: `nhd: port-forward to ${formatWorkload(ref)}`,
        prompt: 'LOCAL:REMOTE (127.0.0.1:LOCAL forwards to REMOTE in the pod; LOCAL 0 picks a free port)',
        placeHolder: '8080:9080',
        validateInput: (value) => (typeof parsePortPair(value) === 'string' ? (parsePortPair(value) as string) : undefined),
      });
      if (text === undefined) return;
      const ports = parsePortPair(text);
      if (typeof ports === 'string') return;
      const forward = await client().startPortForward(ref, ports.localPort, ports.remotePort);
      const url = `http://127.0.0.1:${forward.localPort}`;
      const choice = await vscode.window.showInformationMessage(`nhd: ${forward.address}:${forward.localPort} → ${formatWorkload(ref)}:${forward.remotePort} (${forward.state}).`, 'Open in Browser');
      if (choice) await vscode.env.openExternal(vscode.Uri.parse(url));
    }),

    command('nhd.stopPortForward', async () => {
      const { portForwards } = await client().listPortForwards();
      if (portForwards.length === 0) return void vscode.window.showInformationMessage('nhd: no port-forwards.');
      const picked = await vscode.window.showQuickPick(
        [...portForwards.map((f) => ({ label: `${f.address}:${f.localPort} → ${f.kind}/${f.name}:${f.remotePort}`, description: `${f.namespace} · ${f.state}`, id: f.id })), { label: 'Stop all', description: '', id: 'all' }],
        { title: 'nhd: stop which port-forward?' },
      );
      if (picked) await client().stopPortForward(picked.id);
    }),

    command('nhd.logs', async (node) => {
      const ref = await workload(node);
      if (!ref) return;
      const key = node?.id ?? formatWorkload(ref);
      const earlier = logs.get(key);
      earlier?.cancel.cancel();
      const channel = earlier?.channel ?? vscode.window.createOutputChannel(`nhd logs: ${ref.name}`);
      channel.clear();
      channel.show(true);
      const cancel = new CancellationTokenSource();
      logs.set(key, { channel, cancel });
      try {
        const result = await client().streamLogs({ ...sessionRef(ref), follow: true, tailLines: 500 }, (text) => channel.append(text), cancel.token);
        channel.appendLine(`--- nhd: the log of ${result.pod}/${result.container} ended ---`);
      } catch (error) {
        if (errorCode(error) === -32800 || cancel.token.isCancellationRequested) return;
        channel.appendLine(`--- nhd: ${errorText(error)} ---`);
        throw error;
      }
    }),

    command('nhd.openConfig', async (node) => {
      const ref = await workload(node);
      if (!ref) return;
      const session = await sessionOf(ref);
      const folders = [...new Set([...(session?.localDir ? [session.localDir] : []), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)])];
      for (const dir of folders) {
        const config = await client().loadConfig(dir).catch(() => undefined);
        if (!config) continue;
        const service = config.services.find((s) => s.name === ref.name && s.serviceType === ref.kind) ?? config.services.find((s) => s.name === ref.name);
        if (!service && dir !== session?.localDir) continue;
        const document = await vscode.workspace.openTextDocument(vscode.Uri.file(service?.source.fileName ?? config.path));
        const range = service?.source.range;
        await vscode.window.showTextDocument(document, range ? { selection: new vscode.Range(range.start.line, range.start.character, range.start.line, range.start.character) } : {});
        return;
      }
      const create = await vscode.window.showInformationMessage(`nhd: no .nocalhost/config.yaml for ${formatWorkload(ref)} in ${folders.join(', ') || 'the workspace'}. Without one, the workload's dev.nocalhost annotation configures dev mode.`, 'Create One');
      const folder = folders[0];
      if (create && folder) {
        const file = path.join(folder, '.nocalhost', 'config.yaml');
        if (!fs.existsSync(file)) {
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, configTemplate(ref));
        }
        await vscode.window.showTextDocument(vscode.Uri.file(file));
      }
    }),

    command('nhd.syncStatus', async () => {
      const c = host.client();
      if (!c) return host.output.show(true);
      const { sessions } = await c.syncStatus();
      syncChannel ??= vscode.window.createOutputChannel('nhd sync status');
      syncChannel.clear();
      syncChannel.append(formatSyncDetails(sessions));
      syncChannel.show(true);
    }),

    command('nhd.daemonStatus', async () => {
      const s = await client().status();
      host.output.appendLine(`nhd ${s.version} (protocol ${s.protocolVersion}), pid ${s.pid}, ${s.mode === 'socket' ? `shared on ${s.socketPath}` : 'on stdio'}`);
      host.output.appendLine(`log: ${s.logFile}`);
      host.output.appendLine(`clients: ${s.clients.map((c) => c.name).join(', ')}`);
      host.output.appendLine(`sessions: ${s.sessions.map((x) => `${x.namespace}/${x.kind}/${x.name} (${x.state})`).join(', ') || 'none'}`);
      host.output.show(true);
    }),

    { dispose: () => logs.forEach(({ channel, cancel }) => (cancel.cancel(), channel.dispose())) },
  ];
}

/** Asks where the source is: a workspace folder, another folder, or none (no sync). "" = none. */
async function pickLocalFolder(ref: WorkloadLike): Promise<string | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  type Item = vscode.QuickPickItem & { dir?: string; browse?: boolean };
  const items: Item[] = folders.map((f) => ({
    label: f.name,
    description: f.uri.fsPath,
    detail: fs.existsSync(path.join(f.uri.fsPath, '.nocalhost', 'config.yaml')) ? 'has .nocalhost/config.yaml: synced into the container' : 'no .nocalhost/config.yaml here: not synced unless one is found above it',
    dir: f.uri.fsPath,
  }));
  items.push({ label: '$(folder-opened) Another folder…', browse: true }, { label: '$(circle-slash) No local folder', description: 'dev mode without file sync', dir: '' });
  const picked = await vscode.window.showQuickPick(items, { title: `nhd: dev start ${formatWorkload(ref)}: local source folder` });
  if (!picked) return undefined;
  if (!picked.browse) return picked.dir;
  const uris = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Develop Here', ...(folders[0] ? { defaultUri: folders[0].uri } : {}) });
  return uris?.[0]?.fsPath;
}

/**
 * Which container to develop in, asked only for a workload with several: the dev config's choice
 * (its entry's `name`, decided by the daemon) first, then each container. `{}` = the config's.
 */
async function pickContainer(ref: WorkloadLike, containers: readonly string[]): Promise<{ container?: string } | undefined> {
  if (containers.length < 2) return {};
  type Item = vscode.QuickPickItem & { container?: string };
  const items: Item[] = [
    { label: '$(gear) As the dev config says', description: "the container its entry's name names, else the first" },
    ...containers.map((container) => ({ label: container, container })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `nhd: dev start ${formatWorkload(ref)}: which container?` });
  return picked && (picked.container ? { container: picked.container } : {});
}

function configTemplate(ref: WorkloadLike): string {
  return [
    `# nhd / Nocalhost dev config for ${formatWorkload(ref)}; see docs/config.md.`,
    `name: ${ref.name}`,
    `serviceType: ${ref.kind}`,
    'containers:',
    '  - name: ""',
    '    dev:',
    '      image: ""            # the dev image, with your toolchain',
    '      workDir: /home/nocalhost-dev',
    '      command:',
    '        run: ["./run.sh"]',
    '      hotReload: true',
    '',
  ].join('\n');
}

