/**
 * Singer JSONL reader: lines → validated messages, each tagged with its line number.
 *
 * Records are by far the most common message, so they are checked by hand on the hot path; the other messages go
 * through their zod schemas. Either way a bad line becomes an InputError naming the line and the reason.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { singerMessage, type Numbered, type SingerMessage } from './messages.js';

const MAX_LINE_CHARS = 16 * 1024 * 1024;

export function parseSingerLine(text: string, line: number): Numbered<SingerMessage> | undefined {
  if (text.length === 0 || text.trim().length === 0) return undefined;
  if (text.length > MAX_LINE_CHARS) throw new InputError(line, `line is longer than ${MAX_LINE_CHARS} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(line, `malformed JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError(line, 'a Singer message must be a JSON object');
  const obj = value as Record<string, unknown>;
  if (obj.type === 'RECORD') {
    // Hot path: same checks as the zod schema, without its allocation.
    if (typeof obj.stream !== 'string' || obj.stream.length === 0) throw new InputError(line, 'RECORD has no "stream"');
    const rec = obj.record;
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new InputError(line, 'RECORD has no "record" object');
    return { type: 'RECORD', stream: obj.stream, record: rec as Record<string, unknown>, line } as Numbered<SingerMessage>;
  }
  if (typeof obj.type !== 'string') throw new InputError(line, 'message has no "type"');
  const parsed = singerMessage.safeParse(obj);
  if (!parsed.success) {
    const known = ['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION', 'BATCH'];
    if (!known.includes(obj.type)) throw new InputError(line, `unknown message type "${obj.type}"`);
    const issue = parsed.error.issues[0];
    throw new InputError(line, `invalid ${obj.type} message: ${issue ? `${issue.path.join('.') || '(message)'}: ${issue.message}` : 'invalid'}`);
  }
  return { ...parsed.data, line };
}

/** Async iterator over the messages of a JSONL stream. A stream cut mid-line fails on that last line. */
export async function* readSinger(input: Readable): AsyncGenerator<Numbered<SingerMessage>> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    const msg = parseSingerLine(text, line);
    if (msg) yield msg;
  }
}
