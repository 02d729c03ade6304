/**
 * Canonical forms read off bytes: the tests that tell a picked ASCII value (see Picked in fast/json-scanner.ts) is
 * already what coerce.ts would make of it, so its bytes can be fingerprinted as they are. Each mirrors a rule of
 * coerce.ts or phone.ts for the ASCII case only; any value that fails a test is built and goes through the rule
 * itself, so these can only make a value cheaper, never different (the members-page and record-lines specs hold
 * them to the rules on random values).
 */
import { digitsValue } from '../fast/json-scanner.js';

const SPACE = 0x20;
const DEL = 0x7f;
const AT = 0x40;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const PLUS = 0x2b;

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

/**
 * The key canonicalDigits (digest.ts) reads off an audience phone: `+` and canonical digits, or canonical digits that
 * start with the region's calling code and are long enough to carry it; else -1 (the phone is then parsed properly).
 */
export function canonicalDigitsKey(b: Uint8Array, start: number, end: number, callingCode: Uint8Array): number {
  if (b[start] === PLUS) return canonicalShapeKey(b, start + 1, end);
  if (end - start < 10 + callingCode.length) return -1;
  for (let i = 0; i < callingCode.length; i++) if (b[start + i] !== callingCode[i]) return -1;
  return canonicalShapeKey(b, start, end);
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

export const neverCanonical: CanonicalTest = () => false;

/**
 * A profile value's test by the field's data type, as coerceByType (and canonicalStored) treat it: the text types
 * keep clean text and a number's digits, Number keeps canonical integers, and checkboxes and dates are always built.
 */
export function profileValueTest(dataType: string): CanonicalTest {
  switch (dataType) {
    case 'Number':
      return (integer, b, st, en) => integer || isCanonicalInteger(b, st, en);
    case 'Checkbox':
    case 'Date':
      return neverCanonical;
    default:
      return (integer, b, st, en) => integer || isCleanAscii(b, st, en);
  }
}

