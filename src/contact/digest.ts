/**
 * A record's digest: its phone key and the fingerprints of its managed values, all the diff needs to know that a
 * member is unchanged. Computed where the record is parsed (the main thread or a worker, see block-digester.ts).
 */
import { phoneCandidates, type PhoneContext } from './phone.js';
import { isDeletedInSource, mapRecord, recordValue, type FieldPlan } from './fields.js';
import { fingerprint } from './fingerprint.js';
import { readConsentValue } from './consent.js';

export interface Digest {
  key: number;
  systemFp: number;
  customFp: number;
}

export interface DigestContext {
  plan: FieldPlan;
  phone: PhoneContext;
}

/**
 * The phone key the diff would identify the record by first, and the values' fingerprints; undefined when the
 * record must be diffed in full whatever the index says (no phone to read, a value to reject, a deleted row).
 * A key that is no unchanged member also sends the record to the full diff, which tries the phone's other
 * readings: so the digest can only say "unchanged" where the diff would. A record with anything but unknown
 * consent is diffed in full too: its consent event must be weighed (diff.ts), whatever its fields say.
 */
export function digestRecord(record: Record<string, unknown>, ctx: DigestContext): Digest | undefined {
  if (isDeletedInSource(record)) return undefined;
  const key = phoneCandidates(recordValue(record, ctx.plan.phoneProperty), ctx.phone)[0];
  if (key === undefined) return undefined;
  if (ctx.plan.consent && !knownUnknown(recordValue(record, ctx.plan.consent.property))) return undefined;
  const mapped = mapRecord(ctx.plan, record);
  if (!mapped.ok) return undefined;
  return { key, systemFp: fingerprint(mapped.values.system), customFp: fingerprint(mapped.values.custom) };
}

function knownUnknown(v: unknown): boolean {
  const read = readConsentValue(v);
  return read.ok && read.state === 'unknown';
}

/** What a line of input is, as a worker that digested it tells the main thread. */
export const LineKind = {
  /** Blank: skipped. */
  Blank: 0,
  /** An audience record with its digest. */
  Digest: 1,
  /** An audience record to diff in full (a phone or value to reject), or any other message or bad line. */
  Parse: 2,
} as const;
