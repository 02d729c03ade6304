/**
 * The plan of one list's sync: everything reading decided, as a value, before any write. The write phases take
 * it and do what it says; the dry run prints it. Frozen: nothing after reading may change what was decided.
 */
import type { FieldPlan } from '../contact/fields.js';
import type { PhoneList } from '../listrak/sms.js';
import type { SortedKeys } from '../tables/keys.js';
import type { Completeness, RemovalPlan } from './removal.js';
import type { RevocationPlan } from './revocations.js';
import type { WriteSpool } from './spool.js';

export interface SyncPlan {
  /** The audience stream and the list it mirrors. */
  readonly stream: string;
  readonly list: PhoneList;
  /** Which record properties are written to which fields. */
  readonly fields: FieldPlan;
  /** The planned creates, subscribes, updates and marks, spooled on disk (read, never added to, from here on). */
  readonly spool: WriteSpool;
  /** The phones planned as new, as keys. */
  readonly newKeys: SortedKeys;
  /** Whether the input proved the audience whole, and why (or what was missing). */
  readonly evidence: Completeness;
  /** Who is unsubscribed, or why nobody is (withheld), or why the sync is refused (the guard). */
  readonly removals: RemovalPlan;
  /** Whose revoked consent is honoured, and how (or why the sync is refused: the opt-out guard). */
  readonly revocations: RevocationPlan;
  /** The tap's latest state, passed on once the plan is applied. */
  readonly tapState: { readonly value: unknown } | undefined;
}

export function frozenPlan(plan: SyncPlan): SyncPlan {
  return Object.freeze({ ...plan });
}
