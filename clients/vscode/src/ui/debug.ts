import * as vscode from 'vscode';
import type { DevSession } from '../../../../protocol';
import { debugAdapterEndpoint } from '../client/debugAdapter';
import { resolveDebugConfiguration } from '../client/debugConfiguration';
import type { NhdExecutable } from '../client/executable';
import type { NhdClient } from '../client/nhdClient';
import { formatWorkload } from '../client/workloadRef';

/** What the debug support needs from the extension's connection to the daemon. */
export interface DebugHost {
  client(): NhdClient | undefined;
  /** The `nhd/` methods the connected daemon serves (initialize's experimental.nhd.methods). */
  daemonMethods(): readonly string[];
  executable(): NhdExecutable;
  /** KUBECONFIG and the like, for `nhd dap`. */
  env(): Record<string, string>;
  defaults(): { context?: string; namespace?: string };
}

/** F5 with no launch.json, launch.json's snippets, and the defaults of a configuration. */
export class NhdDebugConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly host: DebugHost) {}

  async provideDebugConfigurations(): Promise<vscode.DebugConfiguration[]> {
    const sessions = await this.sessions();
    if (sessions.length === 0) return [{ type: 'nhd', request: 'attach', name: 'nhd: attach to a workload in dev mode', workload: 'deployment/NAME', localRoot: '${workspaceFolder}' }];
    return sessions.map((s) => ({ type: 'nhd', request: 'attach', name: `nhd: ${formatWorkload(s)}`, workload: formatWorkload(s), namespace: s.namespace, localRoot: '${workspaceFolder}' }));
  }

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    const sessions = await this.sessions();
    const ctx = { sessions, defaults: this.host.defaults(), ...(folder ? { workspaceFolder: folder.uri.fsPath } : {}) };
    let resolution = resolveDebugConfiguration(config, ctx);
    if (resolution.kind === 'pick') {
      const picked = await vscode.window.showQuickPick(
        resolution.sessions.map((s) => ({ label: formatWorkload(s), description: `${s.namespace} (${s.context})`, session: s })),
        { title: 'nhd: debug which workload?', placeHolder: 'Workloads this daemon holds in dev mode' },
      );
      if (!picked) return undefined;
      resolution = resolveDebugConfiguration({ ...config, workload: formatWorkload(picked.session), namespace: picked.session.namespace, context: picked.session.context }, ctx);
    }
    if (resolution.kind === 'error') {
      void vscode.window.showErrorMessage(resolution.message);
      return undefined;
    }
    if (resolution.kind === 'pick') return undefined;
    return resolution.config;
  }

  private async sessions(): Promise<DevSession[]> {
    try {
      return (await this.host.client()?.devStatus())?.sessions ?? [];
    } catch {
      return [];
    }
  }
}

/** The adapter of type `nhd`: the daemon's DAP, on a unix socket it opens for the session, or through `nhd dap`. */
export class NhdDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly host: DebugHost) {}

  async createDebugAdapterDescriptor(): Promise<vscode.DebugAdapterDescriptor> {
    const endpoint = await debugAdapterEndpoint(this.host.client()?.rpc, this.host.daemonMethods(), this.host.executable(), this.host.env());
    if (endpoint.kind === 'pipe') return new vscode.DebugAdapterNamedPipeServer(endpoint.path);
    return new vscode.DebugAdapterExecutable(endpoint.command, endpoint.args, { env: endpoint.env });
  }
}
