/**
 * The durable journal that makes transactional sends exactly-once. Listrak has no idempotency key, so each
 * message's key is claimed in the journal before the call and settled with its outcome after it:
 *  - `sent`: confirmed by Listrak; never sent again;
 *  - `sending` with no outcome: the process died or the answer was lost mid-call; the message may or may not have
 *    gone out, so it is reported `unknown` and only re-sent when the user asks (`resend_unknown`);
 *  - `rejected`: Listrak certainly did not send it; a later run may claim it again.
 *
 * An interface, so that the send logic does not depend on where the journal is kept: a local file (file-journal.ts).
 */
import type { TargetConfig } from '../config/target.js';
import { FileJournal } from './file-journal.js';

export type JournalState = 'sending' | 'sent' | 'rejected';

/** What claiming a key gave: the right to send it now, or why not. */
export type Claim = 'claimed' | 'sent' | 'unknown';

export interface Journal {
  /** What the journal knows of a key, without claiming it. */
  state(key: string): Promise<JournalState | undefined>;
  /**
   * Take the right to send `key` now, durably, before the call: `claimed`, or `sent` (never send again) or
   * `unknown` (an earlier call's outcome never came back; only with `resendUnknown` is it claimed again).
   */
  claim(key: string, resendUnknown: boolean): Promise<Claim>;
  /** Record, durably, the outcome of a key this journal claimed. */
  settle(key: string, state: 'sent' | 'rejected', code?: string): Promise<void>;
  close(): void;
}

export async function openJournal(config: TargetConfig): Promise<Journal> {
  return new FileJournal(config.journal_path, config.journal_retention_days);
}
