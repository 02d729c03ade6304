/** What a failed run throws: a stop request as that stop (naming the phase), a Listrak error with what to check. */
import type { TargetConfig } from '../config/target.js';
import { ListrakError, StoppedError } from '../errors.js';
import { explainFatal } from '../listrak/codes.js';
import type { Phase } from './phase-clock.js';

export function runFailure(e: unknown, phase: Phase, config: TargetConfig, signal: AbortSignal | undefined): unknown {
  // Whatever a stop request made fail on its way out, it is reported as that stop, naming the phase.
  const stop = e instanceof StoppedError ? e : signal?.aborted && signal.reason instanceof StoppedError ? signal.reason : undefined;
  if (stop) return stop.during(phase);
  // List, sender-code and credential errors get a message that says what to check.
  if (e instanceof ListrakError && config.phone_list_id !== undefined) {
    const message = explainFatal(e, { senderCodeId: config.sender_code_id, listId: config.phone_list_id });
    if (message !== e.message) return new ListrakError(e.code, e.status, message, e.route);
  }
  return e;
}
