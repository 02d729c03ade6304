/**
 * Singer JSONL reader: lines → validated messages, each tagged with its line number.
 *
 * Records are by far the most common message, so they are checked by hand on the hot path; the other messages go
 * through their zod schemas. Either way a bad line becomes an InputError naming the line and the reason.
 */
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { printable } from '../printable.js';
import { InputEnding, LineReader, LineTooLong } from './lines.js';
import { singerMessage, type Numbered, type SingerMessage } from './messages.js';

export const MAX_LINE_CHARS = 16 * 1024 * 1024;

export function parseSingerLine(text: string, line: number): Numbered<SingerMessage> | undefined {
  if (text.length === 0 || text.trim().length === 0) return undefined;
  if (text.length > MAX_LINE_CHARS) throw new InputError(line, `line is longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The parser's message quotes the line: shown escaped and cut short (binary input must not reach a terminal).
    throw new InputError(line, `malformed JSON (${printable((e as Error).message, 160)})`);
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
    if (!known.includes(obj.type)) throw new InputError(line, `unknown message type "${printable(obj.type, 40)}"`);
    const issue = parsed.error.issues[0];
    throw new InputError(line, `invalid ${obj.type} message: ${issue ? `${issue.path.join('.') || '(message)'}: ${issue.message}` : 'invalid'}`);
  }
  return { ...parsed.data, line };
}

/** An unterminated line may take this much memory before the input is refused (16M characters, in UTF-8). */
const MAX_LINE_BYTES = 4 * MAX_LINE_CHARS;

/**
 * The messages of a JSONL stream, in order. A hand-made iterator rather than an async generator: each message then
 * costs one resolved promise, not a generator's several steps, which shows at a million records.
 * A stream cut mid-line fails on that last line, and `ending` says it was cut (the router decides what that means).
 */
export class SingerReader implements AsyncIterableIterator<Numbered<SingerMessage>> {
  private readonly lines: LineReader;
  /** Whether the input ended mid-line, known once it has been read to its end (by this reader or a detached one). */
  readonly ending = new InputEnding();

  constructor(input: Readable | AsyncIterable<Buffer | string>) {
    this.lines = new LineReader(input, MAX_LINE_BYTES, this.ending);
  }

  async next(): Promise<IteratorResult<Numbered<SingerMessage>, undefined>> {
    for (;;) {
      let text: string | undefined;
      try {
        text = await this.lines.next();
      } catch (e) {
        if (e instanceof LineTooLong) throw new InputError(e.line ?? this.lines.line + 1, e.message);
        throw e;
      }
      if (text === undefined) return { done: true, value: undefined };
      // A UTF-8 byte order mark (some Windows tools write one) is not part of the first message.
      if (this.lines.line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const msg = parseSingerLine(text, this.lines.line);
      if (msg) return { done: false, value: msg };
    }
  }

  async return(): Promise<IteratorResult<Numbered<SingerMessage>, undefined>> {
    await this.lines.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Stop reading messages here and hand over the rest: the lines already split (numbered from firstLine), then the
   * raw line-aligned blocks, for a reader that parses them on other threads (fast/block-digester.ts).
   */
  detach(): { firstLine: number; lines: string[]; blocks: AsyncGenerator<Buffer> } {
    const firstLine = this.lines.line + 1;
    return { firstLine, ...this.lines.detach() };
  }
}

export function readSinger(input: Readable | AsyncIterable<Buffer | string>): SingerReader {
  return new SingerReader(input);
}
