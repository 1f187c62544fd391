import * as fs from 'node:fs';

/** Files this small are read whole (and ahead, by the agent link) rather than streamed. */
const WHOLE_READ_MAX = 1024 * 1024;

/** A SyncOp write's `read`, for a local file small enough to be read at once. */
export function wholeRead(abs: string, size: number): { read?: () => Promise<Buffer> } {
  return size <= WHOLE_READ_MAX ? { read: () => fs.promises.readFile(abs) } : {};
}
