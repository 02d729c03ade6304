/**
 * The one place where errors become a message on stderr and an exit code, and where the process's ways of being
 * asked to stop (SIGINT, SIGTERM, a reader that closed stdout) become one stop request, handed to the run as an
 * AbortSignal whose reason is a StoppedError. The run stops at a safe point and throws it; it is printed as one
 * line, without a stack trace. A second SIGINT or SIGTERM is not caught: it ends the process at once.
 */
import { exitCodeOf, ListrakError, StoppedError } from '../errors.js';
import { maskPhonesIn, scrubSecrets } from '../redact.js';

export async function runMain(main: (stop: AbortSignal) => Promise<number>, secrets: () => Iterable<string | undefined> = () => []): Promise<void> {
  const stop = new AbortController();
  let reported = false;
  const report = (e: unknown) => {
    reported = true;
    const err = e as Error;
    let text = err instanceof StoppedError ? err.message : err instanceof ListrakError ? `Listrak error ${err.code}: ${err.message}` : `${err.name ?? 'Error'}: ${err.message}`;
    text = scrubSecrets(maskPhonesIn(text), secrets());
    process.stderr.write(`${err instanceof StoppedError ? 'STOPPED' : 'ERROR'}: ${text}\n`);
    if (process.env.DEBUG && err.stack && !(err instanceof StoppedError)) process.stderr.write(maskPhonesIn(err.stack) + '\n');
    process.exitCode = exitCodeOf(e);
  };

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
