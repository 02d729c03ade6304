/**
 * Reads the start of the Singer input, up to the audience stream's first RECORD, so the managed fields are known
 * (from the SCHEMA) before the members are fingerprinted. The messages read are handed back for the audience phase.
 */
import { InputError } from '../errors.js';
import type { Numbered, SchemaMessage, SingerMessage } from '../singer/messages.js';

export interface InputHead {
  audienceStream: string;
  schema: Numbered<SchemaMessage>;
  /** Property names the managed fields are drawn from. */
  properties: string[];
  /** Every message read so far, then the rest of the input. */
  messages: AsyncIterable<Numbered<SingerMessage>>;
}

export async function readInputHead(source: AsyncIterator<Numbered<SingerMessage>>, configuredStream: string | undefined): Promise<InputHead> {
  const buffered: Numbered<SingerMessage>[] = [];
  let schema: Numbered<SchemaMessage> | undefined;
  let firstRecord: Record<string, unknown> | undefined;
  let audienceStream = configuredStream;
  for (;;) {
    const next = await source.next();
    if (next.done) break;
    const msg = next.value;
    buffered.push(msg);
    if (msg.type === 'SCHEMA' && !schema && (audienceStream === undefined || msg.stream === audienceStream)) {
      schema = msg;
      audienceStream = msg.stream;
    } else if (msg.type === 'RECORD' && msg.stream === audienceStream) {
      if (!schema) throw new InputError(msg.line, `RECORD for stream "${msg.stream}" before its SCHEMA`);
      firstRecord = msg.record;
      break;
    } else if (msg.type === 'RECORD' && !schema) {
      throw new InputError(msg.line, `RECORD for stream "${msg.stream}" before any SCHEMA of the audience stream`);
    }
  }
  if (!schema || !audienceStream) {
    throw new InputError(
      buffered.length ? (buffered[buffered.length - 1] as Numbered<SingerMessage>).line : 0,
      configuredStream
        ? `no SCHEMA for the audience stream "${configuredStream}" in the input; an empty or foreign input is never taken as an empty audience`
        : 'no SCHEMA message in the input; an empty input is never taken as an empty audience',
    );
  }
  const declared = Object.keys((schema.schema.properties as object | undefined) ?? {});
  // A schema without properties (`{}`) is legal Singer; then the first record's keys say what is managed.
  const properties = declared.length > 0 ? declared : Object.keys(firstRecord ?? {});
  async function* replay() {
    yield* buffered;
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { audienceStream, schema, properties, messages: replay() };
}
