import type { WorkDoneProgressValue } from './nhdClient';

/** What vscode.window.withProgress's `progress.report` takes. */
export interface ProgressStep {
  message?: string;
  increment?: number;
}

/**
 * Turns LSP's $/progress (absolute percentages) into withProgress reports (increments that add
 * up to the percentage).
 */
export function progressAdapter(report: (step: ProgressStep) => void): (value: WorkDoneProgressValue) => void {
  let done = 0;
  return (value) => {
    if (value.kind === 'end') return;
    const step: ProgressStep = {};
    if (value.message !== undefined) step.message = value.message;
    if (value.percentage !== undefined && value.percentage > done) {
      step.increment = value.percentage - done;
      done = value.percentage;
    }
    if (step.message !== undefined || step.increment !== undefined) report(step);
  };
}
