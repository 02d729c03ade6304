/**
 * Which record properties the sync manages, and how a record becomes a Listrak contact.
 *
 * The audience stream's SCHEMA decides the managed fields: the five system fields it declares, plus each other
 * property that matches a profile field name (case, spaces and punctuation ignored). A managed field missing from a
 * record counts as empty, since the record is the truth for the fields its schema declares; a field the schema does
 * not declare is never touched.
 */
import type { ProfileField, SegmentationValue, SmsContact } from '../listrak/sms.js';
import { fingerprint } from './fingerprint.js';
import { EMAIL_MAX_LENGTH, canonicalStored, coerceByType, coerceDate, coerceEmail, coerceText, isCleanText, type Coerced, type RejectReason } from './coerce.js';

export type SystemField = 'emailAddress' | 'firstName' | 'lastName' | 'birthday' | 'postalCode';

/** How a system field's values are checked: text up to a length, an email address, or a date. */
export type SystemShape = { kind: 'text'; maxLength: number } | { kind: 'email'; maxLength: number } | { kind: 'date' };

interface SystemFieldSpec {
  field: SystemField;
  aliases: string[];
  shape: SystemShape;
}

const SYSTEM_FIELDS: SystemFieldSpec[] = [
  { field: 'emailAddress', aliases: ['email', 'emailaddress'], shape: { kind: 'email', maxLength: EMAIL_MAX_LENGTH } },
  { field: 'firstName', aliases: ['firstname', 'givenname'], shape: { kind: 'text', maxLength: 50 } },
  { field: 'lastName', aliases: ['lastname', 'surname', 'familyname'], shape: { kind: 'text', maxLength: 50 } },
  { field: 'birthday', aliases: ['birthday', 'birthdate', 'dateofbirth', 'dob'], shape: { kind: 'date' } },
  { field: 'postalCode', aliases: ['postalcode', 'zip', 'zipcode', 'postcode'], shape: { kind: 'text', maxLength: 20 } },
];

function coercerOf(shape: SystemShape): (v: unknown) => Coerced {
  if (shape.kind === 'email') return coerceEmail;
  if (shape.kind === 'date') return coerceDate;
  return (v) => coerceText(v, shape.maxLength);
}

export const PHONE_ALIASES = ['phone', 'phonenumber', 'mobilephone', 'mobile', 'mobilenumber', 'cellphone'];

/** Names compare without case, spaces or punctuation: `Favorite Store` matches `favorite_store`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export interface ManagedSystemField {
  field: SystemField;
  property: string;
  shape: SystemShape;
  coerce: (v: unknown) => Coerced;
}

export interface ManagedCustomField {
  property: string;
  field: ProfileField;
}

export interface FieldPlan {
  phoneProperty: string;
  system: ManagedSystemField[];
  custom: ManagedCustomField[];
  /** Declared properties that match nothing in Listrak (reported once, then ignored). */
  unmatched: string[];
  /** Properties matching a disabled profile field (reported, ignored). */
  disabled: string[];
}

export interface PlanInput {
  properties: string[];
  profileFields: ProfileField[];
  includeCustomFields: boolean;
}

export function buildFieldPlan({ properties, profileFields, includeCustomFields }: PlanInput): FieldPlan | { error: string } {
  const byName = new Map<string, ProfileField>();
  for (const f of profileFields) byName.set(normalizeName(f.segmentationFieldName), f);
  let phoneProperty: string | undefined;
  const system: ManagedSystemField[] = [];
  const custom: ManagedCustomField[] = [];
  const unmatched: string[] = [];
  const disabled: string[] = [];
  const taken = new Set<string>();
  for (const property of properties) {
    const n = normalizeName(property);
    if (PHONE_ALIASES.includes(n)) {
      if (!phoneProperty || n === 'phone') phoneProperty = property;
      continue;
    }
    const sys = SYSTEM_FIELDS.find((s) => s.aliases.includes(n));
    if (sys) {
      if (taken.has(sys.field)) continue; // `birthday` and `birthdate` both declared: the first wins
      taken.add(sys.field);
      system.push({ field: sys.field, property, shape: sys.shape, coerce: coercerOf(sys.shape) });
      continue;
    }
    const field = byName.get(n);
    if (!field || !includeCustomFields) {
      if (!field) unmatched.push(property);
      continue;
    }
    if (field.statusFlag && !/^active$/i.test(field.statusFlag)) {
      disabled.push(property);
      continue;
    }
    if (taken.has(`#${field.segmentationFieldId}`)) continue;
    taken.add(`#${field.segmentationFieldId}`);
    custom.push({ property, field });
  }
  if (!phoneProperty) return { error: `the audience schema has no phone property (one of: ${PHONE_ALIASES.join(', ')})` };
  return { phoneProperty, system, custom, unmatched, disabled };
}

/** A record's managed values, canonical; `null` means empty. Arrays align with plan.system / plan.custom. */
export interface ContactValues {
  system: (string | null)[];
  custom: (string | null)[];
}

/**
 * A record's own value of a property: a property named like one of Object.prototype's (`constructor`, say) is
 * absent from a record that does not carry it, not the prototype's function.
 */
export function recordValue(record: Record<string, unknown>, property: string): unknown {
  return Object.hasOwn(record, property) ? record[property] : undefined;
}

export type Mapped = { ok: true; values: ContactValues } | { ok: false; reason: RejectReason; field: string; detail: string };

export function mapRecord(plan: FieldPlan, record: Record<string, unknown>): Mapped {
  const system: (string | null)[] = new Array(plan.system.length);
  for (let i = 0; i < plan.system.length; i++) {
    const f = plan.system[i] as ManagedSystemField;
    const r = f.coerce(recordValue(record, f.property));
    if (!r.ok) return { ok: false, reason: r.reason, field: f.property, detail: r.detail };
    system[i] = r.value;
  }
  const custom: (string | null)[] = new Array(plan.custom.length);
  for (let i = 0; i < plan.custom.length; i++) {
    const f = plan.custom[i] as ManagedCustomField;
    const r = coerceByType(f.field.dataType, recordValue(record, f.property), f.field.maxLength);
    if (!r.ok) return { ok: false, reason: r.reason, field: f.property, detail: r.detail };
    custom[i] = r.value;
  }
  return { ok: true, values: { system, custom } };
}

/** The managed values of a contact as Listrak holds it, canonical as mapRecord makes them. */
export function storedValues(plan: FieldPlan, c: SmsContact): ContactValues {
  const system = plan.system.map((f) => storedSystemValue(f, c[f.field]));
  // A handful of values a contact: a scan beats building a map for each of a million members.
  const stored = c.segmentationFieldValues ?? [];
  const custom = plan.custom.map((f) => canonicalStored(f.field.dataType, stored.findLast((s) => s.segmentationFieldId === f.field.segmentationFieldId)?.value));
  return { system, custom };
}

/** One system field's value as Listrak holds it, in canonical form. */
export function storedSystemValue(f: ManagedSystemField, v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (f.field === 'birthday') return canonicalStored('Date', v as string);
  // A clean stored text is its own canonical form: the coercers (text, email) return it unchanged or, failing, it
  // is kept as stored anyway. Skipping them saves a call and an allocation per field of each member.
  if (typeof v === 'string' && isCleanText(v)) return v;
  const r = f.coerce(v);
  return r.ok ? r.value : (v as string);
}

/** Fingerprints of a contact's stored values, as the member index keeps them: what an audience record is compared to. */
export function storedFingerprints(plan: FieldPlan, c: SmsContact): { systemFp: number; customFp: number } {
  const values = storedValues(plan, c);
  return { systemFp: fingerprint(values.system), customFp: fingerprint(values.custom) };
}

/** The Listrak contact body for a phone and its values; which parts to include is the caller's choice. */
export function contactBody(plan: FieldPlan, phone: string, values: ContactValues, parts: { system: boolean; custom: boolean; omitEmpty: boolean }): SmsContact {
  const body: SmsContact = { phoneNumber: phone };
  if (parts.system) {
    plan.system.forEach((f, i) => {
      const v = values.system[i] ?? null;
      if (v === null && parts.omitEmpty) return;
      // Listrak wants a real null for an empty birthday, and a date-time otherwise.
      body[f.field] = f.field === 'birthday' && v !== null ? `${v}T00:00:00` : v;
    });
  }
  if (parts.custom) {
    const segs: SegmentationValue[] = [];
    plan.custom.forEach((f, i) => {
      const v = values.custom[i] ?? null;
      if (v === null && parts.omitEmpty) return;
      segs.push({ segmentationFieldId: f.field.segmentationFieldId, value: v ?? '' });
    });
    if (segs.length) body.segmentationFieldValues = segs;
  }
  return body;
}
