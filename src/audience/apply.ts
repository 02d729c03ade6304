/**
 * Phase 3b, the writes: new contacts are subscribed (when they exist on the sender code) or created, and changed
 * members updated. Each Listrak answer is read through listrak/codes.ts: already-done answers count as done,
 * per-contact errors become rejected rows, anything else stops the run.
 */
import type { ListrakError } from '../errors.js';
import { isCode, isNotFound, isPerContact } from '../listrak/codes.js';
import { mapConcurrent } from '../listrak/limiter.js';
import type { ContactDetails, PhoneList, SmsApi } from '../listrak/sms.js';
import { fingerprint } from './fingerprint.js';
import { contactBody, storedValues, type ContactValues, type FieldPlan } from './fields.js';
import type { ContactImporter } from './imports.js';
import type { RejectSink } from './rejects.js';
import type { SyncCounts } from './report.js';
import type { PlannedWrite, WriteSpool } from './spool.js';

export interface ApplyContext {
  api: SmsApi;
  list: PhoneList;
  plan: FieldPlan;
  counts: SyncCounts;
  rejects: RejectSink;
  importer: ContactImporter;
  concurrency: number;
  batchSize: number;
}

export async function applyWrites(ctx: ApplyContext, spool: WriteSpool): Promise<void> {
  for await (const batch of spool.batches('update', ctx.batchSize)) {
    await mapConcurrent(batch, ctx.concurrency, (w) => applyUpdate(ctx, w));
  }
  for await (const batch of spool.batches('new', ctx.batchSize)) {
    await mapConcurrent(batch, ctx.concurrency, (w) => addContact(ctx, w));
  }
}

type ContactWrite = Exclude<PlannedWrite, { kind: 'transactional' }>;

function rejectFromListrak(ctx: ApplyContext, w: ContactWrite, err: ListrakError, what: string) {
  ctx.rejects.add({
    line: w.line,
    reason: 'listrak_rejected',
    field: 'phone',
    detail: `${what}: ${err.code}`,
    listrak_code: err.code,
    record: contactBody(ctx.plan, w.phone, w.values, { system: true, custom: true, omitEmpty: false }) as unknown as Record<string, unknown>,
  });
}

/** A changed member: system fields (and custom ones with them) by PUT; custom-only changes go to the import. */
async function applyUpdate(ctx: ApplyContext, w: Extract<PlannedWrite, { kind: 'update' }>): Promise<void> {
  if (!w.system) {
    await ctx.importer.add(w.phone, w.values.custom);
    ctx.counts.add('import_rows');
    return;
  }
  await put(ctx, w, w.values, w.custom);
}

async function put(ctx: ApplyContext, w: ContactWrite, values: ContactValues, withCustom: boolean): Promise<void> {
  try {
    ctx.counts.writes[w.kind === 'new' ? 'new' : 'update']++;
    await ctx.api.updateContact(contactBody(ctx.plan, w.phone, values, { system: true, custom: withCustom, omitEmpty: false }));
    ctx.counts.add('updated');
  } catch (e) {
    if (isPerContact(e)) return rejectFromListrak(ctx, w, e as ListrakError, 'update');
    throw e;
  }
}

/**
 * A phone not on the list. Get Contact (a read) tells whether it exists on the sender code: if not, one Create
 * call makes and subscribes it; if so, one Subscribe call, plus an update only where its stored fields differ.
 */
async function addContact(ctx: ApplyContext, w: ContactWrite): Promise<void> {
  const { api, list, counts } = ctx;
  let existing = await lookup(api, w.phone);
  if (!existing) {
    try {
      counts.writes.new++;
      await api.createContact(list.phoneListId, contactBody(ctx.plan, w.phone, w.values, { system: true, custom: true, omitEmpty: true }));
      counts.add(list.requireDoubleOptIn ? 'pending' : 'created');
      return;
    } catch (e) {
      if (isPerContact(e)) return rejectFromListrak(ctx, w, e as ListrakError, 'create');
      // Created meanwhile (or by an earlier attempt whose answer was lost): continue as an existing contact.
      if (!isCode(e, 'ERROR_PHONE_NUMBER_FOUND')) throw e;
      existing = await lookup(api, w.phone);
      if (!existing) throw e;
    }
  }
  if (existing.optedOut) {
    counts.add('opted_out');
    return;
  }
  const subscribed = await subscribe(ctx, w);
  if (subscribed === 'rejected') return;

  const stored = storedValues(ctx.plan, existing);
  const systemDiffers = fingerprint(stored.system) !== fingerprint(w.values.system);
  const customDiffers = fingerprint(stored.custom) !== fingerprint(w.values.custom);
  if (systemDiffers) await put(ctx, w, w.values, customDiffers);
  else if (customDiffers) {
    await ctx.importer.add(w.phone, w.values.custom);
    counts.add('import_rows');
  }
}

async function lookup(api: SmsApi, phone: string): Promise<ContactDetails | undefined> {
  try {
    return await api.getContact(phone);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function subscribe(ctx: ApplyContext, w: ContactWrite): Promise<'subscribed' | 'pending' | 'rejected'> {
  const { api, list, counts } = ctx;
  if (list.requireDoubleOptIn) {
    // Already waiting for the person's confirmation: asking again would only fail (or re-send the opt-in text).
    const subs = await api.getContactLists(w.phone);
    const here = subs.find((s) => s.phoneListId === list.phoneListId);
    if (here?.pendingDoubleOptIn || /pending/i.test(here?.subscriptionState ?? '')) {
      counts.add('pending');
      return 'pending';
    }
  }
  try {
    counts.writes.new++;
    await api.subscribe(w.phone, list.phoneListId);
    counts.add(list.requireDoubleOptIn ? 'pending' : 'subscribed');
    return list.requireDoubleOptIn ? 'pending' : 'subscribed';
  } catch (e) {
    if (isCode(e, 'ERROR_SUBSCRIBED_PHONE_NUMBER')) {
      counts.add('subscribed');
      return 'subscribed';
    }
    if (isCode(e, 'ERROR_PENDING_PHONE_NUMBER')) {
      counts.add('pending');
      return 'pending';
    }
    if (isPerContact(e)) {
      rejectFromListrak(ctx, w, e as ListrakError, 'subscribe');
      return 'rejected';
    }
    throw e;
  }
}

/** Phase 5, unsubscribe: members the audience did not contain. */
export async function unsubscribeUnseen(ctx: ApplyContext, phones: Iterable<string>): Promise<void> {
  const { api, list, counts } = ctx;
  let batch: string[] = [];
  const flush = async () => {
    await mapConcurrent(batch, ctx.concurrency, async (phone) => {
      try {
        counts.writes.unsubscribe++;
        await api.unsubscribe(phone, list.phoneListId);
      } catch (e) {
        // Already off the list, or gone from the sender code: the end state we want.
        if (!isCode(e, 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED') && !isNotFound(e)) throw e;
      }
      counts.add('unsubscribed');
    });
    batch = [];
  };
  for (const phone of phones) {
    batch.push(phone);
    if (batch.length >= ctx.batchSize) await flush();
  }
  if (batch.length) await flush();
}
