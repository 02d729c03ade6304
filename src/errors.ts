/**
 * Typed failures. Each is turned into one clear message and one exit code, once, in `cli/`.
 * Library code throws these and never calls process.exit.
 */

export const EXIT = {
  ok: 0,
  failed: 1,
  config: 2,
  input: 3,
  guard: 4,
  /** Adds and updates applied, but nobody unsubscribed: the audience was not shown complete. */
  withheld: 5,
} as const;

/** The config file is missing, unreadable or invalid. Raised before any API call. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = EXIT.config;
}

/**
 * The Singer input is malformed. `line` is 1-based, as an editor shows it: the input's, or with `file` that of a
 * BATCH message's file.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = EXIT.input;
  constructor(
    readonly line: number,
    readonly reason: string,
    readonly file?: string,
  ) {
    super(`${file ? `BATCH file ${file} line` : 'input line'} ${line}: ${reason}`);
  }
}

/** Why a run was asked to stop before its end: a signal, or a reader that closed stdout. */
export type StopCause = 'SIGINT' | 'SIGTERM' | 'EPIPE';

/**
 * The run was asked to stop and stopped at a safe point: nothing half-done is left (writes in flight finished,
 * the temporary folder went), so running it again finishes the job. Exit 128 + the signal's number, as a shell
 * reports a process ended by that signal (EPIPE: SIGPIPE's).
 */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
  readonly exitCode: number;
  constructor(
    readonly trigger: StopCause,
    /** The phase the run was in, once known. */
    readonly phase?: string,
  ) {
    const why = trigger === 'EPIPE' ? 'stdout was closed (EPIPE)' : `${trigger} received`;
    super(`${why}${phase ? ` during the ${phase} phase` : ''}: stopped at a safe point; run again to finish the job`);
    this.exitCode = 128 + STOP_SIGNAL_NUMBER[trigger];
  }

  /** The same stop, naming the phase the run was in. */
  during(phase: string): StoppedError {
    return this.phase ? this : new StoppedError(this.trigger, phase);
  }
}

const STOP_SIGNAL_NUMBER: Record<StopCause, number> = { SIGINT: 2, SIGTERM: 15, EPIPE: 13 };

/** The removal guard refused a sync that would unsubscribe too much of the list. */
export class GuardError extends Error {
  override readonly name = 'GuardError';
  readonly exitCode = EXIT.guard;
}

/**
 * Listrak answered with an error (or could not be reached). `code` is the API's `ERROR_*` code when it sent one,
 * else a local code such as `NETWORK` or `HTTP_502`.
 */
export class ListrakError extends Error {
  override readonly name = 'ListrakError';
  readonly exitCode = EXIT.failed;
  /** For NETWORK errors: the socket error code (ECONNREFUSED, ECONNRESET, ECONNABORTED…). */
  networkCode?: string;
  constructor(
    readonly code: string,
    readonly status: number | undefined,
    message: string,
    readonly route?: string,
  ) {
    super(message);
  }
}

/**
 * The transactional journal's store could not be read or written (unreachable, refusing, or holding something that
 * is not a journal entry). The message names `journal_path`: without its journal no text may be sent, so the run stops.
 */
export class JournalError extends Error {
  override readonly name = 'JournalError';
  readonly exitCode = EXIT.failed;
}

/**
 * The audit trail (audit_path) could not be written. Every write is to leave its line, so the run stops at once,
 * naming audit_path; the writes already made keep the lines already flushed.
 */
export class AuditError extends Error {
  override readonly name = 'AuditError';
  readonly exitCode = EXIT.failed;
}

export function exitCodeOf(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && typeof err.exitCode === 'number') return err.exitCode;
  return EXIT.failed;
}
