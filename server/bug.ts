import type { Logger } from './ports';

/**
 * "Can't happen" errors, the gopls way: log them loudly with a stack, count them (nhd/status
 * could show the count), and keep serving. Use for states the code believes impossible; use
 * NhdError for anything a user can cause.
 */
let reported = 0;

export function reportBug(log: Logger, what: string, error?: unknown): void {
  reported++;
  const stack = error instanceof Error ? error.stack : new Error(what).stack;
  log.log('error', 'bug', what, { error: error instanceof Error ? error.message : String(error ?? ''), stack });
}

export function bugCount(): number {
  return reported;
}

/**
 * Whether a failure is nhd's own programming error (a TypeError from a wrong assumption, a
 * RangeError from a bad index) rather than something the world did (an agent that refused or
 * went away, a file that could not be read): the first is reported as a bug, the second is the
 * user's to know.
 */
export function isBug(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError;
}
