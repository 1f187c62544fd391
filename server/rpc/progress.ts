import { WorkDoneProgress, WorkDoneProgressCreateRequest, type ProtocolConnection } from 'vscode-languageserver/node';

/**
 * Progress of one long request, reported as LSP's `$/progress` work-done notifications. Domain
 * code calls begin/report/done without knowing whether anyone listens: with a client-given
 * `workDoneToken` the reports go under it; otherwise, when the client announced
 * `window.workDoneProgress`, the daemon creates a token; otherwise the reports are dropped.
 */
export interface Progress {
  begin(title: string, message?: string, percentage?: number): void;
  report(message: string, percentage?: number): void;
  done(message?: string): void;
}

export const silentProgress: Progress = { begin() {}, report() {}, done() {} };

export class WorkDoneReporter implements Progress {
  private token: Promise<string | number | undefined>;
  private started = false;
  private finished = false;

  constructor(
    private readonly connection: ProtocolConnection,
    clientToken: string | number | undefined,
    canCreate: boolean,
    private readonly cancellable: boolean,
  ) {
    this.token =
      clientToken !== undefined ? Promise.resolve(clientToken) : canCreate ? this.create() : Promise.resolve(undefined);
  }

  begin(title: string, message?: string, percentage?: number): void {
    if (this.started) return this.report(message ?? title, percentage);
    this.started = true;
    this.send({ kind: 'begin', title, cancellable: this.cancellable, ...opt('message', message), ...opt('percentage', percentage) });
  }

  report(message: string, percentage?: number): void {
    if (!this.started) return this.begin(message, undefined, percentage);
    this.send({ kind: 'report', message, ...opt('percentage', percentage) });
  }

  done(message?: string): void {
    if (!this.started || this.finished) return;
    this.finished = true;
    this.send({ kind: 'end', ...opt('message', message) });
  }

  /** The token reports go under, once known (for window/workDoneProgress/cancel). */
  get resolvedToken(): Promise<string | number | undefined> {
    return this.token;
  }

  private async create(): Promise<string | number | undefined> {
    const token = `nhd-${process.pid}-${nextToken++}`;
    try {
      await this.connection.sendRequest(WorkDoneProgressCreateRequest.type, { token });
      return token;
    } catch {
      return undefined;
    }
  }

  private send(value: Parameters<ProtocolConnection['sendProgress']>[2] & object): void {
    void this.token.then((token) => {
      if (token === undefined) return;
      this.connection.sendProgress(WorkDoneProgress.type, token, value as never).catch(() => {
        // The client left; its progress no longer matters.
      });
    });
  }
}

let nextToken = 1;

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
