/**
 * Who may be unsubscribed: the careful part of the sync, decided here, before any write. An unsubscribe cannot be
 * taken back (the person stops getting texts they opted in to), so every rule errs toward keeping a member:
 *  - identity before validation, and a present member is never removed (diff.ts: a record that names a member
 *    marks it seen, even when the record itself is rejected);
 *  - only a complete audience removes: an input that carries STATE messages must end its audience with one,
 *    else nobody is unsubscribed (a tap cut short would otherwise unsubscribe everyone after the cut);
 *  - the scope: with removal_scope "managed", only members carrying the managed field may go; the others (who
 *    subscribed by keyword, web form or checkout) are counted and left alone;
 *  - the guard: a sync that would remove more than `max_unsubscribe_ratio` of the members in scope is refused whole.
 */
import type { TargetConfig } from '../config/target.js';
import type { SyncCounts } from '../report/counts.js';
import { fmt } from '../report/counts.js';
import type { MemberIndex } from '../tables/member-index.js';

export interface RemovalPlan {
  /** How many members will be unsubscribed. */
  count: number;
  /** The members to unsubscribe (canonical phones). */
  phones: () => Iterable<string>;
  /** Why nobody is unsubscribed though members are missing from the audience (the run then exits 5). */
  withheld?: string;
  /** Why the guard refuses the whole sync (exit 4), checked before any write. */
  refused?: string;
}

export function planRemovals(
  index: MemberIndex,
  audienceComplete: boolean,
  config: Pick<TargetConfig, 'require_final_state' | 'max_unsubscribe_ratio' | 'removal_scope'>,
  counts: SyncCounts,
): RemovalPlan {
  const managedScope = config.removal_scope === 'managed';
  const unseenAll = index.unseenCount();
  const unseen = managedScope ? index.unseenManagedCount() : unseenAll;
  const inScope = managedScope ? index.managedCount() : counts.members;
  counts.removal.kept_unmanaged = unseenAll - unseen; // 0 outside the managed scope
  if (unseen > 0 && !audienceComplete && config.require_final_state) {
    return {
      count: 0,
      phones: () => [],
      withheld:
        `${fmt(unseen)} member(s) missing from the audience were not unsubscribed: the input carries STATE messages but none followed the audience's last record, ` +
        `so it may have been cut short; rerun with the whole audience (or set require_final_state false for a tap that never writes a final STATE)`,
    };
  }
  const ratio = inScope > 0 ? unseen / inScope : 0;
  const refused =
    ratio > config.max_unsubscribe_ratio
      ? `refusing to unsubscribe ${fmt(unseen)} of ${fmt(inScope)}${managedScope ? ' managed' : ''} members (${(ratio * 100).toFixed(1)}%), ` +
        `more than max_unsubscribe_ratio ${config.max_unsubscribe_ratio}; if the audience really shrank, raise max_unsubscribe_ratio for this run`
      : undefined;
  return { count: unseen, phones: () => (managedScope ? index.unseenManaged() : index.unseen()), refused };
}
