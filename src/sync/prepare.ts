/**
 * Phase 1, prepare: check the sender code and list, load the profile fields and the sender code's opt-outs.
 * Everything here is read-only; a missing or inactive list stops the run before any work.
 */
import type { TargetConfig } from '../config/target.js';
import { activeList, findManagedField, prepareSenderCode, type SenderCodeInfo } from '../listrak/account.js';
import { allPages, type PhoneList, type ProfileField, type SmsApi } from '../listrak/sms.js';
import { canonicalKey } from '../contact/phone.js';
import { SortedKeys } from '../tables/keys.js';

/** What every list of the sender code shares: the sender code, its profile fields and its opt-outs. */
export interface PreparedSender extends SenderCodeInfo {
  profileFields: ProfileField[];
  optOuts: SortedKeys;
  /** The Checkbox profile field marking the contacts this tool manages (removal_scope "managed"). */
  managedField?: ProfileField;
}

export interface Prepared extends PreparedSender {
  list: PhoneList;
}

export async function prepare(api: SmsApi, config: TargetConfig, listId: number): Promise<Prepared> {
  const sender = await prepareSenderCode(api, config);
  const list = await activeList(api, config, listId, 'phone_list_id');
  return { ...(await prepareRest(api, config, sender)), list };
}

/** Several lists (`stream_lists`): the sender code's part once, each list as its stream comes (`activeList`). */
export async function prepareSender(api: SmsApi, config: TargetConfig): Promise<PreparedSender> {
  return prepareRest(api, config, await prepareSenderCode(api, config));
}

async function prepareRest(api: SmsApi, config: TargetConfig, sender: SenderCodeInfo): Promise<PreparedSender> {
  const profileFields = await api.getProfileFields();
  const managedField = config.removal_scope === 'managed' ? findManagedField(profileFields, config.managed_field ?? '') : undefined;
  const optOutKeys: number[] = [];
  for await (const page of allPages((cursor) => api.getOptOutsPage(cursor, config.page_size))) {
    for (const o of page) {
      if (typeof o?.phoneNumber !== 'string') continue;
      const key = canonicalKey(o.phoneNumber, sender.region);
      if (key !== undefined) optOutKeys.push(key);
    }
  }
  return { ...sender, profileFields, optOuts: SortedKeys.from(optOutKeys), managedField };
}
