/**
 * Singer message shapes (https://hub.meltano.com/singer/spec). Unknown extra keys are kept, as the spec allows
 * taps to add them; unknown message types are an input error, because a target that guesses loses data.
 */
import { z } from 'zod';

const jsonObject = z.record(z.string(), z.unknown());

export const schemaMessage = z.object({
  type: z.literal('SCHEMA'),
  stream: z.string().min(1),
  schema: jsonObject,
  key_properties: z.array(z.string()).default([]),
  bookmark_properties: z.array(z.string()).optional(),
});

export const recordMessage = z.object({
  type: z.literal('RECORD'),
  stream: z.string().min(1),
  record: jsonObject,
  version: z.number().optional(),
  time_extracted: z.string().optional(),
});

export const stateMessage = z.object({
  type: z.literal('STATE'),
  value: z.unknown(),
});

export const activateVersionMessage = z.object({
  type: z.literal('ACTIVATE_VERSION'),
  stream: z.string().min(1),
  version: z.number(),
});

/**
 * The Meltano SDK's BATCH message: the stream's records are in local files (one JSON record a line), named by
 * `file://` URLs in `manifest`. Only what the SDK writes for JSONL is read: `jsonl`, gzipped or not.
 */
export const batchMessage = z.object({
  type: z.literal('BATCH'),
  stream: z.string().min(1),
  encoding: z.object({
    format: z.literal('jsonl', { message: 'only jsonl batch files are read' }),
    compression: z.enum(['gzip', 'none'], { message: 'must be gzip or none' }).nullish(),
  }),
  manifest: z.array(z.string()),
});

export const singerMessage = z.discriminatedUnion('type', [
  schemaMessage,
  recordMessage,
  stateMessage,
  activateVersionMessage,
  batchMessage,
]);

export type SchemaMessage = z.output<typeof schemaMessage>;
export type RecordMessage = z.output<typeof recordMessage>;
export type StateMessage = z.output<typeof stateMessage>;
export type ActivateVersionMessage = z.output<typeof activateVersionMessage>;
export type BatchMessage = z.output<typeof batchMessage>;
export type SingerMessage = z.output<typeof singerMessage>;

/**
 * A message with the 1-based line it came from, so every later error can name the line. A record read from a
 * BATCH file also names that file, and `line` is then the file's line.
 */
export type Numbered<T> = T & { line: number; file?: string };
