import { TextDecoder } from 'node:util';
import * as vscode from 'vscode';
import type { RunInfo, TerminalExitParams } from '../../../../protocol';
import { formatRunChange } from '../client/format';
import { sessionRef, type NhdClient, type WorkloadLike } from '../client/nhdClient';
import { formatWorkload } from '../client/workloadRef';

const dim = (text: string) => `\x1b[2m${text}\x1b[0m`;
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

/** Decodes base64 chunks of UTF-8 that may split a character. */
class ChunkDecoder {
  private readonly decoders = new Map<string, TextDecoder>();
  decode(stream: string, base64: string): string {
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new TextDecoder('utf-8')));
    return decoder.decode(Buffer.from(base64, 'base64'), { stream: true });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A shell in the workload's pod (`nhd/terminal/open` with a TTY), with input and resize. */
export class WorkloadTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private terminalId: string | undefined;
  private listener: vscode.Disposable | undefined;
  private readonly pendingInput: string[] = [];
  private size: vscode.TerminalDimensions | undefined;
  private readonly decoder = new ChunkDecoder();
  private exited = false;

  constructor(private readonly client: NhdClient, private readonly ref: WorkloadLike) {}

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.size = dimensions;
    const params = { ...sessionRef(this.ref), tty: true, ...(dimensions ? { cols: dimensions.columns, rows: dimensions.rows } : {}) };
    this.client.openTerminal(params, (out) => this.write.fire(this.decoder.decode(out.stream, out.data)), (exit) => this.onExit(exit)).then(
      ({ opened, listener }) => {
        this.terminalId = opened.terminalId;
        this.listener = listener;
        for (const data of this.pendingInput.splice(0)) this.handleInput(data);
        if (this.size && (this.size.columns !== dimensions?.columns || this.size.rows !== dimensions?.rows)) this.setDimensions(this.size);
      },
      (error: unknown) => {
        this.write.fire(crlf(`nhd: could not open a terminal in ${formatWorkload(this.ref)}: ${errorText(error)}\n`));
        this.done.fire(1);
      },
    );
  }

  handleInput(data: string): void {
    if (this.exited) return;
    if (this.terminalId === undefined) this.pendingInput.push(data);
    else void this.client.terminalInput(this.terminalId, Buffer.from(data, 'utf8'));
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.size = dimensions;
    if (this.terminalId !== undefined) void this.client.terminalResize(this.terminalId, dimensions.columns, dimensions.rows);
  }

  close(): void {
    if (this.terminalId !== undefined && !this.exited) void this.client.closeTerminal(this.terminalId).catch(() => undefined);
    this.listener?.dispose();
  }

  private onExit(exit: TerminalExitParams): void {
    this.exited = true;
    if (exit.message) this.write.fire(crlf(`\n${dim(`nhd: ${exit.message}`)}\n`));
    this.listener?.dispose();
    this.done.fire(exit.exitCode ?? 1);
  }
}

/**
 * A run (`nhd/run/start`, hot reload on) shown as a terminal: the program's output streamed from
 * `nhd/run/output`, a line per reload with its timings. Ctrl-C or closing the terminal stops it.
 */
export class RunTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly done = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.done.event;
  private run: RunInfo | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly decoder = new ChunkDecoder();

  constructor(private readonly client: NhdClient, private readonly ref: WorkloadLike, private readonly hotReload: boolean) {}

  open(): void {
    this.say(`starting the dev config's command.run in ${formatWorkload(this.ref)}${this.hotReload ? ', hot reload on' : ''}…`);
    this.subscriptions.push(this.client.onRunDidChange(({ run, reload }) => {
      if (run.runId !== this.run?.runId) return;
      this.run = run;
      const line = formatRunChange(run, reload);
      if (line) this.say(line);
      if (run.ended) this.say('the run is over; close this terminal.');
    }));
    this.client.startRun({ ...this.ref, hotReload: this.hotReload }, (out) => this.write.fire(crlf(this.decoder.decode(out.stream, out.data)))).then(
      ({ run, listener }) => {
        this.run = run;
        this.subscriptions.push(listener);
        this.say(`running ${run.command.join(' ')} (pod ${run.pod}, ${run.workDir})${run.hotReload ? ', hot reload on' : ''}; Ctrl-C or closing this terminal stops it`);
      },
      (error: unknown) => {
        this.say(`could not run: ${errorText(error)}`);
      },
    );
  }

  handleInput(data: string): void {
    if (data.includes('\x03')) void this.stop();
  }

  close(): void {
    void this.stop();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private async stop(): Promise<void> {
    const run = this.run;
    if (!run || run.ended) return;
    this.say('stopping…');
    try {
      this.run = await this.client.stopRun(run.runId);
    } catch (error) {
      this.say(`could not stop the run: ${errorText(error)}`);
    }
  }

  private say(line: string): void {
    this.write.fire(`${dim(`nhd: ${line}`)}\r\n`);
  }
}
