/**
 * Reads the start of the Singer input, up to the first record (inline or in a BATCH), to learn what the input holds: an audience stream
 * (its SCHEMA decides the mirrored fields before the members are fingerprinted), transactional messages, or both.
 * The messages read are handed back, then the rest of the input.
 */
import { InputError } from '../errors.js';
import { batchRecords } from './batch.js';
import type { BatchMessage, Numbered, SchemaMessage, SingerMessage } from './messages.js';
import type { SingerReader } from './reader.js';
import { requireSchema, type SingerRouter } from './route.js';

export interface AudienceHead {
  stream: string;
  schema: Numbered<SchemaMessage>;
  /** Property names the mirrored fields are drawn from. */
  properties: string[];
}

export interface InputHead {
  audience?: AudienceHead;
  /** The messages read so far, not yet handed out by `messages`. */
  buffered: Numbered<SingerMessage>[];
  /** Every message read so far, then the rest of the input. */
  messages: AsyncIterableIterator<Numbered<SingerMessage>>;
}

/** `router` pulls the messages, so that a partial last line met here is held as it would be later. */
export async function readInputHead(
  source: SingerReader,
  router: Pick<SingerRouter<unknown>, 'pull' | 'end'>,
  streams: { audience?: string; transactional: string },
): Promise<InputHead> {
  const buffered: Numbered<SingerMessage>[] = [];
  const schemas = new Set<string>();
  let schema: Numbered<SchemaMessage> | undefined;
  let firstRecord: Record<string, unknown> | undefined;
  for (;;) {
    const msg = await router.pull(source);
    if (!msg) {
      // The whole input is in the head: a bad line in it is bad input, unless it is the partial last line.
      router.end(source.ending);
      break;
    }
    buffered.push(msg);
    if (msg.type === 'SCHEMA') {
      schemas.add(msg.stream);
      if (!schema && msg.stream !== streams.transactional && (streams.audience === undefined || msg.stream === streams.audience)) schema = msg;
    } else if (msg.type === 'RECORD') {
      requireSchema(msg, schemas);
      if (msg.stream === schema?.stream) {
        firstRecord = msg.record;
        break;
      }
      // Transactional messages first and no audience declared yet: a transactional-only input.
      if (msg.stream === streams.transactional && !schema) break;
    } else if (msg.type === 'BATCH') {
      // Records in files: the same as a first record met inline.
      requireSchema(msg, schemas);
      if (msg.stream === schema?.stream) {
        firstRecord = await firstBatchRecord(msg);
        break;
      }
      if (msg.stream === streams.transactional && !schema) break;
    }
  }
  const lastLine = buffered.length ? (buffered[buffered.length - 1] as Numbered<SingerMessage>).line : 0;
  if (!schema && !schemas.has(streams.transactional)) {
    throw new InputError(
      lastLine,
      streams.audience
        ? `no SCHEMA for the audience stream "${streams.audience}" in the input; an empty or foreign input is never taken as an empty audience`
        : 'no SCHEMA message in the input; an empty input is never taken as an empty audience',
    );
  }
  // The buffered messages, then the source's own: no generator in between, which would add its steps to each
  // of a million messages.
  const messages: AsyncIterableIterator<Numbered<SingerMessage>> = {
    next: () => (buffered.length ? Promise.resolve({ done: false, value: buffered.shift() as Numbered<SingerMessage> }) : source.next()),
    return: async () => (await source.return?.()) ?? { done: true, value: undefined },
    [Symbol.asyncIterator]: () => messages,
  };
  if (!schema) return { buffered, messages };
  const declared = Object.keys((schema.schema.properties as object | undefined) ?? {});
  // A schema without properties (`{}`) is legal Singer; then the first record's keys say what is managed.
  const properties = declared.length > 0 ? declared : Object.keys(firstRecord ?? {});
  return { audience: { stream: schema.stream, schema, properties }, buffered, messages };
}

async function firstBatchRecord(msg: Numbered<BatchMessage>): Promise<Record<string, unknown> | undefined> {
  const records = batchRecords(msg);
  try {
    return (await records.next()).value?.record;
  } finally {
    await records.return(undefined);
  }
}
