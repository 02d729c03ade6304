/**
 * The one place where errors become a message on stderr and an exit code, and where the process's ways of being
 * asked to stop (SIGINT, SIGTERM, a reader that closed stdout) become one stop request, handed to the run as an
 * AbortSignal whose reason is a StoppedError. The run stops at a safe point and throws it; it is printed as one
 * line, without a stack trace. A second SIGINT or SIGTERM is not caught: it ends the process at once.
 */
import { exitCodeOf, ListrakError, StoppedError } from '../errors.js';
import { printable } from '../printable.js';
import { maskPhonesIn, scrubSecrets } from '../redact.js';

/** `--debug` (or DEBUG set): the stack trace follows the error line. Read from argv so it works even when parsing fails. */
export function debugRequested(argv: string[] = process.argv): boolean {
  return argv.includes('--debug') || !!process.env.DEBUG;
}

/** An error as the one line a user reads: no stack, phones masked, secrets removed, input escaped and cut short. */
export function errorLine(e: unknown, secrets: Iterable<string | undefined> = []): string {
  const err = e instanceof Error ? e : new Error(String(e));
  let text = err instanceof StoppedError ? err.message : err instanceof ListrakError ? `Listrak error ${err.code}: ${err.message}` : `${err.name ?? 'Error'}: ${err.message}`;
  text = scrubSecrets(maskPhonesIn(text), secrets);
  return `${err instanceof StoppedError ? 'STOPPED' : 'ERROR'}: ${printable(text, 2000)}`;
}

export async function runMain(main: (stop: AbortSignal) => Promise<number>, secrets: () => Iterable<string | undefined> = () => []): Promise<void> {
  const stop = new AbortController();
  let reported = false;
  const report = (e: unknown) => {
    reported = true;
    process.stderr.write(errorLine(e, secrets()) + '\n');
    const stack = e instanceof Error && !(e instanceof StoppedError) ? e.stack : undefined;
    if (debugRequested() && stack) process.stderr.write(maskPhonesIn(stack) + '\n');
    process.exitCode = exitCodeOf(e);
  };
  // A failure outside main's promise (an 'error' event nobody listens to, a stray rejection) would otherwise
  // reach Node's default handler: a stack trace and exit 1. It gets the same one line and exit code instead.
  const stray = (e: unknown) => {
    report(e);
    process.exit();
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);

  let finished = false;
  const request = (e: StoppedError) => {
    if (!stop.signal.aborted) stop.abort(e);
    // Stdout closed after the run ended (at its last line): that line is lost all the same; say so.
    if (finished && !reported) report(e);
  };
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => request(new StoppedError(signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A write error on stdout is a reader that went away; later ones are the same closed pipe, never a crash.
  process.stdout.on('error', () => request(new StoppedError('EPIPE')));

  try {
    process.exitCode = await main(stop.signal);
    // A signal that came once the work was done changes nothing; a closed stdout means a line was lost.
    if (stop.signal.aborted && (stop.signal.reason as StoppedError).trigger === 'EPIPE') report(stop.signal.reason);
  } catch (e) {
    report(e);
  } finally {
    finished = true;
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
