import * as vscode from 'vscode';
import type { SyncStatus } from '../../../../protocol';
import type { NhdClient } from '../client/nhdClient';
import { syncStatusView } from '../client/views';

/** The sync state in the status bar, from the pushed `nhd/sync/didChange`; a click shows details. */
export class SyncStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('nhd.sync', vscode.StatusBarAlignment.Left, 10);
  private readonly sessions = new Map<string, SyncStatus>();
  private readonly subscription: vscode.Disposable;
  private connection: 'running' | 'starting' | 'stopped' = 'starting';

  constructor(private readonly client: NhdClient) {
    this.item.name = 'nhd file sync';
    this.item.command = 'nhd.syncStatus';
    this.subscription = client.onSyncDidChange((status) => {
      this.sessions.set(status.sessionId, status);
      this.render();
    });
  }

  /** The connection changed: on a new one, read every session's state again. */
  async setConnection(state: 'running' | 'starting' | 'stopped'): Promise<void> {
    this.connection = state;
    if (state === 'running') {
      try {
        const { sessions } = await this.client.syncStatus();
        this.sessions.clear();
        for (const s of sessions) this.sessions.set(s.sessionId, s);
      } catch {
        // The daemon went away again; the next state change says so.
      }
    }
    this.render();
  }

  render(): void {
    const view = syncStatusView([...this.sessions.values()], this.connection === 'stopped' ? 'stopped' : 'running');
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if (view.visible) this.item.show();
    else this.item.hide();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
