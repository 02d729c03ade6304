/**
 * Killing a target run in the middle of a transactional send, deterministically: the sandbox holds each call
 * (its latency) before handling it, so once it has counted a send that this run started, that send is in flight
 * and the run is between its journal claim and its outcome. SIGKILL then leaves at least that text `sending`
 * (and perhaps one more, claimed by another of the run's workers but not yet sent).
 */
import type { Sandbox } from '../../src/sandbox/server.js';
import type { CliResult, startCli } from './cli.js';

export const SEND_OP = 'TransactionalMessage_PostTransactionalMessageSend';

const sends = (sandbox: Sandbox) => sandbox.calls.get(SEND_OP) ?? 0;

/** Start a run and SIGKILL it once it has started `count` sends; the result says whether the kill landed. */
export async function killAfterSends(sandbox: Sandbox, start: () => ReturnType<typeof startCli>, count: number): Promise<CliResult> {
  if (sandbox.options.latencyMs < 100) throw new Error('give the sandbox a latency (100 ms or more) so that each send is held in flight');
  const target = sends(sandbox) + count;
  const { child, done } = start();
  let exited = false;
  void done.then(() => (exited = true));
  while (!exited && sends(sandbox) < target) await new Promise((r) => setTimeout(r, 2));
  if (!exited) child.kill('SIGKILL');
  return done;
}

/** The "texts with unknown outcome" figure of a run's report. */
export function unknownIn(stderr: string): number {
  return Number(/texts with unknown outcome\s+(\d+)/.exec(stderr)?.[1] ?? '0');
}
