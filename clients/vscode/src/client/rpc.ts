/**
 * The extension's client layer (this directory) talks to the daemon through `Rpc` alone, the part
 * of a JSON-RPC connection that vscode-languageclient's LanguageClient and vscode-jsonrpc's
 * MessageConnection both offer. So the same code runs in VS Code and, in tests, under plain node
 * against the real daemon.
 *
 * IMPORTANT: nothing in src/client/ imports `vscode` or `vscode-languageclient`; the protocol comes
 * from the repository's protocol/ module only.
 */
import type { CancellationToken, Disposable, NotificationType, ProgressType, RequestType } from 'vscode-jsonrpc';

export interface Rpc {
  sendRequest<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R>;
  sendNotification<P>(type: NotificationType<P>, params: P): Promise<void>;
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): Disposable;
  onProgress<P>(type: ProgressType<P>, token: string | number, handler: (params: P) => void): Disposable;
}
