/**
 * Phones: who a record's phone identifies, and whether a number may be added.
 *
 * Listrak stores a phone as country calling code + national number, digits only (US: 12155550123); digits only
 * also keeps it safe inside URL paths (Get Contact, Subscribe, Unsubscribe). Two rules, in this order:
 *  1. Identity before validation. A record's phone identifies a current member when its digits, formatting removed
 *     and the sender code's calling code put before a national-length number, are that member's number. No
 *     validity check applies: libphonenumber's metadata does not know every number Listrak holds (new area codes
 *     arrive every year), and a member must never be unsubscribed because of how its phone was written.
 *  2. Only textable numbers are added. A number that is no member is parsed and validated in full
 *     (libphonenumber-js, full metadata) and must be one the sender code can text: its country calling code, or a
 *     country the config allows, and not toll-free, premium-rate, shared-cost or a landline.
 */
import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type NumberType } from 'libphonenumber-js/max';
import { Metadata } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/max/metadata';

export type PhoneResult = { ok: true; phone: string } | { ok: false; reason: 'invalid_phone' | 'missing_phone'; detail: string };

/** No phone is read past this length. */
export const MAX_PHONE_CHARS = 40;
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
  if (text.length > MAX_PHONE_CHARS) return { ok: false, reason: 'invalid_phone', detail: `phone is longer than ${MAX_PHONE_CHARS} characters` };

  const parsed = parseValid(text, region) ?? internationalRetry(text);
  if (!parsed) return { ok: false, reason: 'invalid_phone', detail: `not a valid phone number for region ${region}` };
  return { ok: true, phone: parsed };
}

/** `region`: how to read a number without `+` (one with it names its own country). */
function parseValid(text: string, region?: string): string | undefined {
  const pn = parsePhoneNumberFromString(text, region as CountryCode | undefined);
  if (!pn || !pn.isValid()) return undefined;
  return `${pn.countryCallingCode}${pn.nationalNumber}`;
}

/**
 * A number that is not valid in the default region may be written with its country code but no `+`, or with the
 * `00` international prefix used outside North America.
 */
function internationalRetry(text: string): string | undefined {
  const digits = internationalDigits(text);
  return digits === undefined ? undefined : parseValid(`+${digits}`);
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

/** What the phone rules need to know of the sender code: its region, calling code and national number lengths. */
export interface PhoneContext {
  region: string;
  /** The region's country calling code, e.g. "1". */
  callingCode: string;
  /** How many digits a national (mobile) number of the region has: US [10], DE [10, 11]. */
  nationalLengths: readonly number[];
  /** Regions (ISO 3166-1) whose numbers may be added besides those of the sender code's calling code. */
  allowedRegions: readonly string[];
}

export function phoneContext(region: string, allowedRegions: readonly string[] = []): PhoneContext {
  const plan = new Metadata(metadata);
  plan.selectNumberingPlan(region as CountryCode);
  // The numbering plan's per-type lengths are in the metadata but not in the package's types.
  const numbering = plan.numberingPlan as (NonNullable<typeof plan.numberingPlan> & { type(t: 'MOBILE'): { possibleLengths(): number[] | undefined } | undefined }) | undefined;
  const lengths = numbering?.type('MOBILE')?.possibleLengths() ?? numbering?.possibleLengths() ?? [];
  return { region, callingCode: String(getCountryCallingCode(region as CountryCode)), nationalLengths: lengths, allowedRegions };
}

/** Formatting a phone may carry that identity ignores: white space, dots, dashes and brackets. */
const FORMATTING = /[\s.\-()]/g;

/**
 * Rule 1's digits: the phone with its formatting removed; with a leading `+` as written, else with the calling code
 * put before a national-length number (a number already carrying the calling code is kept). Undefined when the
 * phone holds anything else (letters, an extension, a trunk `0`): libphonenumber then reads it (phoneCandidates).
 */
export function identityDigits(raw: string, ctx: PhoneContext): string | undefined {
  let text = raw.trimStart();
  const plus = text.charCodeAt(0) === 43;
  if (plus) text = text.slice(1);
  const digits = text.replace(FORMATTING, ''); // anything but digits left fails the shape test at the end
  let canonical: string | undefined;
  if (plus) canonical = digits;
  else if (digits.charCodeAt(0) !== 48 && ctx.nationalLengths.includes(digits.length)) canonical = ctx.callingCode + digits;
  else if (digits.startsWith(ctx.callingCode) && ctx.nationalLengths.includes(digits.length - ctx.callingCode.length)) canonical = digits;
  return canonical !== undefined && isCanonicalShape(canonical) ? canonical : undefined;
}

/**
 * The keys a record's phone may identify a member by, in the order they are tried: its identity digits when the
 * digits rule reads it; otherwise libphonenumber's reading in the sender code's region (a trunk prefix, letters, an
 * extension), then as an international number (`00` prefix, or a country code without `+`), validity unchecked.
 * The first key that is a member is that member. Empty when nothing in it can be a phone.
 */
export function phoneCandidates(raw: unknown, ctx: PhoneContext): number[] {
  const text = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0 ? String(raw) : undefined;
  if (text === undefined || text.length > MAX_PHONE_CHARS) return [];
  const identity = identityDigits(text, ctx);
  // A phone the digits rule reads is that number and no other: a looser reading could name someone else.
  if (identity !== undefined) return [Number(identity)];
  const keys: number[] = [];
  const add = (digits: string | undefined) => {
    if (digits !== undefined && isCanonicalShape(digits) && !keys.includes(Number(digits))) keys.push(Number(digits));
  };
  const pn = parsePhoneNumberFromString(text, ctx.region as CountryCode);
  if (pn?.isPossible()) add(`${pn.countryCallingCode}${pn.nationalNumber}`);
  add(internationalDigits(text));
  return keys;
}

/** Digits written with the country code but no `+`, or after the `00` international prefix. */
function internationalDigits(text: string): string | undefined {
  const compact = text.replace(FORMATTING, '');
  if (DIGITS_WITH_IDD.test(compact)) return compact.slice(2);
  if (DIGITS.test(compact) && compact.length >= 8) return compact;
  return undefined;
}

/** Number types a short code cannot text. */
const NOT_TEXTABLE: ReadonlySet<NumberType> = new Set(['TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'FIXED_LINE']);

/**
 * Rule 2 for a valid number that would be added (canonical digits): why the sender code cannot text it, if it
 * cannot: another country calling code than the sender code's (unless its country is allowed), or a type that
 * receives no texts.
 */
export function untextable(canonical: string, ctx: PhoneContext): { reason: 'wrong_country' | 'not_textable'; detail: string } | undefined {
  const pn = parsePhoneNumberFromString(`+${canonical}`);
  if (!pn) return { reason: 'not_textable', detail: 'not a number libphonenumber can read' };
  if (pn.countryCallingCode !== ctx.callingCode && !(pn.country && ctx.allowedRegions.includes(pn.country))) {
    const allowed = ctx.allowedRegions.length ? ` and ${ctx.allowedRegions.join(', ')} numbers` : '';
    return { reason: 'wrong_country', detail: `a +${pn.countryCallingCode} number (${pn.country ?? 'no country'}); the sender code texts +${ctx.callingCode}${allowed} (allowed_countries widens it)` };
  }
  const type = pn.getType();
  if (type && NOT_TEXTABLE.has(type)) return { reason: 'not_textable', detail: `a ${type.toLowerCase().replace(/_/g, '-')} number cannot receive texts` };
  return undefined;
}
