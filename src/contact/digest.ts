/**
 * A record's digest: its phone key and the fingerprints of its managed values, all the diff needs to know that a
 * member is unchanged. Computed where the record is parsed (the main thread or a worker, see block-digester.ts).
 */
import { isCanonicalShape, normalizePhone } from './phone.js';
import { mapRecord, recordValue, type FieldPlan } from './fields.js';
import { fingerprint } from './fingerprint.js';

export interface Digest {
  key: number;
  systemFp: number;
  customFp: number;
}

export interface DigestContext {
  plan: FieldPlan;
  region: string;
  /** The region's calling code, e.g. "1". */
  callingCode: string;
}

/**
 * Digits of a phone that may be used as written: members Listrak already holds skip libphonenumber (the costly
 * part) when written canonically. Without a `+`, only a number that starts with the region's own calling code
 * and is long enough to carry it can be read as already international; anything else is parsed properly.
 */
export function canonicalDigits(raw: string, callingCode: string): string | undefined {
  const plus = raw.charCodeAt(0) === 43;
  const digits = plus ? raw.slice(1) : raw;
  return isCanonicalShape(digits) && (plus || (digits.startsWith(callingCode) && digits.length >= 10 + callingCode.length)) ? digits : undefined;
}

/**
 * The phone key as the diff would find it (for a canonical phone: as written) and the values' fingerprints;
 * undefined when the record must be diffed in full whatever the index says (a phone or value to reject).
 */
export function digestRecord(record: Record<string, unknown>, ctx: DigestContext): Digest | undefined {
  const raw = recordValue(record, ctx.plan.phoneProperty);
  let key: number | undefined;
  if (typeof raw === 'string') {
    const digits = canonicalDigits(raw, ctx.callingCode);
    if (digits !== undefined) key = Number(digits);
  }
  if (key === undefined) {
    const r = normalizePhone(raw, ctx.region);
    if (!r.ok) return undefined;
    key = Number(r.phone);
  }
  const mapped = mapRecord(ctx.plan, record);
  if (!mapped.ok) return undefined;
  return { key, systemFp: fingerprint(mapped.values.system), customFp: fingerprint(mapped.values.custom) };
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
