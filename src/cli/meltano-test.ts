/**
 * `meltano config test` pipes a SCHEMA, one RECORD and a STATE of a stream named `meltano_test_stream` into a
 * loader and judges the settings by the exit code. A sync of that stream would be refused (no audience, no file
 * kind) whatever the settings; what the user asks is whether the settings work. So when the input opens with that
 * stream, the plugin runs its `--check` instead, writing nothing, and exits with its status.
 */
import { Readable } from 'node:stream';

export const MELTANO_TEST_STREAM = 'meltano_test_stream';

/** How far the first line is looked for; a longer first line is no test message. */
const MAX_PEEK = 1 << 20;

/**
 * Whether the input opens with Meltano's test stream, and the input to read from now on: the same stream with
 * what was read put back (`unshift`), so a stop request that destroys it still reaches the tap's pipe.
 */
export async function peekMeltanoTest(input: Readable, signal?: AbortSignal): Promise<{ test: boolean; input: Readable }> {
  const { head, ended } = await firstLine(input, signal);
  const end = head.indexOf(0x0a);
  const test = isTestSchema(head.toString('utf8', 0, end < 0 ? head.length : end));
  if (ended) return { test, input: Readable.from(head.length ? [head] : [], { objectMode: false }) };
  if (head.length) input.unshift(head);
  return { test, input };
}

/** The input read up to its first line end (or its end, or MAX_PEEK bytes), in paused mode. */
function firstLine(input: Readable, signal?: AbortSignal): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const seen: Buffer[] = [];
    let bytes = 0;
    const done = (ended: boolean) => {
      cleanup();
      resolve({ head: Buffer.concat(seen), ended });
    };
    const fail = (e: unknown) => {
      cleanup();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const onReadable = () => {
      for (let chunk = input.read() as Buffer | string | null; chunk !== null; chunk = input.read() as Buffer | string | null) {
        const bytesOf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        seen.push(bytesOf);
        bytes += bytesOf.length;
        if (bytesOf.includes(0x0a) || bytes > MAX_PEEK) return done(false);
      }
    };
    const onEnd = () => done(true);
    // A stop request while the tap has not yet sent a whole line: the wait ends with the stop's reason.
    const onAbort = () => fail(signal?.reason);
    const cleanup = () => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', fail);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return onAbort();
    input.on('readable', onReadable);
    input.once('end', onEnd);
    input.once('error', fail);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isTestSchema(line: string): boolean {
  try {
    const msg = JSON.parse(line.replace(/^\ufeff/, '')) as { type?: unknown; stream?: unknown };
    return msg.type === 'SCHEMA' && msg.stream === MELTANO_TEST_STREAM;
  } catch {
    return false;
  }
}
