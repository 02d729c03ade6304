/** The one place where errors become a message on stderr and an exit code. */
import { exitCodeOf, ListrakError } from '../errors.js';
import { printable } from '../printable.js';
import { maskPhonesIn } from '../redact.js';

/** `--debug` (or DEBUG set): the stack trace follows the error line. Read from argv so it works even when parsing fails. */
export function debugRequested(argv: string[] = process.argv): boolean {
  return argv.includes('--debug') || !!process.env.DEBUG;
}

/** An error as the one line a user reads: no stack, phones masked, secrets removed, input escaped and cut short. */
export function errorLine(e: unknown, secrets: Iterable<string | undefined> = []): string {
  const err = e instanceof Error ? e : new Error(String(e));
  let text = err instanceof ListrakError ? `Listrak error ${err.code}: ${err.message}` : `${err.name ?? 'Error'}: ${err.message}`;
  text = maskPhonesIn(text);
  for (const s of secrets) if (s && s.length >= 4) text = text.split(s).join('***');
  return `ERROR: ${printable(text, 2000)}`;
}

export async function runMain(main: () => Promise<number>, secrets: () => Iterable<string | undefined> = () => []): Promise<void> {
  const fail = (e: unknown): number => {
    process.stderr.write(errorLine(e, secrets()) + '\n');
    const stack = e instanceof Error ? e.stack : undefined;
    if (debugRequested() && stack) process.stderr.write(maskPhonesIn(stack) + '\n');
    return exitCodeOf(e);
  };
  // A failure outside main's promise (an 'error' event nobody listens to, a stray rejection) would otherwise
  // reach Node's default handler: a stack trace and exit 1. It gets the same one line and exit code instead.
  const stray = (e: unknown) => process.exit(fail(e));
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
  let code: number;
  try {
    code = await main();
  } catch (e) {
    code = fail(e);
  }
  process.exitCode = code;
}
