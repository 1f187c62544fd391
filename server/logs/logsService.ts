import { Writable } from 'node:stream';
import type { LogsStreamResult, WorkloadRef } from '../../protocol';
import { kubeCallAsync, type Scope } from '../kubeScope';
import { resolvePodTarget } from '../terminal/podTarget';

export interface LogsOptions {
  container?: string;
  follow: boolean;
  tailLines?: number;
}

/** A partial line is sent after this long without its newline (a prompt, a progress dot). */
const PARTIAL_LINE_DELAY_MS = 100;
/** A line longer than this is sent in pieces rather than held. */
const MAX_HELD_CHARS = 64 * 1024;

/**
 * Container logs of a workload's newest pod (the running one when there is one, else the newest of
 * any phase, so a crashed pod's log can be read), delivered as text in whole lines where possible.
 */
export class LogsService {
  async stream(scope: Scope, ref: WorkloadRef, options: LogsOptions, onText: (text: string) => void, signal: AbortSignal): Promise<LogsStreamResult> {
    const target = await resolvePodTarget(scope, ref, options.container, true);
    const out = new LineWriter(onText);
    const logOptions: { follow: boolean; tailLines?: number } = { follow: options.follow };
    if (options.tailLines !== undefined) logOptions.tailLines = options.tailLines;
    try {
      await kubeCallAsync(() => scope.cluster.logs(scope.context, scope.namespace, target.pod, target.container, logOptions, out, signal));
    } catch (error) {
      // Cancelling a follow is how it is meant to end, not a failure.
      if (!signal.aborted) throw error;
    } finally {
      out.finish();
    }
    return { pod: target.pod, container: target.container, bytes: out.bytes };
  }
}

/**
 * Decodes UTF-8 across chunk boundaries and passes on whole lines; a partial line goes out after a
 * short pause, or when it grows large, so nothing waits for a newline that never comes.
 */
export class LineWriter extends Writable {
  bytes = 0;
  private readonly decoder = new TextDecoder('utf-8');
  private held = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onText: (text: string) => void) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.held += this.decoder.decode(chunk, { stream: true });
    const end = this.held.lastIndexOf('\n') + 1;
    if (end > 0) this.emitText(end);
    if (this.held.length > MAX_HELD_CHARS) this.emitText(this.held.length);
    clearTimeout(this.timer);
    if (this.held) this.timer = setTimeout(() => this.emitText(this.held.length), PARTIAL_LINE_DELAY_MS);
    done();
  }

  /** Sends whatever is left; the log ended. */
  finish(): void {
    clearTimeout(this.timer);
    this.held += this.decoder.decode();
    this.emitText(this.held.length);
  }

  private emitText(upTo: number): void {
    if (upTo === 0) return;
    const text = this.held.slice(0, upTo);
    this.held = this.held.slice(upTo);
    this.onText(text);
  }
}
