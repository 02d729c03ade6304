/**
 * Phases 3 (writes) to 5 (unsubscribe) of one list: a plan carried out. A run's own plan (list-run.ts) and a saved
 * one (--apply, apply-saved.ts) come here alike, so a plan is always applied by the same code whatever made it.
 * Each write's outcome is told to the audit trail when there is one (audit.ts).
 */
import type { TargetConfig } from '../config/target.js';
import { GuardError, ListrakError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SmsApi } from '../listrak/sms.js';
import { FIELD_TYPES } from '../contact/types.js';
import { fmt, type SyncCounts } from '../report/counts.js';
import type { Rejects } from '../report/rejects.js';
import { ContactImporter } from './imports.js';
import { readKnownNumbers } from './known-numbers.js';
import type { PhaseClock } from './phase-clock.js';
import type { SyncPlan } from './plan.js';
import type { PreparedSender } from './prepare.js';
import { applyRevocations } from './revocations.js';
import { unsubscribeUnseen } from './unsubscribe.js';
import type { AuditHook } from './audit.js';
import { applyWrites, type ApplyContext } from './writes.js';

export interface ApplyDeps {
  config: TargetConfig;
  api: SmsApi;
  logger: Logger;
  clock: PhaseClock;
  runId: string;
  /** The request rate found so far, as the progress line shows it. */
  rate: () => string;
}

/** The list a plan is applied to: its tally, the sender code it belongs to, and where its rejects go. */
export interface ListWriter {
  readonly counts: SyncCounts;
  readonly sender: PreparedSender;
  readonly rejects: Rejects;
}

export async function applyPlan(deps: ApplyDeps, target: ListWriter, plan: SyncPlan, checkpoint: () => void, audit?: AuditHook): Promise<void> {
  const { config, api, logger, clock, runId } = deps;
  const { counts, sender } = target;
  const { list, spool } = plan;
  if (plan.removals.refused) throw new GuardError(plan.removals.refused);
  if (plan.revocations.refused) throw new GuardError(plan.revocations.refused);

  const importOpts = { maxBytes: config.import_max_bytes, pollIntervalMs: config.import_poll_interval_s * 1000, timeoutMs: config.import_timeout_s * 1000 };
  const tag = `${runId}-${list.phoneListId}`;
  const importer = new ContactImporter(api, plan.fields, { ...importOpts, runId: tag }, () => counts.writes.import++);
  // The managed field goes in files of its own: a column left empty in the attribute files would clear it.
  const managed = sender.managedField;
  const marker = managed
    ? new ContactImporter(api, { ...plan.fields, system: [], custom: [{ property: '', field: managed, type: FIELD_TYPES.checkbox, maxLength: null }] }, { ...importOpts, runId: `${tag}-managed` }, () => counts.writes.import++)
    : undefined;
  // New phones looked for on the sender code's other lists (known-numbers.ts).
  clock.step('sender lists');
  const known = await readKnownNumbers(api, { listId: list.phoneListId, newKeys: plan.newKeys, plan: plan.fields, region: sender.region, pageSize: config.page_size });
  counts.readsForNew.list_pages = known.calls;
  if (known.calls) logger.info(`audience: ${fmt(known.known.size)} of ${fmt(counts.planned.new)} new phones found on the sender code's other lists (${fmt(known.calls)} reads)`);
  let handled = 0;
  const ctx: ApplyContext = {
    api,
    list,
    plan: plan.fields,
    counts,
    rejects: target.rejects,
    importer,
    marker,
    concurrency: config.max_concurrency * 2,
    batchSize: config.batch_size,
    known: known.known,
    adaptive: { createFirst: known.calls > 0, created: 0, found: 0 },
    onHandled: () => handled++,
    revoked: plan.revocations.revoked,
    audit,
  };
  const toWrite = spool.count('update') + spool.count('new');
  clock.step('writes', { unit: 'contacts', done: () => handled, planned: () => toWrite, detail: () => `rate: ${deps.rate()}` });
  const writesStart = performance.now();
  await applyWrites(ctx, spool);
  counts.phaseSeconds.writes = Number(((performance.now() - writesStart) / 1000).toFixed(3));
  const a = counts.actions;
  clock.done(
    'audience',
    `${fmt(counts.records)} records: ${fmt(a.created)} created, ${fmt(a.subscribed)} subscribed, ${fmt(a.pending)} pending, ${fmt(a.updated)} updated, ` +
      `${fmt(a.unchanged)} unchanged, ${fmt(a.opted_out)} opted out, ${fmt(counts.rejectedTotal())} rejected`,
    'updates',
  );

  // 4. updates (bulk custom fields)
  const polled = { ended: 0, last: '' };
  clock.step('updates', { unit: 'imports ended', done: () => polled.ended, planned: () => counts.writes.import, detail: () => polled.last || undefined });
  const onStatus = (id: number, status: string) => {
    polled.ended++;
    logger.info(`updates: import ${id} ended: ${status}`);
  };
  const onPoll = (id: number, status: string) => (polled.last = `import ${id}: ${status}`);
  try {
    counts.imports = [...(await importer.finish(onStatus, onPoll)), ...((await marker?.finish(onStatus, onPoll)) ?? [])];
  } catch (e) {
    // The rows those imports carried share their outcome.
    await audit?.importsEnded(e instanceof ListrakError ? e.code : 'FAILED');
    throw e;
  }
  await audit?.importsEnded('done');
  const marked = counts.removal.marked_managed ? `; ${fmt(counts.removal.marked_managed)} contacts marked managed` : '';
  const revocations = plan.revocations;
  const revoking = revocations.members.length + revocations.others.length + counts.consent.already_honoured > 0;
  clock.done('updates', counts.imports.length ? `${fmt(a.import_rows)} contacts updated by ${counts.imports.length} import(s)${marked}` : 'no custom-field import needed', revoking ? 'revocations' : 'unsubscribe');

  // Revocations (consent withdrawn), before absence: they stand even when removals are withheld. A phase only for
  // an audience that revokes anyone.
  if (revoking) {
    checkpoint();
    const c = counts.consent;
    const already = c.already_honoured;
    const planned = revocations.members.length + revocations.others.length;
    clock.step('revocations', { unit: 'numbers', done: () => c.honoured + c.not_on_sender_code + c.refused_by_listrak + c.already_honoured - already, planned: () => planned });
    await applyRevocations(ctx, revocations);
    const how = revocations.action === 'opt_out' ? 'opted out of the sender code' : 'unsubscribed from the list';
    clock.done('revocations', `${fmt(c.honoured)} number(s) whose consent was revoked ${how}, ${fmt(c.already_honoured)} already, ${fmt(c.not_on_sender_code)} not on the sender code`, 'unsubscribe');
  }

  // 5. unsubscribe
  checkpoint();
  clock.step('unsubscribe', { unit: 'members', done: () => a.unsubscribed, planned: () => counts.planned.unsubscribe, detail: () => `rate: ${deps.rate()}` });
  await unsubscribeUnseen(ctx, plan.removals.phones());
  clock.done('unsubscribe', plan.removals.withheld ? 'withheld: nobody unsubscribed (see above)' : `${fmt(a.unsubscribed)} members no longer in the audience unsubscribed`);
}
