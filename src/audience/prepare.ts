/**
 * Phase 1, prepare: check the sender code and list, load the profile fields and the sender code's opt-outs.
 * Everything here is read-only; a missing or inactive list stops the run before any work.
 */
import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/max';
import type { TargetConfig } from '../config/target.js';
import { ListrakError } from '../errors.js';
import { isNotFound } from '../listrak/codes.js';
import { allPages, type PhoneList, type ProfileField, type SenderCode, type SmsApi } from '../listrak/sms.js';
import { isCanonicalShape, normalizePhone } from '../phone.js';
import { SortedKeys } from './keys.js';

export interface SenderCodeInfo {
  senderCode: SenderCode;
  region: string;
  /** The region's country calling code, for the phone fast path. */
  callingCode: string;
}

export interface Prepared extends SenderCodeInfo {
  list: PhoneList;
  profileFields: ProfileField[];
  optOuts: SortedKeys;
}

/** The sender code, and from its country the default phone region. */
export async function prepareSenderCode(api: SmsApi, config: TargetConfig): Promise<SenderCodeInfo> {
  const senderCode = await api.getSenderCode().catch((e: unknown) => {
    if (isNotFound(e)) throw new ListrakError('ERROR_UNABLE_TO_LOCATE_RESOURCE', 404, `sender code ${config.sender_code_id} was not found: check sender_code_id`);
    throw e;
  });
  const region = pickRegion(config.default_region, senderCode?.country);
  return { senderCode, region, callingCode: String(getCountryCallingCode(region as CountryCode)) };
}

/** A list that must exist under the sender code and be active; `key` names the config key for the message. */
export async function activeList(api: SmsApi, config: TargetConfig, listId: number, key: string): Promise<PhoneList> {
  const list = await api.getList(listId).catch((e: unknown) => {
    if (isNotFound(e)) throw new ListrakError('ERROR_INVALID_LIST_ID', 404, `list ${listId} was not found under sender code ${config.sender_code_id}: check ${key}`);
    throw e;
  });
  if (!list || typeof list.phoneListId !== 'number') throw new ListrakError('BAD_RESPONSE', 200, `Listrak returned no list for id ${listId}`);
  if (list.status && list.status.toLowerCase() !== 'active') {
    throw new ListrakError('ERROR_LIST_INACTIVE', 400, `list ${list.phoneListId} is ${list.status} in Listrak: activate it or fix ${key}`);
  }
  return list;
}

export async function prepare(api: SmsApi, config: TargetConfig, listId: number): Promise<Prepared> {
  const sender = await prepareSenderCode(api, config);
  const list = await activeList(api, config, listId, 'phone_list_id');
  const profileFields = await api.getProfileFields();
  const optOutKeys: number[] = [];
  for await (const page of allPages((cursor) => api.getOptOutsPage(cursor, config.page_size))) {
    for (const o of page) {
      if (typeof o?.phoneNumber !== 'string') continue;
      const key = canonicalKey(o.phoneNumber, sender.region);
      if (key !== undefined) optOutKeys.push(key);
    }
  }
  return { ...sender, list, profileFields, optOuts: SortedKeys.from(optOutKeys) };
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

/** The key of a phone Listrak returned: as is when canonical, else normalized; undefined when hopeless. */
export function canonicalKey(phone: string, region: string): number | undefined {
  if (isCanonicalShape(phone)) return Number(phone);
  const r = normalizePhone(phone, region);
  return r.ok ? Number(r.phone) : undefined;
}
