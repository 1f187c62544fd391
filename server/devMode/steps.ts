import { throwIfAborted } from '../errors';
import type { Progress } from '../rpc/progress';

/**
 * Dev start and dev end are lists of named steps, each with its share of the progress bar. The
 * runner gives each step its place on the bar (the sum of the shares before it) and keeps the
 * percentages a client sees strictly increasing, whatever a step reports.
 */

/** What a step says while it works: a message, and optionally how far into the step it is (0 ≤ fraction < 1). */
export type Report = (message: string, fraction?: number) => void;

export interface Step<R> {
  /** Names the step in plans, logs and tests (`backup+lock`). */
  readonly name: string;
  /** Its part of the bar, relative to the other steps' (> 0). */
  readonly share: number;
  /** True when the step has nothing to do in this run (dev end of a workload not in dev mode). */
  skip?(run: R): boolean;
  run(run: R, report: Report): Promise<void>;
}

/** Where each step begins on a 0–100 bar. */
export function stepPercentages(steps: readonly Step<unknown>[]): number[] {
  const total = steps.reduce((sum, step) => sum + step.share, 0);
  let before = 0;
  return steps.map((step) => {
    const at = Math.round((before / total) * 100);
    before += step.share;
    return at;
  });
}

/**
 * Runs the steps in order, checking for cancellation before each, after the caller began the
 * progress at 0. A report's percentage is its step's place plus its fraction of the step's share,
 * and is left out when it would not be above the last one shown, so the bar never goes back.
 */
export async function runSteps<R>(steps: readonly Step<R>[], run: R, progress: Progress, signal: AbortSignal, onStep?: (name: string) => void): Promise<void> {
  const starts = stepPercentages(steps as readonly Step<unknown>[]);
  const total = steps.reduce((sum, step) => sum + step.share, 0);
  let last = 0;
  for (const [i, step] of steps.entries()) {
    if (step.skip?.(run)) continue;
    throwIfAborted(signal);
    onStep?.(step.name);
    const start = starts[i]!;
    const width = (step.share / total) * 100;
    await step.run(run, (message, fraction) => {
      const percentage = Math.floor(start + Math.min(Math.max(fraction ?? 0, 0), 0.999) * width);
      if (percentage > last) {
        last = percentage;
        progress.report(message, percentage);
      } else {
        progress.report(message);
      }
    });
  }
}
