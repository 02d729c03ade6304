/**
 * When the audience meets the member index. A record read while the members are still being read is digested and
 * settled later (early); one read after them is diffed at once (late). Specs about who stays on the list run both,
 * with the records that matter after the audience's first one.
 */
import type { Sandbox } from '../../src/sandbox/server.js';
import type { RunOptions } from './harness.js';

export interface Timing {
  name: string;
  /** Prepare the sandbox and give the run options that put the audience's records on this side of the index. */
  arrange(sandbox: Sandbox): RunOptions;
}

export const TIMINGS: Timing[] = [
  {
    name: 'read while the members are',
    arrange: (sandbox) => {
      // The members answer late, so every record is digested before the index exists.
      sandbox.faults.add({ operationId: 'Contact_GetContactCollection', delayMs: 150 });
      return {};
    },
  },
  // The first record is read before the members (the sync prepares only once it has seen one); the rest after.
  { name: 'read after the members', arrange: () => ({ holdInputAfterLine: 2 }) },
];

/** Resolves once the sandbox has received `operationId` at least once (polls; gives up after 10 s). */
export async function calledOnce(sandbox: Sandbox, operationId: string): Promise<void> {
  for (let waited = 0; !sandbox.calls.get(operationId) && waited < 10_000; waited += 2) await new Promise((r) => setTimeout(r, 2));
}
