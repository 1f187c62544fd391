import type { SyncOp } from '../../server/ports';
import { MemoryAgent } from './memoryAgent';

/**
 * An agent whose apply fails as a whole, as the real one does when its disk is full or it crashes
 * mid-request: the next `failures` applies reject with `error` (nothing applied), later ones work.
 * `failures` may be raised again while the test runs.
 */
export class CrashingAgent extends MemoryAgent {
  failedApplies = 0;

  constructor(
    public failures: number,
    private readonly error: () => Error = () => new Error('The sync agent failed apply: ENOSPC: no space left on device'),
  ) {
    super();
  }

  protected override async beforeApply(_ops: SyncOp[]): Promise<void> {
    if (this.failures <= 0) return;
    this.failures--;
    this.failedApplies++;
    throw this.error();
  }
}
