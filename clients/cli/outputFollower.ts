import { StringDecoder } from 'node:string_decoder';
import type { RunOutputParams } from '../../protocol';

/** One of a run's two output streams. */
export type OutputStream = RunOutputParams['stream'];

/** `--json`'s output line: text decoded per stream, never a character cut in two. */
export interface OutputEvent {
  event: 'output';
  stream: OutputStream;
  text: string;
}

/** Where a followed run's output goes. */
export type OutputSink =
  /** The bytes as the program wrote them, per stream (a terminal joins a character cut across chunks). */
  | { kind: 'plain'; write: (stream: OutputStream, bytes: Buffer) => void }
  /** One event per decoded piece of text; a character cut across chunks arrives whole in the later one. */
  | { kind: 'json'; event: (value: OutputEvent) => void };

export interface OutputFollower {
  /** Takes one `nhd/run/output` notification; output of another run (or before the run is known) is ignored. */
  push(params: RunOutputParams): void;
  /** The run is over: what a decoder still holds (a cut-off character at the very end) is written as U+FFFD. */
  end(): void;
}

/**
 * Follows one run's output for `nhd run` and `nhd debug`: base64 chunks of the run `runId()`
 * names, decoded per stream in --json mode (a chunk may end inside a UTF-8 character) and flushed
 * by `end`, so no trailing byte is dropped.
 */
export function outputFollower(runId: () => string | undefined, sink: OutputSink): OutputFollower {
  const decoders: Record<OutputStream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const emit = (stream: OutputStream, text: string) => {
    if (text && sink.kind === 'json') sink.event({ event: 'output', stream, text });
  };
  return {
    push(params) {
      const id = runId();
      if (!id || params.runId !== id) return;
      const bytes = Buffer.from(params.data, 'base64');
      if (sink.kind === 'plain') sink.write(params.stream, bytes);
      else emit(params.stream, decoders[params.stream].write(bytes));
    },
    end() {
      for (const stream of ['stdout', 'stderr'] as const) emit(stream, decoders[stream].end());
    },
  };
}
