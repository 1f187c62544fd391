import { describe, expect, it } from 'vitest';
import { runSteps, stepPercentages, type Report, type Step } from '../../../server/devMode/steps';
import { RecordingProgress, isStrictlyIncreasing, never } from './support';

/** The step runner alone: places on the bar, a bar that never goes back, skips, cancellation, failures. */

interface Run {
  ran: string[];
}

function step(name: string, share: number, body: (report: Report) => void | Promise<void> = () => {}, skip?: (run: Run) => boolean): Step<Run> {
  return {
    name,
    share,
    ...(skip ? { skip } : {}),
    async run(run, report) {
      run.ran.push(name);
      await body(report);
    },
  };
}

describe('runSteps', () => {
  it('places each report at its step plus its fraction of the step, and the bar never goes back', async () => {
    const progress = new RecordingProgress();
    const steps = [
      step('a', 10, (r) => r('a begins')),
      step('b', 40, (r) => {
        r('b halfway', 0.5);
        r('b went back', 0.1);
        r('b again at its start');
        r('b nearly done', 0.99);
      }),
      step('c', 50, (r) => r('c begins')),
    ];
    expect(stepPercentages(steps)).toEqual([0, 10, 50]);
    await runSteps(steps, { ran: [] }, progress, never);
    expect(progress.events).toEqual([
      { kind: 'report', message: 'a begins' },
      { kind: 'report', message: 'b halfway', percentage: 30 },
      { kind: 'report', message: 'b went back' },
      { kind: 'report', message: 'b again at its start' },
      { kind: 'report', message: 'b nearly done', percentage: 49 },
      { kind: 'report', message: 'c begins', percentage: 50 },
    ]);
    expect(isStrictlyIncreasing(progress.percentages())).toBe(true);
  });

  it('skips what a run does not need, and names each step it runs', async () => {
    const run: Run = { ran: [] };
    const named: string[] = [];
    await runSteps([step('a', 1), step('b', 1, undefined, () => true), step('c', 1)], run, new RecordingProgress(), never, (name) => named.push(name));
    expect(run.ran).toEqual(['a', 'c']);
    expect(named).toEqual(['a', 'c']);
  });

  it('stops at the first failing step', async () => {
    const run: Run = { ran: [] };
    const failing = step('b', 1, () => {
      throw new Error('b broke');
    });
    await expect(runSteps([step('a', 1), failing, step('c', 1)], run, new RecordingProgress(), never)).rejects.toThrow('b broke');
    expect(run.ran).toEqual(['a', 'b']);
  });

  it('checks for cancellation before each step', async () => {
    const run: Run = { ran: [] };
    const abort = new AbortController();
    const cancelling = step('a', 1, () => abort.abort());
    await expect(runSteps([cancelling, step('b', 1)], run, new RecordingProgress(), abort.signal)).rejects.toMatchObject({ name: 'CancelledError' });
    expect(run.ran).toEqual(['a']);
  });
});
