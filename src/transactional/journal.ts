/**
 * The durable journal that makes transactional sends exactly-once. Listrak has no idempotency key, so each
 * message's key is claimed in the journal before the call and settled with its outcome after it:
 *  - `sent`: confirmed by Listrak; never sent again;
 *  - `sending` with no outcome: the process died or the answer was lost mid-call; the message may or may not have
 *    gone out, so it is reported `unknown` and only re-sent when the user asks (`resend_unknown`);
 *  - `rejected`: Listrak certainly did not send it; a later run may claim it again.
 *
 * Two implementations, chosen by `journal_path`: a local file (one machine that keeps its disk between runs) and
 * `s3://bucket/prefix` (one object per key, claimed with a conditional write, shared by every runner).
 */
import { existsSync } from 'node:fs';
import type { TargetConfig } from '../config/target.js';
import { parseS3Url } from '../config/s3-url.js';
import type { Logger } from '../log.js';
import { checkFileJournal, FileJournal, newLocalJournal } from './file-journal.js';

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

/**
 * For `--check`: ok (with what a run would warn about), or what to fix and the exit code a run would end with.
 */
export type JournalCheck = { ok: true; detail: string; warnings: string[] } | { ok: false; fix: string; exitCode: number };

/** Open the journal `journal_path` names; says once what it cannot promise (see README "Exactly once"). */
export async function openJournal(config: TargetConfig, logger: Logger): Promise<Journal> {
  const location = parseS3Url(config.journal_path);
  if (location) {
    // Loaded only here: a run with a local journal never pays for the AWS SDK.
    const { openS3Journal } = await import('./s3-journal.js');
    return openS3Journal(config, location, logger);
  }
  const isNew = !existsSync(config.journal_path);
  const journal = new FileJournal(config.journal_path, config.journal_retention_days);
  // Only once the journal is this run's: a run turned away by the lock has nothing to warn about.
  if (isNew) logger.warn(newLocalJournal(config.journal_path));
  return journal;
}

/** Whether this run could keep its journal where `journal_path` says, and if not, what to fix. Never throws. */
export async function checkJournalWritable(config: TargetConfig): Promise<JournalCheck> {
  const location = parseS3Url(config.journal_path);
  if (!location) return checkFileJournal(config.journal_path);
  const { checkS3Journal } = await import('./s3-journal.js');
  return checkS3Journal(config, location);
}
