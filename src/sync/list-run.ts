/**
 * One list's sync: its fields, its members read, its audience sink, its plan, and the plan applied. A run mirrors
 * one list (`phone_list_id`) or several (`stream_lists`), each a ListRun with a tally of its own; run.ts wires them
 * to the router and orders their phases.
 */
import type { TargetConfig } from '../config/target.js';
import { ConfigError, GuardError, InputError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SmsApi, PhoneList } from '../listrak/sms.js';
import { buildFieldPlan, type FieldPlan, type PlanInput } from '../contact/fields.js';
import { FIELD_TYPES } from '../contact/types.js';
import { MembersThread } from '../fast/members-thread.js';
import type { SingerRouter } from '../singer/route.js';
import { SyncCounts, fmt } from '../report/counts.js';
import type { Rejects } from '../report/rejects.js';
import type { MemberIndex } from '../tables/member-index.js';
import { AudienceSink, type AudienceReading } from './audience-sink.js';
import { ContactImporter } from './imports.js';
import type { InputSpill } from './input-spill.js';
import { readKnownNumbers } from './known-numbers.js';
import { readMembers } from './members.js';
import type { PhaseClock } from './phase-clock.js';
import { frozenPlan, type SyncPlan } from './plan.js';
import type { PreparedSender } from './prepare.js';
import { completeness, evidenceMode, planRemovals } from './removal.js';
import type { WriteSpool } from './spool.js';
import { applyRevocations, planRevocations } from './revocations.js';
import { unsubscribeUnseen } from './unsubscribe.js';
import { applyWrites, type ApplyContext } from './writes.js';

export interface ListRunDeps {
  config: TargetConfig;
  api: SmsApi;
  logger: Logger;
  clock: PhaseClock;
  runId: string;
  /** false: the reference path (see SyncDeps.fastPath). */
  fastPath: boolean;
  /** The request rate found so far, as the progress line shows it. */
  rate: () => string;
}

export class ListRun {
  /** This list's tally: merged with the others' for the report and the metrics. */
  readonly counts: SyncCounts;
  readonly fields: FieldPlan;
  readonly planInput: PlanInput;
  readonly sink: AudienceSink;
  private readonly thread: MembersThread;
  private readonly members = new AbortController();
  private readonly memberIndex: Promise<MemberIndex>;
  readonly rejects: Rejects;
  private readonly several: boolean;

  constructor(
    private readonly deps: ListRunDeps,
    readonly stream: string,
    readonly list: PhoneList,
    schema: { line: number; properties: string[] },
    readonly sender: PreparedSender,
    readonly spool: WriteSpool,
    spill: InputSpill,
    run: {
      counts: SyncCounts;
      rejects: { countedIn(counts: SyncCounts): Rejects };
      /** One list of several: a tally of its own, and its stream named in what it says. */
      several: boolean;
      /** The members' thread, when the run started it early (it loads while the sync prepares). */
      thread?: MembersThread;
    },
  ) {
    const { config, logger } = deps;
    this.several = run.several;
    this.thread = run.thread ?? new MembersThread();
    this.counts = run.several ? new SyncCounts() : run.counts;
    this.rejects = run.rejects.countedIn(this.counts);
    this.planInput = {
      properties: schema.properties,
      profileFields: sender.profileFields,
      includeCustomFields: config.include_custom_fields,
      managedFieldId: sender.managedField?.segmentationFieldId,
      consent: { property: config.consent_property, timeProperty: config.consent_time_property },
      ...(config.group_property && config.group_field ? { renamed: { property: config.group_property, field: config.group_field } } : {}),
    };
    const fields = buildFieldPlan(this.planInput);
    if ('error' in fields) {
      void this.thread.stop();
      throw fields.setting ? new ConfigError(`invalid config: ${fields.setting}: ${fields.error}`) : new InputError(schema.line, fields.error);
    }
    this.fields = fields;
    const about = run.several ? `stream "${stream}":` : 'audience';
    if (fields.unmatched.length) logger.warn(`${about} properties with no matching Listrak profile field (ignored): ${fields.unmatched.join(', ')}`);
    if (fields.disabled.length) logger.warn(`${about} properties matching a disabled profile field (ignored): ${fields.disabled.join(', ')}`);
    if (fields.reserved.length) logger.warn(`${about} properties matching the managed field, which only this tool sets (ignored): ${fields.reserved.join(', ')}`);
    this.memberIndex = this.readMembers();
    // A failed members read stops the audience read at once, with the members' error.
    this.memberIndex.catch((e: unknown) => spill.abort(e instanceof Error ? e : new Error(String(e))));
    const { optOuts, phone } = sender;
    this.sink = new AudienceSink({ plan: fields, members: this.memberIndex, spill, optOuts, phone, spool, rejects: this.rejects, counts: this.counts, fastPath: deps.fastPath, requireConsent: config.require_consent });
  }

  /** How the prepare phase's line names this list. */
  describe(): string {
    const { list, fields, stream } = this;
    return (
      `list ${list.phoneListId} "${list.phoneListName ?? ''}"${list.requireDoubleOptIn ? ' (double opt-in)' : ''}, stream "${stream}", ` +
      `fields: ${[...fields.system.map((f) => f.field), ...fields.custom.map((f) => f.field.segmentationFieldName)].join(', ') || 'none'}`
    );
  }

  /** Phase 2, on the other core while the audience is read: the list's members, indexed. */
  private readMembers(): Promise<MemberIndex> {
    const { config, logger, clock } = this.deps;
    const { counts } = this;
    const read = { pages: 0, members: 0 };
    clock.step('members', { unit: 'pages', done: () => read.pages, detail: () => `${fmt(read.members)} members, ${fmt(counts.records)} audience records read` });
    const reading = { planInput: this.planInput, region: this.sender.region, fastPath: this.deps.fastPath };
    return readMembers(this.thread, this.deps.api, this.list.phoneListId, config.page_size, reading, this.members.signal, (n) => {
      read.pages++;
      read.members = n;
      if (n % 100_000 < config.page_size) logger.debug(`members: ${fmt(n)} read`);
    }).then((index) => {
      counts.members = index.size + index.unmatchable.length;
      clock.done('members', `${this.several ? `list ${this.list.phoneListId}: ` : ''}${fmt(counts.members)} current members indexed (${(index.bytes() / 1048576).toFixed(1)} MiB)`, 'audience');
      clock.step('audience', { unit: 'records', done: () => counts.records });
      return index;
    });
  }

  /** The read failed: the members read must end before the run does. */
  async abort(): Promise<void> {
    this.members.abort();
    await this.memberIndex.catch(() => {});
    await this.thread.stop();
  }

  /** The input has ended: what reading found, decided as the list's plan. Nothing is written. */
  async decide(router: SingerRouter<unknown>): Promise<{ plan: SyncPlan; reading: AudienceReading }> {
    const { config, logger } = this.deps;
    const reading = await this.sink.finish();
    await this.thread.stop();
    logger.debug(`audience: ${fmt(reading.early.records)} record(s) read while the members were, ${fmt(reading.early.reread)} of them read again to diff in full`);
    logger.debug(`audience: ${fmt(reading.settledFromDigest)} record(s) settled as unchanged from their digest alone`);
    const evidence = completeness({ stream: this.stream, facts: router.evidence.of(this.stream), cutLine: router.cut?.line }, evidenceMode(config));
    const removals = planRemovals(reading.index, evidence, config, this.counts);
    this.counts.planned.unsubscribe = removals.count;
    this.counts.removalsWithheld = removals.withheld;
    if (removals.withheld) logger.warn(`removals withheld${this.several ? ` from list ${this.list.phoneListId}` : ''}: ${removals.withheld}`);
    // Revocations stand on their own evidence: planned whether or not removals are withheld.
    const revocations = planRevocations(reading.consent, reading.index, this.sender.optOuts, config, this.counts);
    const plan = frozenPlan({
      stream: this.stream,
      list: this.list,
      fields: this.fields,
      spool: this.spool,
      newKeys: reading.newKeys,
      evidence,
      removals,
      revocations,
      samples: reading.samples,
      tapState: router.tapState && { value: router.tapState.value },
    });
    return { plan, reading };
  }

  /** Phases 3 (writes) to 5 (unsubscribe): the plan applied. */
  async apply(plan: SyncPlan, checkpoint: () => void): Promise<void> {
    const { config, api, logger, clock, runId } = this.deps;
    const { counts, sender } = this;
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
      rejects: this.rejects,
      importer,
      marker,
      concurrency: config.max_concurrency * 2,
      batchSize: config.batch_size,
      known: known.known,
      adaptive: { createFirst: known.calls > 0, created: 0, found: 0 },
      onHandled: () => handled++,
      revoked: plan.revocations.revoked,
    };
    const toWrite = spool.count('update') + spool.count('new');
    clock.step('writes', { unit: 'contacts', done: () => handled, planned: () => toWrite, detail: () => `rate: ${this.deps.rate()}` });
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
    counts.imports = [...(await importer.finish(onStatus, onPoll)), ...((await marker?.finish(onStatus, onPoll)) ?? [])];
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
    clock.step('unsubscribe', { unit: 'members', done: () => a.unsubscribed, planned: () => counts.planned.unsubscribe, detail: () => `rate: ${this.deps.rate()}` });
    await unsubscribeUnseen(ctx, plan.removals.phones());
    clock.done('unsubscribe', plan.removals.withheld ? 'withheld: nobody unsubscribed (see above)' : `${fmt(a.unsubscribed)} members no longer in the audience unsubscribed`);
  }
}
