/**
 * A small fake of the `vscode` API surface the extension uses, for unit tests of src/ui/ under
 * node. vitest.config.mts aliases `vscode` to this file for test/unit/vscode/ only. It records what
 * the extension does (status bar items, messages, registered commands) and lets a test script the
 * answers of quick picks and message boxes.
 */
type Listener<T> = (e: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void) {}
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export enum TreeItemCollapsibleState { None = 0, Collapsed = 1, Expanded = 2 }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum DebugConfigurationProviderTriggerKind { Initial = 1, Dynamic = 2 }

export class ThemeIcon {
  constructor(readonly id: string) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  iconPath?: ThemeIcon;
  constructor(readonly label: string, readonly collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None) {}
}

export class Range {
  constructor(readonly startLine: number, readonly startCharacter: number, readonly endLine: number, readonly endCharacter: number) {}
}

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(text: string): Uri {
    return new Uri(text.split(':')[0] ?? '', text);
  }
}

export class DebugAdapterExecutable {
  constructor(readonly command: string, readonly args: string[] = [], readonly options: { env?: Record<string, string>; cwd?: string } = {}) {}
}
export class DebugAdapterNamedPipeServer {
  constructor(readonly path: string) {}
}

export class FakeStatusBarItem {
  text = '';
  tooltip: string | undefined;
  command: string | undefined;
  name: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  constructor(readonly id: string) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

/** What the fake recorded, and the answers a test scripts; `reset()` between tests. */
export const fake = {
  statusBarItems: [] as FakeStatusBarItem[],
  messages: [] as { level: 'info' | 'warning' | 'error'; text: string }[],
  /** Answers for showQuickPick: a function from the items to the one picked. */
  quickPick: undefined as ((items: readonly { label: string }[]) => unknown) | undefined,
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  configuration: {} as Record<string, unknown>,
  reset(): void {
    this.statusBarItems = [];
    this.messages = [];
    this.quickPick = undefined;
    this.commands.clear();
    this.configuration = {};
  },
};

export const window = {
  createStatusBarItem(id: string): FakeStatusBarItem {
    const item = new FakeStatusBarItem(id);
    fake.statusBarItems.push(item);
    return item;
  },
  async showInformationMessage(text: string): Promise<undefined> {
    fake.messages.push({ level: 'info', text });
    return undefined;
  },
  async showWarningMessage(text: string): Promise<undefined> {
    fake.messages.push({ level: 'warning', text });
    return undefined;
  },
  async showErrorMessage(text: string): Promise<undefined> {
    fake.messages.push({ level: 'error', text });
    return undefined;
  },
  async showQuickPick<T extends { label: string }>(items: readonly T[] | Promise<readonly T[]>): Promise<T | undefined> {
    const list = await items;
    return fake.quickPick?.(list) as T | undefined;
  },
};

export const commands = {
  registerCommand(id: string, fn: (...args: unknown[]) => unknown): Disposable {
    fake.commands.set(id, fn);
    return new Disposable(() => fake.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    return fake.commands.get(id)?.(...args);
  },
};

export const workspace = {
  workspaceFolders: undefined as { uri: Uri; name: string }[] | undefined,
  getConfiguration(section: string) {
    return { get: <T>(key: string, fallback: T): T => (fake.configuration[`${section}.${key}`] as T | undefined) ?? fallback };
  },
};
