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
