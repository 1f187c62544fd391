import { StringDecoder } from 'node:string_decoder';
import type { RunOutputParams } from '../../protocol';

/**
 * A run's output (base64 chunks per stream, as `nhd/run/output` carries it) as text: one UTF-8
 * decoder per run and stream, so a character split across two chunks comes out whole, and `end`
 * flushes what a process left incomplete (as U+FFFD) instead of dropping it.
 */
export class RunOutputText {
  private readonly decoders = new Map<string, StringDecoder>();

  /** The text of one chunk ('' while a character is incomplete). */
  write(params: RunOutputParams): string {
    const key = `${params.runId}\u0000${params.stream}`;
    let decoder = this.decoders.get(key);
    if (!decoder) this.decoders.set(key, (decoder = new StringDecoder('utf8')));
    return decoder.write(Buffer.from(params.data, 'base64'));
  }

  /** The output of `runId` is over (its process ended): what each stream still held, non-empty only. */
  end(runId: string): { stream: RunOutputParams['stream']; text: string }[] {
    const flushed: { stream: RunOutputParams['stream']; text: string }[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${runId}\u0000${stream}`;
      const text = this.decoders.get(key)?.end() ?? '';
      this.decoders.delete(key);
      if (text) flushed.push({ stream, text });
    }
    return flushed;
  }
}
