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
} as const;

/** The config file is missing, unreadable or invalid. Raised before any API call. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = EXIT.config;
}

/** The Singer input is malformed. `line` is 1-based, as an editor shows it. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = EXIT.input;
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`input line ${line}: ${reason}`);
  }
}

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

/** The sync finished its work but the list does not match the audience (some writes failed). */
export class IncompleteSyncError extends Error {
  override readonly name = 'IncompleteSyncError';
  readonly exitCode = EXIT.failed;
}

export function exitCodeOf(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && typeof err.exitCode === 'number') return err.exitCode;
  return EXIT.failed;
}
