/**
 * Phase 3b, the writes: new contacts are subscribed (when they exist on the sender code) or created, and changed
 * members updated. Each Listrak answer is read through listrak/codes.ts: already-done answers count as done,
 * per-contact errors become rejected rows, anything else stops the run.
 */
import type { ListrakError } from '../errors.js';
import { isCode, isNotFound, isPerContact, NUMBER_IS } from '../listrak/codes.js';
import { mapConcurrent } from '../listrak/limiter.js';
import type { ContactDetails, PhoneList, SmsApi } from '../listrak/sms.js';
import { fingerprint } from '../contact/fingerprint.js';
import { contactBody, storedFingerprints, type ContactValues, type FieldPlan } from '../contact/fields.js';
import type { ContactImporter } from './imports.js';
import type { Rejects } from '../report/rejects.js';
import type { SyncCounts } from '../report/counts.js';
import type { PlannedWrite, WriteSpool } from './spool.js';
import type { KnownContact } from './known-numbers.js';
import { maskPhone } from '../redact.js';
import type { AuditHook } from './audit.js';
import { changeOfWrite, type ChangeAction } from './change.js';

export interface ApplyContext {
  api: SmsApi;
  list: PhoneList;
  plan: FieldPlan;
  counts: SyncCounts;
  rejects: Rejects;
  importer: ContactImporter;
  /** Sets the managed field on contacts the sync adds or finds in the audience (removal_scope "managed"). */
  marker?: ContactImporter;
  concurrency: number;
  batchSize: number;
  /** New phones already on the sender code (known-numbers.ts), with their stored fields' fingerprints. */
  known: Map<number, KnownContact>;
  /**
   * Whether an unknown phone is created outright (many new contacts: the known ones were read in bulk) or looked up
   * first (a few: a failed create is not worth sparing a lookup); and creates that made a contact, and creates that
   * found one already there, which switch a create-first sync to lookups when most unknown phones exist after all.
   */
  adaptive: { createFirst: boolean; created: number; found: number };
  /** Called once each planned write is handled, whatever its outcome (progress). */
  onHandled?: () => void;
  /** Phone keys whose standing consent is revoked (revocations.ts): a new number among them is never added. */
  revoked?: (key: number) => boolean;
  /** Told each write's outcome (`done`, `already`, an `ERROR_*` code), and each import row queued (audit.ts). */
  audit?: AuditHook;
}

/** Tell the audit trail what became of a write (the change it made, as change.ts describes it). */
function audited(ctx: ApplyContext, w: ContactWrite, action: ChangeAction, outcome: string): void {
  ctx.audit?.written({ ...changeOfWrite(w, ctx.plan, ctx.list.phoneListId), action }, outcome);
}

export async function applyWrites(ctx: ApplyContext, spool: WriteSpool): Promise<void> {
  for await (const batch of spool.batches('update', ctx.batchSize)) {
    await mapConcurrent(batch, ctx.concurrency, (w) => applyUpdate(ctx, w).then(ctx.onHandled));
    await ctx.audit?.flush();
  }
  for await (const batch of spool.batches('new', ctx.batchSize)) {
    await mapConcurrent(batch, ctx.concurrency, (w) => (ctx.revoked?.(Number(w.phone)) ? Promise.resolve() : addContact(ctx, w)).then(ctx.onHandled));
    await ctx.audit?.flush();
  }
  for await (const batch of spool.batches('mark', ctx.batchSize)) for (const w of batch) await markManaged(ctx, w.phone);
}

/** Queue the managed field's `true` for a contact (removal_scope "managed"); a no-op in the list scope. */
async function markManaged(ctx: ApplyContext, phone: string): Promise<void> {
  if (!ctx.marker) return;
  await ctx.marker.add(phone, ['true']);
  ctx.audit?.queued({ action: 'mark', phone, list: ctx.list.phoneListId, reason: 'managed_mark' });
  ctx.counts.removal.marked_managed++;
}

type ContactWrite = Extract<PlannedWrite, { kind: 'new' | 'update' }>;

function rejectFromListrak(ctx: ApplyContext, w: ContactWrite, err: ListrakError, what: 'update' | 'create' | 'subscribe') {
  audited(ctx, w, what, err.code);
  ctx.rejects.add({
    line: w.line,
    file: w.file,
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
    ctx.audit?.queued(changeOfWrite(w, ctx.plan, ctx.list.phoneListId));
    ctx.counts.add('import_rows');
    return;
  }
  await put(ctx, w, w.values, w.custom);
}

async function put(ctx: ApplyContext, w: ContactWrite, values: ContactValues, withCustom: boolean): Promise<void> {
  try {
    ctx.counts.writes[w.kind === 'new' ? 'new' : 'update']++;
    await ctx.api.updateContact(contactBody(ctx.plan, w.phone, values, { system: true, custom: withCustom, omitEmpty: false }));
    audited(ctx, w, 'update', 'done');
    ctx.counts.add('updated');
  } catch (e) {
    if (isPerContact(e)) return rejectFromListrak(ctx, w, e as ListrakError, 'update');
    throw e;
  }
}

/**
 * A phone not on the list, in the fewest calls: one for nearly every new contact, where the common connector makes
 * two (a lookup, then a subscribe or create).
 *  - Known to the sender code (a member of another of its lists, known-numbers.ts): Subscribe, plus an update
 *    only where its stored fields differ.
 *  - Otherwise Create, which makes and subscribes it; if it exists after all (ERROR_PHONE_NUMBER_FOUND), a lookup
 *    and the known path. When most creates turn out to exist, the rest are looked up first instead, as are all
 *    phones of a sync with too few new ones for the bulk read (see ApplyContext.adaptive).
 */
async function addContact(ctx: ApplyContext, w: ContactWrite): Promise<void> {
  const known = ctx.known.get(Number(w.phone));
  if (known) {
    const outcome = await subscribe(ctx, w);
    if (outcome !== 'missing') return outcome === 'rejected' ? undefined : syncFields(ctx, w, known);
    // Gone from the sender code since its list was read: create it.
  }
  const { createFirst, created, found } = ctx.adaptive;
  if (!createFirst || (found >= 10 && found > created)) {
    const existing = await lookup(ctx, w.phone);
    if (existing) return addExisting(ctx, w, existing);
  }
  await createOrSubscribe(ctx, w);
}

async function createOrSubscribe(ctx: ApplyContext, w: ContactWrite): Promise<void> {
  const { api, list, counts } = ctx;
  try {
    counts.writes.new++;
    await api.createContact(list.phoneListId, contactBody(ctx.plan, w.phone, w.values, { system: true, custom: true, omitEmpty: true, markManaged: ctx.marker !== undefined }));
    counts.add(list.requireDoubleOptIn ? 'pending' : 'created');
    audited(ctx, w, 'create', 'done');
    if (ctx.marker) counts.removal.marked_managed++;
    ctx.adaptive.created++;
  } catch (e) {
    if (isPerContact(e)) return rejectFromListrak(ctx, w, e as ListrakError, 'create');
    // Already on the sender code (or created by an earlier attempt whose answer was lost): subscribe it instead.
    if (!isCode(e, NUMBER_IS.onSenderCode)) throw e;
    ctx.adaptive.found++;
    const existing = await lookup(ctx, w.phone);
    if (!existing) throw e;
    await addExisting(ctx, w, existing);
  }
}

/** A contact that exists on the sender code, as Get Contact shows it. */
async function addExisting(ctx: ApplyContext, w: ContactWrite, existing: ContactDetails): Promise<void> {
  if (existing.optedOut) {
    ctx.counts.add('opted_out');
    return;
  }
  const outcome = await subscribe(ctx, w);
  if (outcome === 'rejected') return;
  if (outcome === 'missing') throw new Error(`subscribe ${maskPhone(w.phone)}: Listrak no longer finds the contact it just showed`);
  await syncFields(ctx, w, storedFingerprints(ctx.plan, existing));
}

/**
 * After a subscribe: the contact is this tool's to manage (managed scope), and the audience's values are written
 * where the stored ones differ (custom-only changes by import).
 */
async function syncFields(ctx: ApplyContext, w: ContactWrite, stored: KnownContact): Promise<void> {
  await markManaged(ctx, w.phone);
  const systemDiffers = stored.systemFp !== fingerprint(w.values.system);
  const customDiffers = stored.customFp !== fingerprint(w.values.custom);
  if (systemDiffers) await put(ctx, w, w.values, customDiffers);
  else if (customDiffers) {
    await ctx.importer.add(w.phone, w.values.custom);
    ctx.audit?.queued({ ...changeOfWrite(w, ctx.plan, ctx.list.phoneListId), action: 'import' });
    ctx.counts.add('import_rows');
  }
}

async function lookup(ctx: ApplyContext, phone: string): Promise<ContactDetails | undefined> {
  ctx.counts.readsForNew.lookups++;
  try {
    return await ctx.api.getContact(phone);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Subscribe to the list; 'missing' when the number is not on the sender code. */
async function subscribe(ctx: ApplyContext, w: ContactWrite): Promise<'subscribed' | 'pending' | 'rejected' | 'missing'> {
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
    audited(ctx, w, 'subscribe', 'done');
    counts.add(list.requireDoubleOptIn ? 'pending' : 'subscribed');
    return list.requireDoubleOptIn ? 'pending' : 'subscribed';
  } catch (e) {
    if (isCode(e, NUMBER_IS.subscribed)) {
      audited(ctx, w, 'subscribe', 'already');
      counts.add('subscribed');
      return 'subscribed';
    }
    if (isCode(e, NUMBER_IS.pending)) {
      audited(ctx, w, 'subscribe', 'already');
      counts.add('pending');
      return 'pending';
    }
    if (isNotFound(e)) return 'missing';
    if (isPerContact(e)) {
      rejectFromListrak(ctx, w, e as ListrakError, 'subscribe');
      return 'rejected';
    }
    throw e;
  }
}
