/** Phase 2, members: page through the list's current members into the compact MemberIndex. */
import type { SmsApi } from '../listrak/sms.js';
import { allPages } from '../listrak/sms.js';
import { fingerprint } from './fingerprint.js';
import { storedValues, type FieldPlan } from './fields.js';
import { MemberIndexBuilder, type MemberIndex } from './members.js';
import { canonicalKey } from './prepare.js';

export async function readMembers(
  api: SmsApi,
  listId: number,
  pageSize: number,
  plan: FieldPlan,
  region: string,
  onPage?: (membersSoFar: number) => void,
): Promise<MemberIndex> {
  const builder = new MemberIndexBuilder();
  for await (const page of allPages((cursor) => api.getMembersPage(listId, cursor, pageSize))) {
    for (const c of page) {
      if (typeof c?.phoneNumber !== 'string') continue;
      const key = canonicalKey(c.phoneNumber, region);
      if (key === undefined) {
        builder.addUnmatchable(c.phoneNumber);
        continue;
      }
      const values = storedValues(plan, c);
      builder.add(key, c.phoneNumber, fingerprint(values.system), fingerprint(values.custom));
    }
    onPage?.(builder.count);
  }
  return builder.build();
}
