import type { CancellationToken, Disposable, NotificationType, ProgressType, RequestType } from 'vscode-jsonrpc';
import type { Rpc } from '../../../clients/vscode/src/client/rpc';

/**
 * A scripted daemon for unit tests of the extension: requests are answered by `handle`, and
 * `push` delivers a notification as the daemon would. The real daemon is driven by
 * test/integration/vscodeClient.test.ts.
 */
export class FakeRpc implements Rpc {
  readonly requests: { method: string; params: unknown }[] = [];
  readonly sent: { method: string; params: unknown }[] = [];
  private readonly handlers = new Map<string, (params: unknown) => unknown>();
  private readonly listeners = new Map<string, ((params: unknown) => void)[]>();
  private readonly progress = new Map<string | number, (value: unknown) => void>();

  handle<P, R>(type: RequestType<P, R, void>, fn: (params: P) => R | Promise<R>): this {
    this.handlers.set(type.method, fn as (params: unknown) => unknown);
    return this;
  }

  push<P>(type: NotificationType<P>, params: P): void {
    for (const l of this.listeners.get(type.method) ?? []) l(params);
  }

  reportProgress(token: string | number, value: unknown): void {
    this.progress.get(token)?.(value);
  }

  async sendRequest<P, R>(type: RequestType<P, R, void>, params: P, _token?: CancellationToken): Promise<R> {
    this.requests.push({ method: type.method, params });
    const handler = this.handlers.get(type.method);
    if (!handler) throw Object.assign(new Error(`Unhandled method ${type.method}`), { code: -32601 });
    return (await handler(params)) as R;
  }

  async sendNotification<P>(type: NotificationType<P>, params: P): Promise<void> {
    this.sent.push({ method: type.method, params });
  }

  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): Disposable {
    const list = this.listeners.get(type.method) ?? [];
    list.push(handler as (params: unknown) => void);
    this.listeners.set(type.method, list);
    return { dispose: () => this.listeners.set(type.method, (this.listeners.get(type.method) ?? []).filter((h) => h !== handler)) };
  }

  onProgress<P>(_type: ProgressType<P>, token: string | number, handler: (params: P) => void): Disposable {
    this.progress.set(token, handler as (value: unknown) => void);
    return { dispose: () => this.progress.delete(token) };
  }
}
