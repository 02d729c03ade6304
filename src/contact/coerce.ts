/**
 * Value coercion: one function per kind of value, each returning the canonical string Listrak stores (or null for
 * "no value"), or a rejection reason. Which one a field uses is decided by its type, in types.ts.
 */

export type Coerced = { ok: true; value: string | null } | { ok: false; reason: RejectReason; detail: string };

export type RejectReason =
  | 'missing_phone'
  | 'invalid_phone'
  | 'wrong_country'
  | 'not_textable'
  | 'duplicate'
  | 'invalid_email'
  | 'invalid_date'
  | 'invalid_number'
  | 'invalid_checkbox'
  | 'invalid_type'
  | 'too_long'
  | 'listrak_rejected'
  // consent (contact/consent.ts)
  | 'bad_consent'
  | 'no_consent'
  | 'consent_revoked'
  // transactional messages
  | 'missing_field'
  | 'empty_message'
  | 'coupon_tag'
  | 'unknown_message'
  | 'not_subscribed'
  | 'stale'
  // export rows
  | 'missing_key'
  | 'invalid_value';

const ok = (value: string | null): Coerced => ({ ok: true, value });
const fail = (reason: RejectReason, detail: string): Coerced => ({ ok: false, reason, detail });

// C0/C1 control characters other than ordinary whitespace have no place in a profile value.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const WHITESPACE_RUN = /[\t\r\n]+/g;
// eslint-disable-next-line no-control-regex -- see CONTROL
const NEEDS_CLEANING = /^\s|\s$|[\u0000-\u001F\u007F-\u009F]/;

export function coerceText(v: unknown, maxLength: number | null | undefined): Coerced {
  if (v === null || v === undefined) return ok(null);
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else return fail('invalid_type', `expected text, got ${Array.isArray(v) ? 'an array' : 'an object'}`);
  // Most values are clean: test once, and only rebuild the string when there is something to remove.
  if (NEEDS_CLEANING.test(s)) s = s.replace(CONTROL, '').replace(WHITESPACE_RUN, ' ').trim();
  if (s === '') return ok(null);
  if (maxLength && s.length > maxLength) return fail('too_long', `${s.length} characters, the field allows ${maxLength}`);
  return ok(s);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Listrak's limit on an email address. */
export const EMAIL_MAX_LENGTH = 100;

export function coerceEmail(v: unknown): Coerced {
  const t = coerceText(v, EMAIL_MAX_LENGTH);
  if (!t.ok || t.value === null) return t;
  if (!EMAIL.test(t.value)) return fail('invalid_email', 'not an email address');
  return t;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

export function coerceNumber(v: unknown): Coerced {
  if (v === null || v === undefined || v === '') return ok(null);
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && NUMBER.test(v.trim())) n = Number(v); // Number() ignores the same white space
  else return fail('invalid_number', `not a plain decimal number`);
  if (!Number.isFinite(n) || Math.abs(n) >= 1e15) return fail('invalid_number', 'number out of range');
  const s = String(n);
  // String() switches to exponent form for tiny magnitudes; Listrak wants plain decimals.
  return NUMBER.test(s) ? ok(s) : ok(n.toFixed(12).replace(/0+$/, '').replace(/\.$/, ''));
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1', 'on', 'checked']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0', 'off', 'unchecked']);

export function coerceCheckbox(v: unknown): Coerced {
  if (v === null || v === undefined || v === '') return ok(null);
  if (typeof v === 'boolean') return ok(v ? 'true' : 'false');
  if (v === 1 || v === 0) return ok(v === 1 ? 'true' : 'false');
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return ok('true');
    if (FALSE.has(s)) return ok('false');
  }
  return fail('invalid_checkbox', 'expected true/false, yes/no, 1/0 or on/off');
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const YMD_SLASH = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;

/**
 * Dates become `YYYY-MM-DD`. Accepted: ISO 8601 dates and date-times (the date as written, no time-zone shift:
 * a birthday is a calendar day), `YYYY/MM/DD`, US `M/D/YYYY`, and `YYYYMMDD`. Impossible days are rejected.
 */
export function coerceDate(v: unknown): Coerced {
  if (v === null || v === undefined || v === '') return ok(null);
  if (typeof v !== 'string') return fail('invalid_date', `expected a date string, got ${typeof v}`);
  const s = v.trim();
  let y: number, m: number, d: number;
  let match: RegExpExecArray | null;
  if ((match = ISO.exec(s)) || (match = YMD_SLASH.exec(s)) || (match = COMPACT.exec(s))) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = US.exec(s))) {
    [m, d, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else return fail('invalid_date', 'not a recognised date (use YYYY-MM-DD)');
  if (y < 1900 || y > 2100) return fail('invalid_date', `year ${y} is out of range`);
  // Date.UTC rolls an impossible day or month over into another month (Feb 30 → Mar 2, month 13 → January).
  if (new Date(Date.UTC(y, m - 1, d)).getUTCMonth() !== m - 1) return fail('invalid_date', 'no such day');
  return ok(`${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`); // y has four digits (1900 to 2100)
}
