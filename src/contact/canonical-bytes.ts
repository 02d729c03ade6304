/**
 * Canonical forms read off bytes: the tests that tell a picked ASCII value (see Picked in fast/json-scanner.ts) is
 * already what coerce.ts would make of it, so its bytes can be fingerprinted as they are. Each mirrors a rule of
 * coerce.ts or phone.ts for the ASCII case only; any value that fails a test is built and goes through the rule
 * itself, so these can only make a value cheaper, never different (the members-page and record-lines specs hold
 * them to the rules on random values).
 */
import { digitsValue } from '../ascii.js';
import { MAX_PHONE_CHARS } from './phone.js';

const SPACE = 0x20;
const DEL = 0x7f;
const AT = 0x40;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const PLUS = 0x2b;
const DASH = 0x2d;
const OPEN = 0x28;
const CLOSE = 0x29;

/**
 * Non-empty text that coerceText returns unchanged: no space at either edge and no DEL. (The other characters it
 * cleans, tabs, line ends and the rest below U+0020, cannot stand raw in a JSON string, so an Ascii pick has none.)
 */
export function isCleanAscii(b: Uint8Array, start: number, end: number): boolean {
  if (end <= start || b[start] === SPACE || b[end - 1] === SPACE) return false;
  for (let i = start; i < end; i++) if (b[i] === DEL) return false;
  return true;
}

/** Clean text that also passes coerceEmail's shape test: one `@`, no spaces, a dot inside the domain. */
export function isEmailAscii(b: Uint8Array, start: number, end: number): boolean {
  let at = -1;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === SPACE || c === DEL) return false;
    if (c === AT) {
      if (at >= 0) return false;
      at = i;
    }
  }
  if (at <= start) return false;
  for (let i = at + 2; i < end - 1; i++) if (b[i] === DOT) return true;
  return false;
}

/** Digits coerceNumber returns unchanged: "0", or up to 15 digits without a leading zero. */
export function isCanonicalInteger(b: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len < 1 || len > 15 || (len > 1 && b[start] === ZERO)) return false;
  return allDigits(b, start, end);
}

/** The phone key of bytes in the shape isCanonicalShape accepts (8 to 15 digits, no leading zero), else -1. */
export function canonicalShapeKey(b: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len < 8 || len > 15 || b[start] === ZERO || !allDigits(b, start, end)) return -1;
  return digitsValue(b, start, end);
}

/** A PhoneContext's calling code and national lengths, as the byte rule below reads them. */
export interface IdentityBytesContext {
  callingCode: number;
  callingCodeDigits: number;
  nationalLengths: readonly number[];
}

/**
 * identityDigits (phone.ts) read off ASCII bytes, as a key: formatting (space, `.`, `-`, brackets) skipped, a
 * leading `+` kept as international, else the calling code put before a national-length number. -1 where the
 * string rule gives no digits or its digits are not a canonical key; the phone is then read the reference way.
 */
export function identityDigitsKey(b: Uint8Array, start: number, end: number, ctx: IdentityBytesContext): number {
  if (end - start > MAX_PHONE_CHARS) return -1;
  let i = start;
  while (i < end && b[i] === SPACE) i++;
  const plus = b[i] === PLUS;
  if (plus) i++;
  let key = 0;
  let len = 0;
  let first = -1;
  for (; i < end; i++) {
    const c = b[i] as number;
    if (c >= ZERO && c <= NINE) {
      if (++len > 15) return -1;
      if (first < 0) first = c;
      key = key * 10 + (c - ZERO);
    } else if (c !== SPACE && c !== DOT && c !== DASH && c !== OPEN && c !== CLOSE) return -1;
  }
  if (len === 0) return -1;
  if (!plus) {
    const cc = ctx.callingCodeDigits;
    if (first !== ZERO && ctx.nationalLengths.includes(len)) {
      key += ctx.callingCode * 10 ** len;
      len += cc;
    } else if (!(len > cc && Math.floor(key / 10 ** (len - cc)) === ctx.callingCode && ctx.nationalLengths.includes(len - cc))) return -1;
  }
  // A canonical key: 8 to 15 digits without a leading zero (a national number starting 0 never reaches here).
  return len >= 8 && len <= 15 && !(plus && first === ZERO) ? key : -1;
}

function allDigits(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i] as number;
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/**
 * Whether a picked value is already canonical for a field: `integer` when it is a plain integer (Picked.Integer),
 * else it is ASCII text without escapes; the value is bytes [start, end).
 */
export type CanonicalTest = (integer: boolean, b: Uint8Array, start: number, end: number) => boolean;
