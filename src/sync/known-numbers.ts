/**
 * What the sender code already knows about the phones to add, read in bulk before they are written: which of
 * them are members of the sender code's other lists, with the fingerprints of their stored fields. For those, one
 * Subscribe call is enough (plus an update only when a stored field differs), where a per-contact lookup would
 * cost a call each. Paging costs one call per 5,000 members read, so the read is capped at a small share of the
 * calls it can save, and stops as soon as every phone is found.
 */
import type { SmsApi } from '../listrak/sms.js';
import { allPages } from '../listrak/sms.js';
import { storedFingerprints, type FieldPlan } from '../contact/fields.js';
import type { SortedKeys } from '../tables/keys.js';
import { canonicalKey } from '../contact/phone.js';

export interface KnownContact {
  systemFp: number;
  customFp: number;
}

export interface KnownNumbers {
  known: Map<number, KnownContact>;
  /**
   * Calls spent reading (list pages and member pages, the one read ahead included); 0: not read (too few new
   * phones for the read to pay).
   */
  calls: number;
}

/** At most this many reading calls for each phone to add: the overhead the read may add per new contact. */
const CALLS_PER_NEW_CONTACT = 0.05;

export async function readKnownNumbers(
  api: SmsApi,
  opts: { listId: number; newKeys: SortedKeys; plan: FieldPlan; region: string; pageSize: number },
): Promise<KnownNumbers> {
  const known = new Map<number, KnownContact>();
  const budget = Math.floor(opts.newKeys.size * CALLS_PER_NEW_CONTACT);
  let calls = 0;
  if (budget < 2) return { known, calls };
  const lists: number[] = [];
  for (const status of ['active', 'inactive'] as const) {
    for await (const page of allPages((cursor) => (calls++, api.getListsPage(status, cursor, opts.pageSize)))) {
      for (const l of page) if (l.phoneListId !== opts.listId) lists.push(l.phoneListId);
    }
  }
  for (const listId of lists) {
    for await (const page of allPages((cursor) => (calls++, api.getMembersPage(listId, cursor, opts.pageSize)))) {
      for (const c of page) {
        if (typeof c?.phoneNumber !== 'string') continue;
        const key = canonicalKey(c.phoneNumber, opts.region);
        if (key === undefined || !opts.newKeys.has(key) || known.has(key)) continue;
        known.set(key, storedFingerprints(opts.plan, c));
      }
      if (calls >= budget || known.size === opts.newKeys.size) return { known, calls };
    }
  }
  return { known, calls };
}
