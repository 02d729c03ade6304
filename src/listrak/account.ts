/**
 * The Listrak objects every run relies on, checked before any work: the sender code (its country gives the default
 * phone region) and a list that must exist under it and be active. Read-only.
 */
import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/max';
import type { TargetConfig } from '../config/target.js';
import { ConfigError, ListrakError } from '../errors.js';
import { normalizeName } from '../contact/fields.js';
import { phoneContext, type PhoneContext } from '../contact/phone.js';
import { isCode, isNotFound } from './codes.js';
import type { PhoneList, ProfileField, SenderCode, SmsApi } from './sms.js';

export interface SenderCodeInfo {
  senderCode: SenderCode;
  region: string;
  /** The phone rules' view of the sender code: region, calling code, national lengths, countries allowed. */
  phone: PhoneContext;
}

/** The sender code, and from its country the default phone region. */
export async function prepareSenderCode(api: SmsApi, config: TargetConfig): Promise<SenderCodeInfo> {
  const senderCode = await api.getSenderCode().catch((e: unknown) => {
    throw senderCodeError(e, config.sender_code_id);
  });
  const region = pickRegion(config.default_region, senderCode?.country);
  return { senderCode, region, phone: phoneContext(region, config.allowed_countries) };
}

/**
 * The sender code's profile fields. Listrak shows a disabled sender code when asked for it, so this is also where
 * a disabled one is found out.
 */
export async function profileFields(api: SmsApi, config: TargetConfig): Promise<ProfileField[]> {
  return api.getProfileFields().catch((e: unknown) => {
    throw senderCodeError(e, config.sender_code_id);
  });
}

/** Listrak's answers about the sender code itself, as what to fix. */
function senderCodeError(e: unknown, id: number): unknown {
  if (isNotFound(e)) return new ListrakError('ERROR_UNABLE_TO_LOCATE_RESOURCE', 404, `sender code ${id} was not found: check sender_code_id`, (e as ListrakError).route);
  if (isCode(e, 'ERROR_SENDER_CODE_DISABLED')) return new ListrakError('ERROR_SENDER_CODE_DISABLED', 400, `sender code ${id} is disabled in Listrak: enable it or fix sender_code_id`, (e as ListrakError).route);
  return e;
}

/** A list that must exist under the sender code and be active; `key` names the config key for the message. */
export async function activeList(api: SmsApi, config: TargetConfig, listId: number, key: string): Promise<PhoneList> {
  const list = await api.getList(listId).catch((e: unknown) => {
    if (isNotFound(e) || isCode(e, 'ERROR_INVALID_LIST_ID')) {
      throw new ListrakError('ERROR_INVALID_LIST_ID', 404, `list ${listId} does not exist under sender code ${config.sender_code_id}: check ${key} and sender_code_id`, 'getList');
    }
    if (isCode(e, 'ERROR_LIST_INACTIVE')) throw new ListrakError('ERROR_LIST_INACTIVE', 400, `list ${listId} is inactive in Listrak: activate it or fix ${key}`, 'getList');
    throw e;
  });
  if (!list || typeof list.phoneListId !== 'number') throw new ListrakError('BAD_RESPONSE', 200, `Listrak returned no list for id ${listId}`);
  if (list.status && list.status.toLowerCase() !== 'active') {
    throw new ListrakError('ERROR_LIST_INACTIVE', 400, `list ${list.phoneListId} is ${list.status} in Listrak: activate it or fix ${key}`);
  }
  return list;
}

function pickRegion(configured: string | undefined, senderCountry: string | undefined): string {
  for (const r of [configured, senderCountry?.toUpperCase(), 'US']) {
    if (!r) continue;
    try {
      getCountryCallingCode(r as CountryCode);
      return r;
    } catch {
      // not a region libphonenumber knows; try the next
    }
  }
  return 'US';
}

/**
 * The managed scope's marker field: it must exist, be a Checkbox and be enabled, or the sync does not start (a
 * scope that cannot tell managed members from others must not decide any removal).
 */
export function findManagedField(fields: ProfileField[], name: string): ProfileField {
  const field = fields.find((f) => normalizeName(f.segmentationFieldName) === normalizeName(name));
  const fix = `create a Checkbox profile field named "${name}" on the sender code, or fix managed_field`;
  if (!field) throw new ConfigError(`invalid config: managed_field: no profile field "${name}" on the sender code; ${fix}`);
  if (field.dataType !== 'Checkbox') throw new ConfigError(`invalid config: managed_field: profile field "${field.segmentationFieldName}" is a ${field.dataType} field, not a Checkbox; ${fix}`);
  if (field.statusFlag && !/^active$/i.test(field.statusFlag)) throw new ConfigError(`invalid config: managed_field: profile field "${field.segmentationFieldName}" is ${field.statusFlag}; enable it, or ${fix}`);
  return field;
}

