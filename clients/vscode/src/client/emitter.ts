import { Emitter, type Disposable, type Event } from 'vscode-jsonrpc';

export { Emitter, type Disposable, type Event };

/** Disposes a list of disposables together. */
export class DisposableStore implements Disposable {
  private items: Disposable[] = [];
  add<T extends Disposable>(item: T): T {
    this.items.push(item);
    return item;
  }
  dispose(): void {
    for (const item of this.items.splice(0).reverse()) item.dispose();
  }
}
