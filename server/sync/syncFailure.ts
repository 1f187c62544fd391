/**
 * Which failures of a sync task are nhd's own bugs: JavaScript's programming errors (a TypeError from
 * a wrong assumption, a RangeError from a bad index). Everything else that fails a task comes from the
 * world (the agent refused or went away, a local file could not be read) and is the user's to know.
 */
export function isBug(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError;
}
