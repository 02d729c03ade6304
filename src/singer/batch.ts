/**
 * The records of a BATCH message: each manifest file read in turn (gunzipped when the encoding says so), one JSON
 * record a line, handed out as RECORD messages of the BATCH's stream that name their file and line, so that every
 * later step (diff, rejects, errors) treats them exactly as records met inline.
 *
 * The whole manifest is checked when the message is met, before its first record is handed out: an entry that is
 * not a local file, or that cannot be read, stops the run as bad input before anything is written.
 */
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { LineReader } from './lines.js';
import type { BatchMessage, Numbered, RecordMessage, SingerMessage } from './messages.js';
import { MAX_LINE_CHARS } from './reader.js';

/** The local paths of a BATCH's manifest, each checked to be a readable file. */
export function manifestFiles(msg: Numbered<BatchMessage>): string[] {
  return msg.manifest.map((entry) => {
    const fail = (why: string) => new InputError(msg.line, `BATCH for stream "${msg.stream}": manifest entry ${entry} ${why}`);
    let path: string;
    try {
      const url = new URL(entry);
      if (url.protocol !== 'file:') throw fail(`is not a local file (a file:// URL is needed, not ${url.protocol})`);
      path = fileURLToPath(url);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw fail(`is not a local file:// URL (${(e as Error).message})`);
    }
    try {
      if (!statSync(path).isFile()) throw fail('is not a file');
      accessSync(path, constants.R_OK);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return path;
  });
}

/** The BATCH's records, file by file, in order. */
export async function* batchRecords(msg: Numbered<BatchMessage>): AsyncGenerator<Numbered<RecordMessage>> {
  const gzip = msg.encoding.compression === 'gzip';
  for (const file of manifestFiles(msg)) {
    const source = createReadStream(file);
    const bytes: Readable = gzip ? source.pipe(createGunzip()) : source;
    // pipe() does not pass on the source's errors: a file failing mid-read must fail the read, not hang it.
    if (gzip) source.on('error', (e) => bytes.destroy(e));
    const lines = new LineReader(bytes, 4 * MAX_LINE_CHARS);
    try {
      for (;;) {
        let text: string | undefined;
        try {
          text = await lines.next();
        } catch (e) {
          throw new InputError(lines.line + 1, `cannot be read (${(e as Error).message})`, file);
        }
        if (text === undefined) break;
        if (text.trim() === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(text);
        } catch (e) {
          throw new InputError(lines.line, `malformed JSON (${(e as Error).message})`, file);
        }
        if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new InputError(lines.line, 'a batch record must be a JSON object', file);
        yield { type: 'RECORD', stream: msg.stream, record: record as Record<string, unknown>, line: lines.line, file };
      }
    } finally {
      await lines.close();
      source.destroy();
    }
  }
}

/** The records a message carries: a RECORD itself, a BATCH's from its files, none for any other message. */
export async function* recordsOf(msg: Numbered<SingerMessage>): AsyncGenerator<Numbered<RecordMessage>> {
  if (msg.type === 'RECORD') yield msg;
  else if (msg.type === 'BATCH') yield* batchRecords(msg);
}
