import { RequestType } from 'vscode-jsonrpc';
import type { WorkDoneParams } from './types';

/** Parameters of `nhd/test/sleep`. */
export interface TestSleepParams extends WorkDoneParams {
  /** How long to work, in milliseconds. */
  ms: number;
}

/**
 * A long request for testing the machinery every long operation shares ($/progress, $/cancelRequest,
 * a client leaving mid-request). Served only when the daemon runs with NHD_TEST_HOOKS=1; otherwise
 * MethodNotFound. Resolves to the milliseconds slept, or fails with RequestCancelled.
 */
export namespace TestSleepRequest {
  export const method = 'nhd/test/sleep' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<TestSleepParams, number, void>(method);
}
