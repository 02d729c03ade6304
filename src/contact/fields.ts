/**
 * Which record properties the sync manages, and how a record becomes a Listrak contact.
 *
 * The audience stream's SCHEMA decides the mirrored fields (the ones the sync writes): the five system fields it declares, plus each other
 * property that matches a profile field name (case, spaces and punctuation ignored). A managed field missing from a
 * record counts as empty, since the record is the truth for the fields its schema declares; a field the schema does
 * not declare is never touched.
 */
import type { ProfileField, SegmentationValue, SmsContact } from '../listrak/sms.js';
import { fingerprint } from './fingerprint.js';
import { EMAIL_MAX_LENGTH, type RejectReason } from './coerce.js';
import { FIELD_TYPES, profileFieldType, type FieldType } from './types.js';
import type { ConsentProperties } from './consent.js';

export type SystemField = 'emailAddress' | 'firstName' | 'lastName' | 'birthday' | 'postalCode';

interface SystemFieldSpec {
  field: SystemField;
  aliases: string[];
  type: FieldType;
  maxLength: number | null;
}

const SYSTEM_FIELDS: SystemFieldSpec[] = [
  { field: 'emailAddress', aliases: ['email', 'emailaddress'], type: FIELD_TYPES.email, maxLength: EMAIL_MAX_LENGTH },
  { field: 'firstName', aliases: ['firstname', 'givenname'], type: FIELD_TYPES.text, maxLength: 50 },
  { field: 'lastName', aliases: ['lastname', 'surname', 'familyname'], type: FIELD_TYPES.text, maxLength: 50 },
  { field: 'birthday', aliases: ['birthday', 'birthdate', 'dateofbirth', 'dob'], type: FIELD_TYPES.date, maxLength: null },
  { field: 'postalCode', aliases: ['postalcode', 'zip', 'zipcode', 'postcode'], type: FIELD_TYPES.text, maxLength: 20 },
];

export const PHONE_ALIASES = ['phone', 'phonenumber', 'mobilephone', 'mobile', 'mobilenumber', 'cellphone'];

/** Names compare without case, spaces or punctuation: `Favorite Store` matches `favorite_store`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** What every managed field has: the record property it is read from, its type's rules, and its max length. */
export interface ManagedField {
  property: string;
  type: FieldType;
  maxLength: number | null | undefined;
}

export interface ManagedSystemField extends ManagedField {
  field: SystemField;
}

export interface ManagedCustomField extends ManagedField {
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
  /**
   * The Checkbox profile field that marks the contacts this tool manages (removal_scope "managed"): set on every
   * contact the sync adds or finds in the audience, never cleared by the attribute diff.
   */
  managedFieldId?: number;
  /** Properties matching the managed field: the tool owns it, so the audience cannot set it (reported, ignored). */
  reserved: string[];
  /** Where consent is read (contact/consent.ts), when the schema declares the consent property; never a field. */
  consent?: ConsentProperties;
}

export interface PlanInput {
  properties: string[];
  profileFields: ProfileField[];
  includeCustomFields: boolean;
  managedFieldId?: number;
  /** A property written to the profile field of another name (`group_property` → `group_field`). */
  renamed?: { property: string; field: string };
  /** The consent properties (settings consent_property, consent_time_property). */
  consent?: ConsentProperties;
}

/** The settings that decide how a stream's properties meet the sender code's fields (a target config has them). */
export interface FieldSettings {
  include_custom_fields: boolean;
  consent_property: string;
  consent_time_property: string;
  group_property?: string;
  group_field?: string;
}

/**
 * How a stream's properties meet the sender code's fields under the settings: the one place a run, `--apply` and
 * `--check` take their field plan's input from.
 */
export function planInputOf(settings: FieldSettings, properties: string[], sender: { profileFields: ProfileField[]; managedField?: ProfileField }): PlanInput {
  return {
    properties,
    profileFields: sender.profileFields,
    includeCustomFields: settings.include_custom_fields,
    managedFieldId: sender.managedField?.segmentationFieldId,
    consent: { property: settings.consent_property, timeProperty: settings.consent_time_property },
    ...(settings.group_property && settings.group_field ? { renamed: { property: settings.group_property, field: settings.group_field } } : {}),
  };
}

/** A field plan, or why there is none (`setting`: the setting at fault, when it is one rather than the schema). */
export function buildFieldPlan({ properties, profileFields, includeCustomFields, managedFieldId, renamed, consent }: PlanInput): FieldPlan | { error: string; setting?: string } {
  const byName = new Map<string, ProfileField>();
  for (const f of profileFields) byName.set(normalizeName(f.segmentationFieldName), f);
  let phoneProperty: string | undefined;
  const system: ManagedSystemField[] = [];
  const custom: ManagedCustomField[] = [];
  const unmatched: string[] = [];
  const disabled: string[] = [];
  const reserved: string[] = [];
  const taken = new Set<string>();
  for (const property of properties) {
    // Consent is a status with a time, not a contact attribute: it decides calls, never a field's value.
    if (isSingerMetadata(property) || property === consent?.property || property === consent?.timeProperty) continue;
    if (renamed?.property === property) {
      const field = byName.get(normalizeName(renamed.field));
      const disabled = field?.statusFlag !== undefined && !/^active$/i.test(field.statusFlag);
      if (!field || !/^text$/i.test(field.dataType) || disabled) {
        const what = !field ? 'there is none' : disabled ? `it is ${field.statusFlag}` : `it is ${field.dataType}`;
        return { error: `"${renamed.field}" must be an enabled Text profile field (${what})`, setting: 'group_field' };
      }
      taken.add(`#${field.segmentationFieldId}`);
      custom.push({ property, field, type: profileFieldType(field.dataType), maxLength: field.maxLength });
      continue;
    }
    const n = normalizeName(property);
    if (PHONE_ALIASES.includes(n)) {
      if (!phoneProperty || n === 'phone') phoneProperty = property;
      continue;
    }
    const sys = SYSTEM_FIELDS.find((s) => s.aliases.includes(n));
    if (sys) {
      if (taken.has(sys.field)) continue; // `birthday` and `birthdate` both declared: the first wins
      taken.add(sys.field);
      system.push({ field: sys.field, property, type: sys.type, maxLength: sys.maxLength });
      continue;
    }
    const field = byName.get(n);
    if (!field || !includeCustomFields) {
      if (!field) unmatched.push(property);
      continue;
    }
    if (field.segmentationFieldId === managedFieldId) {
      reserved.push(property);
      continue;
    }
    if (field.statusFlag && !/^active$/i.test(field.statusFlag)) {
      disabled.push(property);
      continue;
    }
    if (taken.has(`#${field.segmentationFieldId}`)) continue;
    taken.add(`#${field.segmentationFieldId}`);
    custom.push({ property, field, type: profileFieldType(field.dataType), maxLength: field.maxLength });
  }
  if (!phoneProperty) return { error: `the audience schema has no phone property (one of: ${PHONE_ALIASES.join(', ')})` };
  const consentRead = consent && properties.includes(consent.property) ? { consent } : {};
  return { phoneProperty, system, custom, unmatched, disabled, managedFieldId, reserved, ...consentRead };
}

/** A record's managed values, canonical; `null` means empty. Arrays align with plan.system / plan.custom. */
export interface ContactValues {
  system: (string | null)[];
  custom: (string | null)[];
}

/**
 * The Singer SDK's soft-delete column: a row the source deleted comes with the time it was deleted. Such a row is
 * not part of the audience (its member is unsubscribed like any absent one).
 */
export const DELETED_AT_PROPERTY = '_sdc_deleted_at';

export function isDeletedInSource(record: Record<string, unknown>): boolean {
  const v = recordValue(record, DELETED_AT_PROPERTY);
  return typeof v === 'string' ? v.trim() !== '' : typeof v === 'number';
}

/** The Singer SDK's metadata columns (`_sdc_extracted_at`, …) describe the row, not the person: never managed. */
function isSingerMetadata(property: string): boolean {
  return property.startsWith('_sdc_');
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
  const system = new Array<string | null>(plan.system.length);
  const custom = new Array<string | null>(plan.custom.length);
  const failed = mapFields(plan.system, record, system) ?? mapFields(plan.custom, record, custom);
  return failed ?? { ok: true, values: { system, custom } };
}

/** Coerce each field's value into `out`; the first rejection, if any. */
function mapFields(fields: readonly ManagedField[], record: Record<string, unknown>, out: (string | null)[]): Extract<Mapped, { ok: false }> | undefined {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as ManagedField;
    const r = f.type.coerce(recordValue(record, f.property), f.maxLength);
    if (!r.ok) return { ok: false, reason: r.reason, field: f.property, detail: r.detail };
    out[i] = r.value;
  }
  return undefined;
}

/** The managed values of a contact as Listrak holds it, canonical as mapRecord makes them. */
export function storedValues(plan: FieldPlan, c: SmsContact): ContactValues {
  const system = plan.system.map((f) => f.type.stored(c[f.field]));
  // A handful of values a contact: a scan beats building a map for each of a million members.
  const stored = c.segmentationFieldValues ?? [];
  const custom = plan.custom.map((f) => f.type.stored(stored.findLast((s) => s.segmentationFieldId === f.field.segmentationFieldId)?.value));
  return { system, custom };
}

/** Whether a contact's stored value of the managed field marks it as managed (a checked Checkbox). */
export function isManagedValue(v: unknown): boolean {
  return FIELD_TYPES.checkbox.stored(v) === 'true';
}

/** Whether a contact as Listrak holds it is managed by this tool (false when the plan has no managed field). */
export function isManagedContact(plan: FieldPlan, c: SmsContact): boolean {
  if (plan.managedFieldId === undefined) return false;
  return isManagedValue(c.segmentationFieldValues?.findLast((s) => s.segmentationFieldId === plan.managedFieldId)?.value);
}

/** Fingerprints of a contact's stored values, as the member index keeps them: what an audience record is compared to. */
export function storedFingerprints(plan: FieldPlan, c: SmsContact): { systemFp: number; customFp: number } {
  const values = storedValues(plan, c);
  return { systemFp: fingerprint(values.system), customFp: fingerprint(values.custom) };
}

/** The Listrak contact body for a phone and its values; which parts to include is the caller's choice. */
export function contactBody(plan: FieldPlan, phone: string, values: ContactValues, parts: { system: boolean; custom: boolean; omitEmpty: boolean; markManaged?: boolean }): SmsContact {
  const body: SmsContact = { phoneNumber: phone };
  if (parts.system) {
    plan.system.forEach((f, i) => {
      const v = values.system[i] ?? null;
      if (v === null && parts.omitEmpty) return;
      // Listrak wants a real null for an empty value (an empty birthday string is an error), and its own form
      // for some types (a date-time for the birthday).
      body[f.field] = v !== null && f.type.systemWire ? f.type.systemWire(v) : v;
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
  if (parts.markManaged && plan.managedFieldId !== undefined) {
    body.segmentationFieldValues = [...(body.segmentationFieldValues ?? []), { segmentationFieldId: plan.managedFieldId, value: 'true' }];
  }
  return body;
}
