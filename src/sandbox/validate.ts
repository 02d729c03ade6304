/** Listrak's input rules as the sandbox enforces them: each failure is the `ERROR_*` code the real API documents. */
import type { SandboxState } from './state.js';

export class ApiFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const bad = (code: string, message: string) => new ApiFault(400, code, message);
export const notFound = (message: string) => new ApiFault(404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message);

const PHONE = /^[1-9]\d{7,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkPhone(phone: unknown): string {
  if (typeof phone !== 'string' || !PHONE.test(phone)) throw bad('ERROR_INVALID_PHONE_NUMBER', 'The phone number has an invalid format.');
  return phone;
}

export function intParam(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!value || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw bad('ERROR_INVALID_PARAMETER', `${name} must be an integer.`);
  return n;
}

export function countParam(value: string | null): number {
  if (value === null || value === '') return 1000;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 5000) throw bad('ERROR_INVALID_PARAMETER', 'count must be between 1 and 5000.');
  return n;
}

export function optionalString(body: Record<string, unknown>, key: string, max = 255): string | null | undefined {
  if (!(key in body)) return undefined;
  const v = body[key];
  if (v === null) return null;
  if (typeof v !== 'string') throw bad('ERROR_INVALID_PARAMETER', `${key} must be a string.`);
  if (v.length > max) throw bad('ERROR_INVALID_PARAMETER', `${key} is longer than ${max} characters.`);
  return v === '' ? null : v;
}

export function checkEmail(body: Record<string, unknown>): string | null | undefined {
  const v = optionalString(body, 'emailAddress', 100);
  if (v && !EMAIL.test(v)) throw bad('ERROR_INVALID_EMAIL_ADDRESS', 'The email address is malformed.');
  return v;
}

/** Birthday must be a date-time or a proper null; an empty string is Listrak's ERROR_BIRTHDAY_FIELD_NULL. */
export function checkBirthday(body: Record<string, unknown>): string | null | undefined {
  if (!('birthday' in body)) return undefined;
  const v = body.birthday;
  if (v === null) return null;
  if (v === '') throw bad('ERROR_BIRTHDAY_FIELD_NULL', 'birthday must be null when it has no value.');
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw bad('ERROR_INVALID_PARAMETER', 'birthday must be a date-time.');
  }
  return `${v.slice(0, 10)}T00:00:00`;
}

/** Check one profile-field value against the field's type, status and max length. */
export function checkFieldValue(state: SandboxState, id: unknown, value: unknown): { id: number; value: string | null } {
  if (typeof id !== 'number' || !Number.isInteger(id)) throw bad('ERROR_INVALID_SEGMENTATION_FIELD_ID', 'segmentationFieldId must be an integer.');
  const field = state.profileFields.get(id);
  if (!field) throw bad('ERROR_INVALID_SEGMENTATION_FIELD_ID', `Profile field ${id} does not exist on this sender code.`);
  if (field.statusFlag && field.statusFlag !== 'Active') throw bad('ERROR_SEGMENTATION_FIELD_DISABLED', `Profile field ${id} is disabled.`);
  if (value === null || value === undefined || value === '') return { id, value: null };
  if (typeof value !== 'string') throw bad('ERROR_INVALID_PARAMETER', `The value of profile field ${id} must be a string.`);
  if (field.maxLength && value.length > field.maxLength) throw bad('ERROR_SEGMENTATION_MAX_LENGTH', `The value of profile field ${id} is longer than ${field.maxLength}.`);
  if (!valueFitsType(field.dataType, value)) throw bad('ERROR_INVALID_PARAMETER', `The value of profile field ${id} is not a valid ${field.dataType}.`);
  return { id, value };
}

export function valueFitsType(dataType: string, value: string): boolean {
  switch (dataType) {
    case 'Number':
      return /^-?\d+(\.\d+)?$/.test(value);
    case 'Checkbox':
      return value === 'true' || value === 'false';
    case 'Date':
      return /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value.slice(0, 10)));
    default:
      return true;
  }
}
