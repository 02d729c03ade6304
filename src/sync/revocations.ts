/**
 * Revocations: the people whose standing consent in the audience is revoked (contact/consent.ts), planned once the
 * whole input is read and applied in their own phase, after the updates and before the unsubscribes.
 *
 * A revocation is positive evidence about one person, unlike absence from the audience: it needs no proof that the
 * audience is whole, and it is honoured whoever added the person (the managed scope does not limit it). With
 * on_revoked "opt_out" the number is opted out of the whole sender code (Update Contact with optedOut: true), which
 * the API cannot undo; "unsubscribe" takes it off this list only. A revocation already in force costs no call, so
 * a rerun writes nothing. Because an opt-out cannot be taken back, a run whose revocations of members exceed
 * max_opt_out_ratio of the list's members is refused whole, before any write.
 *
 * A revoked number that is not on the list may still be on the sender code (another list): it is looked up first
 * (a read) and opted out only when the sender code holds it and it has not opted out already, so that numbers the
 * sender code never held cost no write, on this run or any later one.
 */
import type { TargetConfig } from '../config/target.js';
import type { ListrakError } from '../errors.js';
import type { ConsentLedger } from '../contact/consent.js';
import { isCode, isNotFound, isPerContact, NUMBER_IS } from '../listrak/codes.js';
import { mapConcurrent } from '../listrak/limiter.js';
import type { ContactDetails } from '../listrak/sms.js';
import type { SyncCounts } from '../report/counts.js';
import { fmt } from '../report/counts.js';
import type { SortedKeys } from '../tables/keys.js';
import type { MemberIndex } from '../tables/member-index.js';
import { revocationChange } from './change.js';
import type { ApplyContext } from './writes.js';

export interface RevocationPlan {
  readonly action: 'opt_out' | 'unsubscribe';
  /** The list's members to opt out (or unsubscribe), as Listrak holds them. */
  readonly members: readonly string[];
  /** Numbers not on the list to opt out if the sender code holds them (none with "unsubscribe"). */
  readonly others: readonly string[];
  /** Whether a phone key's standing consent is revoked: never added, never texted. */
  readonly revoked: (key: number) => boolean;
  /** Why the guard refuses the whole sync (exit 4), checked before any write. */
  readonly refused?: string;
}

export function planRevocations(
  ledger: ConsentLedger,
  index: MemberIndex,
  optOuts: SortedKeys,
  config: Pick<TargetConfig, 'on_revoked' | 'max_opt_out_ratio'>,
  counts: SyncCounts,
): RevocationPlan {
  const action = config.on_revoked;
  const members: string[] = [];
  const others: string[] = [];
  for (const key of ledger.revokedKeys()) {
    const at = index.find(key);
    // Opted out of the sender code already; or, unsubscribing, not on this list.
    if (optOuts.has(key) || (action === 'unsubscribe' && at < 0)) counts.consent.already_honoured++;
    else if (at >= 0) members.push(index.phoneAt(at));
    else others.push(String(key));
  }
  const ratio = members.length / Math.max(counts.members, 1);
  const verb = action === 'opt_out' ? 'opt out' : 'unsubscribe';
  const refused =
    ratio > config.max_opt_out_ratio
      ? `refusing to ${verb} ${fmt(members.length)} member(s) whose consent the audience revokes, ${(ratio * 100).toFixed(1)}% of the list's ${fmt(counts.members)} members, ` +
        `more than max_opt_out_ratio ${config.max_opt_out_ratio} (an opt-out cannot be undone through the API); check the consent column, and if the revocations are real, raise max_opt_out_ratio for this run`
      : undefined;
  return { action, members, others, revoked: (key) => ledger.revoked(key), refused };
}

/** The revocations phase: one call a member, a lookup and at most one call any other number; `ctx.concurrency` in flight. */
export async function applyRevocations(ctx: ApplyContext, plan: RevocationPlan): Promise<void> {
  await mapConcurrent(plan.members, ctx.concurrency, (phone) => revoke(ctx, plan, phone));
  await ctx.audit?.flush();
  await mapConcurrent(plan.others, ctx.concurrency, async (phone) => {
    const held = await lookup(ctx, phone);
    if (held === undefined) ctx.counts.consent.not_on_sender_code++;
    else if (held.optedOut) ctx.counts.consent.already_honoured++;
    else await revoke(ctx, plan, phone);
  });
  await ctx.audit?.flush();
}

async function lookup(ctx: ApplyContext, phone: string): Promise<ContactDetails | undefined> {
  try {
    return await ctx.api.getContact(phone);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function revoke(ctx: ApplyContext, plan: RevocationPlan, phone: string): Promise<void> {
  const { api, list, counts } = ctx;
  let outcome = 'done';
  try {
    if (plan.action === 'opt_out') await api.updateContact({ phoneNumber: phone, optedOut: true });
    else await api.unsubscribe(phone, list.phoneListId);
    counts.consent.honoured++;
  } catch (e) {
    // Off the list already: what an unsubscribe wants.
    if (plan.action === 'unsubscribe' && isCode(e, NUMBER_IS.notSubscribed)) counts.consent.honoured++;
    // Not on the sender code: nobody to opt out, and the number is never added while its row says revoked.
    else if (isCode(e, 'ERROR_PHONE_NUMBER_NOT_FOUND') || isNotFound(e)) counts.consent.not_on_sender_code++;
    // Banned or suspended: Listrak texts it no more either way.
    else if (isPerContact(e)) counts.consent.refused_by_listrak++;
    else throw e;
    outcome = isCode(e, NUMBER_IS.notSubscribed) ? 'already' : (e as ListrakError).code;
  }
  ctx.audit?.written(revocationChange(plan.action, phone, list.phoneListId), outcome);
}
