import * as vscode from 'vscode';
import type { TreeNode, WorkloadModel } from '../client/workloadModel';
import { nodeView } from '../client/views';

/** The `nhd.workloads` view: WorkloadModel's nodes as TreeItems. */
export class WorkloadTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  /** False while the daemon is not connected: the view then shows its welcome text. */
  connected = false;

  constructor(private readonly model: WorkloadModel) {
    this.subscription = model.onDidChange((node) => this.changed.fire(node));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  /** Redraws everything (after the connection changed). */
  redraw(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: TreeNode): Promise<TreeNode[]> | TreeNode[] {
    if (!this.connected) return [];
    return this.model.children(node);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const view = nodeView(node, node.type === 'workload' ? this.model.state(node) : {});
    const collapsible = {
      none: vscode.TreeItemCollapsibleState.None,
      collapsed: vscode.TreeItemCollapsibleState.Collapsed,
      expanded: vscode.TreeItemCollapsibleState.Expanded,
    }[view.collapsible];
    const item = new vscode.TreeItem(view.label, collapsible);
    item.id = node.id;
    if (view.description !== undefined) item.description = view.description;
    if (view.tooltip !== undefined) item.tooltip = view.tooltip;
    item.contextValue = view.contextValue;
    if (view.icon) item.iconPath = new vscode.ThemeIcon(view.icon);
    return item;
  }
}
