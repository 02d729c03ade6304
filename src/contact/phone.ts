/**
 * Phone normalization to the form Listrak stores: country calling code + national number, digits only
 * (US: 12155550123). Digits only also keeps the number safe inside URL paths (Get Contact, Subscribe, Unsubscribe).
 *
 * libphonenumber-js with full metadata decides validity; callers that already know a number is canonical
 * (it is a member Listrak returned) skip this work, see sync/diff.ts.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; phone: string } | { ok: false; reason: 'invalid_phone' | 'missing_phone'; detail: string };

const DIGITS = /^\d+$/;
const DIGITS_WITH_IDD = /^00\d+$/;

export function normalizePhone(raw: unknown, region: string): PhoneResult {
  if (raw === null || raw === undefined || raw === '') return { ok: false, reason: 'missing_phone', detail: 'phone is empty' };
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw <= 0) return { ok: false, reason: 'invalid_phone', detail: 'phone is not a whole number' };
    raw = String(raw);
  }
  if (typeof raw !== 'string') return { ok: false, reason: 'invalid_phone', detail: `phone must be a string, got ${typeof raw}` };
  const text = raw.trim();
  if (text.length === 0) return { ok: false, reason: 'missing_phone', detail: 'phone is blank' };
  if (text.length > 40) return { ok: false, reason: 'invalid_phone', detail: 'phone is longer than 40 characters' };

  const parsed = parseValid(text, region) ?? internationalRetry(text);
  if (!parsed) return { ok: false, reason: 'invalid_phone', detail: `not a valid phone number for region ${region}` };
  return { ok: true, phone: parsed };
}

function parseValid(text: string, region: string): string | undefined {
  const pn = parsePhoneNumberFromString(text, region as CountryCode);
  if (!pn || !pn.isValid()) return undefined;
  return `${pn.countryCallingCode}${pn.nationalNumber}`;
}

/**
 * A number that is not valid in the default region may be written with its country code but no `+`, or with the
 * `00` international prefix used outside North America.
 */
function internationalRetry(text: string): string | undefined {
  const compact = text.replace(/[\s().-]/g, '');
  if (DIGITS_WITH_IDD.test(compact)) return parseValid(`+${compact.slice(2)}`, 'US');
  if (DIGITS.test(compact) && compact.length >= 8) return parseValid(`+${compact}`, 'US');
  return undefined;
}

/** Listrak's canonical phones are digits only and at most 15 long (E.164), so they fit exactly in a double. */
export function phoneKey(canonical: string): number {
  return Number(canonical);
}

export function isCanonicalShape(s: string): boolean {
  return s.length >= 8 && s.length <= 15 && s.charCodeAt(0) !== 48 && DIGITS.test(s);
}

/** The key of a phone Listrak returned: as is when canonical, else normalized; undefined when hopeless. */
export function canonicalKey(phone: string, region: string): number | undefined {
  if (isCanonicalShape(phone)) return Number(phone);
  const r = normalizePhone(phone, region);
  return r.ok ? Number(r.phone) : undefined;
}
