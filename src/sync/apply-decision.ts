/**
 * --apply's one decision: which planned change is still needed, given the list as it is now. A plan is applied
 * against a list that may have moved on since it was made (another run, a keyword opt-in, a person who left), so
 * each change is checked against the live member index first:
 *  - a planned unsubscribe of someone no longer on the list, or a create of a number that is now a member with the
 *    planned values, is already settled: no write;
 *  - a planned create whose number is now a member with other values is written as an update to the planned values
 *    (reason `plan`); a planned update of someone who left the list is not written (the plan never meant to add
 *    them back);
 *  - a planned opt-out of a number the sender code has opted out already is settled; one still to do is done
 *    whether or not the number is on the list (consent is withdrawn from the brand, not from a list);
 *  - nothing outside the plan is ever written: the decision only ever drops or narrows a planned change.
 * An update's groups are compared again, so an update half done (system fields written, the import not) writes only
 * what is left, and a plan applied twice writes nothing the second time.
 */
import { canonicalKey } from '../contact/phone.js';
import { fingerprint } from '../contact/fingerprint.js';
import type { ContactValues } from '../contact/fields.js';
import type { SortedKeys } from '../tables/keys.js';
import type { MemberIndex } from '../tables/member-index.js';
import type { ChangeAction } from './change.js';

/** The list as it is now: its member index, read with the plan's fields, and the sender code's opt-outs. */
export class LiveList {
  private readonly unmatchable: Set<string>;

  constructor(
    readonly index: MemberIndex,
    private readonly region: string,
    private readonly optOuts: SortedKeys,
  ) {
    this.unmatchable = new Set(index.unmatchable);
  }

  /** The phone's identity, as the index and the opt-outs key it (undefined for one that cannot be read). */
  keyOf(phone: string): number | undefined {
    return canonicalKey(phone, this.region);
  }

  /** The member's position, or -1 when the phone names no member. */
  at(phone: string): number {
    const key = this.keyOf(phone);
    return key === undefined ? -1 : this.index.find(key);
  }

  /** Whether the phone is on the list (also a member whose phone cannot be read: it is matched by its spelling). */
  has(phone: string): boolean {
    return this.at(phone) >= 0 || this.unmatchable.has(phone);
  }

  /** Whether the sender code has opted the phone out already. */
  optedOut(phone: string): boolean {
    const key = this.keyOf(phone);
    return key !== undefined && this.optOuts.has(key);
  }
}

/** What to do about one planned change now. */
export type StillNeeded =
  | { write: 'none'; why: 'already_done' | 'not_on_list' }
  | { write: 'new' }
  | { write: 'update'; system: boolean; custom: boolean; asPlanned: boolean }
  | { write: 'mark' }
  | { write: 'unsubscribe' }
  | { write: 'opt_out'; member: boolean };

export interface PlannedChange {
  action: ChangeAction;
  phone: string;
  /** For creates, updates and imports, in the field plan's order. */
  values?: ContactValues;
}

export function stillNeeded(change: PlannedChange, live: LiveList): StillNeeded {
  const { action, phone } = change;
  if (action === 'unsubscribe') return live.has(phone) ? { write: 'unsubscribe' } : { write: 'none', why: 'not_on_list' };
  if (action === 'opt_out') return live.optedOut(phone) ? { write: 'none', why: 'already_done' } : { write: 'opt_out', member: live.has(phone) };
  const at = live.at(phone);
  if (action === 'mark') {
    if (at < 0) return { write: 'none', why: 'not_on_list' };
    return live.index.managed[at] === 1 ? { write: 'none', why: 'already_done' } : { write: 'mark' };
  }
  if (action === 'create' || action === 'subscribe') {
    if (at < 0) return { write: 'new' };
    return differs(change, live, at, false);
  }
  // An update, or an import row.
  if (at < 0) return { write: 'none', why: 'not_on_list' };
  return differs(change, live, at, true);
}

/** A member's values against the planned ones: the groups that still differ, or nothing left to do. */
function differs(change: PlannedChange, live: LiveList, at: number, asPlanned: boolean): StillNeeded {
  const values = change.values ?? { system: [], custom: [] };
  const system = fingerprint(values.system) !== live.index.systemFp[at];
  const custom = fingerprint(values.custom) !== live.index.customFp[at];
  if (!system && !custom) return { write: 'none', why: 'already_done' };
  return { write: 'update', system, custom, asPlanned };
}
