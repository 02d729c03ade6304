/** The one place where errors become a message on stderr and an exit code. */
import { exitCodeOf, ListrakError } from '../errors.js';
import { maskPhonesIn } from '../redact.js';

export async function runMain(main: () => Promise<number>, secrets: () => Iterable<string | undefined> = () => []): Promise<void> {
  let code: number;
  try {
    code = await main();
  } catch (e) {
    const err = e as Error;
    let text = err instanceof ListrakError ? `Listrak error ${err.code}: ${err.message}` : `${err.name ?? 'Error'}: ${err.message}`;
    text = maskPhonesIn(text);
    for (const s of secrets()) if (s && s.length >= 4) text = text.split(s).join('***');
    process.stderr.write(`ERROR: ${text}\n`);
    if (process.env.DEBUG && err.stack) process.stderr.write(maskPhonesIn(err.stack) + '\n');
    code = exitCodeOf(e);
  }
  process.exitCode = code;
}
