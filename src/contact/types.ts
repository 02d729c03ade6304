/**
 * What a field value means, by the field's type: the one table every path asks. A type, never a field's name,
 * decides how a value is coerced, what canonical form Listrak's stored value has, and which bytes are already
 * canonical (the fast path's shortcut). The system fields (email, names, birthday, postal code) and the list's
 * profile fields both get their rules from here, so a second Date field behaves exactly like the birthday.
 */
import { coerceCheckbox, coerceDate, coerceEmail, coerceNumber, coerceText, type Coerced } from './coerce.js';
import { isCanonicalInteger, isCleanAscii, isEmailAscii, type CanonicalTest } from './canonical-bytes.js';

export type FieldTypeName = 'text' | 'email' | 'date' | 'number' | 'checkbox';

export interface FieldType {
  readonly name: FieldTypeName;
  /** An audience value: its canonical text, null for "no value", or why it is rejected. */
  coerce(v: unknown, maxLength: number | null | undefined): Coerced;
  /**
   * A value Listrak holds, in the canonical form coerce() gives, so "unchanged" means unchanged whatever spelling
   * either side used. Lenient: Listrak already accepted it, so a value coerce() refuses is compared as stored.
   */
  stored(v: unknown): string | null;
  /** Bytes of an audience value that coerce() returns unchanged (`integer`: a plain JSON integer, else ASCII text). */
  readonly recordBytes: CanonicalTest;
  /** Bytes of a stored value that stored() returns unchanged. */
  readonly storedBytes: CanonicalTest;
  /** How Listrak's contact body writes a system field of this type, when it differs from the canonical text. */
  readonly systemWire?: (canonical: string) => string;
}

const never: CanonicalTest = () => false;
/** coerceText keeps clean text as it is, and a number's digits are its text. */
const textBytes: CanonicalTest = (integer, b, st, en) => integer || isCleanAscii(b, st, en);

/** coerceByType's rule for every type: the coerced value is held to the field's max length too. */
function withinLength(coerce: (v: unknown) => Coerced): FieldType['coerce'] {
  return (v, maxLength) => {
    const r = coerce(v);
    if (r.ok && r.value !== null && maxLength && r.value.length > maxLength) return { ok: false, reason: 'too_long', detail: `${r.value.length} characters, the field allows ${maxLength}` };
    return r;
  };
}

function storedBy(coerce: FieldType['coerce']): FieldType['stored'] {
  return (v) => {
    const r = coerce(v, null); // every coercer maps null and undefined to a null value
    return r.ok ? r.value : String(v);
  };
}

function fieldType(t: Omit<FieldType, 'stored'>): FieldType {
  return { ...t, stored: storedBy(t.coerce) };
}

export const FIELD_TYPES: Readonly<Record<FieldTypeName, FieldType>> = {
  text: fieldType({ name: 'text', coerce: coerceText, recordBytes: textBytes, storedBytes: textBytes }),
  // An email address is text with a shape; a number is never one. Stored, clean text is kept as it is.
  email: fieldType({
    name: 'email',
    coerce: withinLength(coerceEmail),
    // isEmailAscii asks for an `@` (so never a number's digits), and refuses the spaces and DEL clean text refuses.
    recordBytes: (_integer, b, st, en) => isEmailAscii(b, st, en),
    storedBytes: (_integer, b, st, en) => isEmailAscii(b, st, en),
  }),
  // Dates are always rebuilt (`1990-05-01T00:00:00` and `5/1/1990` both become `1990-05-01`).
  date: fieldType({ name: 'date', coerce: withinLength(coerceDate), recordBytes: never, storedBytes: never, systemWire: (day) => `${day}T00:00:00` }),
  number: fieldType({
    name: 'number',
    coerce: withinLength(coerceNumber),
    recordBytes: (integer, b, st, en) => integer || isCanonicalInteger(b, st, en),
    storedBytes: (integer, b, st, en) => integer || isCanonicalInteger(b, st, en),
  }),
  checkbox: fieldType({ name: 'checkbox', coerce: withinLength(coerceCheckbox), recordBytes: never, storedBytes: never }),
};

/** The type of a Listrak profile field, by its `dataType`; anything Listrak adds later is treated as text. */
export function profileFieldType(dataType: string): FieldType {
  switch (dataType) {
    case 'Number':
      return FIELD_TYPES.number;
    case 'Checkbox':
      return FIELD_TYPES.checkbox;
    case 'Date':
      return FIELD_TYPES.date;
    default:
      return FIELD_TYPES.text;
  }
}
