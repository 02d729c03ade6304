/**
 * Phase 5, unsubscribe: the members the audience did not contain. Which members those are, and whether removal may
 * happen at all, is decided before any write and stands in the plan (removal.ts, plan.ts); this module only
 * carries it out.
 */
import { isCode, isNotFound, NUMBER_IS } from '../listrak/codes.js';
import { mapConcurrent } from '../listrak/limiter.js';
import { removalChange } from './change.js';
import type { ApplyContext } from './writes.js';

export async function unsubscribeUnseen(ctx: ApplyContext, phones: Iterable<string>): Promise<void> {
  const { api, list, counts } = ctx;
  let batch: string[] = [];
  const flush = async () => {
    await mapConcurrent(batch, ctx.concurrency, async (phone) => {
      let outcome = 'done';
      try {
        counts.writes.unsubscribe++;
        await api.unsubscribe(phone, list.phoneListId);
      } catch (e) {
        // Already off the list, or gone from the sender code: the end state we want.
        if (!isCode(e, NUMBER_IS.notSubscribed) && !isNotFound(e)) throw e;
        outcome = 'already';
      }
      ctx.audit?.written(removalChange(phone, list.phoneListId), outcome);
      counts.add('unsubscribed');
    });
    batch = [];
    await ctx.audit?.flush();
  };
  for (const phone of phones) {
    batch.push(phone);
    if (batch.length >= ctx.batchSize) await flush();
  }
  await flush(); // the last, partial batch (an empty one makes no call)
}
