import type { SyncOp } from '../../server/ports';
import { MemoryAgent } from './memoryAgent';

/**
 * An agent that stops answering: once `hang()` was called (or from the start), every apply waits
 * until the link breaks, then rejects, as requests to a real agent whose pod froze do. Index
 * requests still answer, so a session can start on it before it hangs.
 */
export class HangingAgent extends MemoryAgent {
  private hanging: boolean;
  /** Applies waiting for an answer that never comes. */
  waiting = 0;

  constructor(options: { hangFromStart?: boolean } = {}) {
    super();
    this.hanging = options.hangFromStart ?? false;
  }

  hang(): void {
    this.hanging = true;
  }

  protected override async beforeApply(_ops: SyncOp[]): Promise<void> {
    if (!this.hanging) return;
    this.waiting++;
    await this.closed;
    this.waiting--;
  }
}
