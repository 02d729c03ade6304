/**
 * The target's run: wires the router to the sinks, runs the phases in order (README "Phases"), and passes the
 * tap's state on to stdout once it is safe: the latest state whose records are all applied (see passOn).
 *
 * Re-running is the resume mechanism: the diff is always taken against the live list, so a run stopped anywhere
 * converges on the next run without repeating finished work. Transactional texts, which Listrak cannot deduplicate,
 * keep a journal instead (transactional/journal.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { TargetConfig } from '../config/target.js';
import { ConfigError, GuardError, InputError } from '../errors.js';
import type { ListrakHttp } from '../listrak/http.js';
import type { SmsApi } from '../listrak/sms.js';
import type { Logger } from '../log.js';
import { maskPhone } from '../redact.js';
import type { Digest } from '../contact/digest.js';
import { buildFieldPlan } from '../contact/fields.js';
import { FIELD_TYPES } from '../contact/types.js';
import { digestBlocks } from '../fast/block-digester.js';
import { routeDigestedInput } from '../fast/digested-input.js';
import { MembersThread } from '../fast/members-thread.js';
import { readInputHead, type AudienceHead, type InputHead } from '../singer/head.js';
import { prepareSenderCode } from '../listrak/account.js';
import { Metrics } from '../singer/metrics.js';
import { SingerRouter, type StreamSink } from '../singer/route.js';
import { withProgress, type SingerWriter } from '../singer/writer.js';
import { openSender, sendTexts, StreamedTexts } from '../transactional/phase.js';
import { RejectSink, rejectsPath } from '../report/rejects.js';
import { fmt, formatReport, SyncCounts } from '../report/counts.js';
import type { ProgressSink } from '../report/progress.js';
import { AudienceSink, type AudienceReading } from './audience-sink.js';
import { runFailure } from './failure.js';
import { ContactImporter } from './imports.js';
import { readMembers } from './members.js';
import { PhaseClock } from './phase-clock.js';
import { frozenPlan, type SyncPlan } from './plan.js';
import { prepare, type Prepared } from './prepare.js';
import { completeness, evidenceMode, planRemovals } from './removal.js';
import { readKnownNumbers } from './known-numbers.js';
import { unsubscribeUnseen } from './unsubscribe.js';
import { Workspace } from './workspace.js';
import { applyWrites, type ApplyContext } from './writes.js';

export type { Phase } from './phase-clock.js';

export interface SyncDeps {
  config: TargetConfig;
  api: SmsApi;
  http: ListrakHttp;
  input: Readable;
  writer: SingerWriter;
  logger: Logger;
  dryRun?: boolean;
  /**
   * false: the reference path only (no byte scanning, no digests; every record parsed and diffed in full). The
   * fast path must give the same outcome; specs compare the two, and LISTRAK_SMS_REFERENCE_ONLY=1 selects this.
   */
  fastPath?: boolean;
  /** Told which step the run is in and how to count it (report/progress.ts). */
  progress?: ProgressSink;
  /** Where METRIC lines go (default: nowhere). */
  metrics?: Metrics;
  /** A stop request (a signal, stdout closed): the run stops at a safe point and throws its reason. */
  signal?: AbortSignal;
}

export interface SyncResult {
  counts: SyncCounts;
  report: string;
  dryRun: boolean;
  /** The plan of each list synced (none for an input of texts only). */
  plans: SyncPlan[];
  /** How each list's audience was read: records met before the member index, and those settled from a digest. */
  reading: ReadingFigures[];
}

export type ReadingFigures = Pick<AudienceReading, 'early' | 'settledFromDigest'>;

export async function runSync(deps: SyncDeps): Promise<SyncResult> {
  const run = new Run(deps);
  try {
    return await run.execute();
  } catch (e) {
    throw runFailure(e, run.clock.phase, deps.config, deps.signal);
  } finally {
    run.metrics.stop();
  }
}

/** Contact writes by kind, as `write_count` METRIC counters. */
const WRITE_KINDS = ['created', 'subscribed', 'pending', 'updated', 'import_rows', 'unsubscribed'] as const;

/** Why a stream of the input has no place in this run. */
const NOT_THE_AUDIENCE = (audience: string) => `but the audience stream is "${audience}" (set audience_stream, or send one stream)`;
const AFTER_TEXTS = 'after transactional messages; send the audience stream first, or in another run';

class Run {
  readonly started = performance.now();
  readonly runId = randomUUID().slice(0, 8);
  readonly counts = new SyncCounts();
  readonly dryRun: boolean;
  readonly metrics: Metrics;
  readonly clock: PhaseClock;
  /** The last tap state passed on, so that none goes out twice. */
  private passed: { value: unknown } | undefined;

  constructor(readonly deps: SyncDeps) {
    this.dryRun = deps.dryRun ?? false;
    this.metrics = deps.metrics ?? new Metrics(() => {});
    this.clock = new PhaseClock({ ...deps, metrics: this.metrics }, this.counts);
    for (const kind of WRITE_KINDS) this.metrics.counter('write_count', { kind }, () => this.counts.actions[kind]);
    this.metrics.counter('write_count', { kind: 'sent' }, () => this.counts.transactional.sent);
    if (deps.config.require_final_state !== undefined) {
      deps.logger.warn(`require_final_state is deprecated: it is read as removal_evidence "${evidenceMode(deps.config)}"; set removal_evidence instead`);
    }
  }

  /** Between phases: a stop request ends the run here, where nothing is half-done. */
  private checkpoint() {
    this.deps.signal?.throwIfAborted();
  }

  /**
   * Pass on a tap state whose records are all applied. Meltano stores each stdout line as the job's whole state
   * and hands it back to the tap, so only the tap's own states go out (ours merged into an object state under
   * `listrak_sms`): a progress-only line would erase the tap's bookmarks. A tap state already passed on is not
   * written again.
   */
  private passOn(tapState: { value: unknown } | undefined) {
    if (!tapState || tapState === this.passed || tapState.value === undefined) return;
    this.passed = tapState;
    const progress = { run_id: this.runId, phase: this.clock.phase, list_id: this.deps.config.phone_list_id, counts: this.counts.toJSON() };
    this.deps.writer.state(withProgress(tapState.value, 'listrak_sms', progress));
  }

  private report(): string {
    const { http, config } = this.deps;
    return formatReport(this.counts, http.counter.calls, http.counter.retries, performance.now() - this.started, this.dryRun, { rejectsFile: rejectsPath(config.rejects_file, this.dryRun) });
  }

  /** Done: every record is applied, so the tap's latest state is safe to pass on. */
  private finish(line: string, tapState: { value: unknown } | undefined, plans: SyncPlan[]): Omit<SyncResult, 'reading'> {
    this.checkpoint();
    this.passOn(tapState);
    const report = this.report();
    this.clock.done('done', line);
    return { counts: this.counts, report, dryRun: this.dryRun, plans };
  }

  async execute(): Promise<SyncResult> {
    const { config, logger, signal } = this.deps;
    this.clock.step('prepare');
    const work = new Workspace(this.deps.input, logger, signal);
    try {
      this.checkpoint();
      const audienceStream = config.audience_stream;
      // One router for the whole input: a partial last line met by the head is held as it would be later.
      const router = new SingerRouter<Digest>();
      const head = await readInputHead(work.source, router, { audience: audienceStream, transactional: config.transactional_stream });
      const rejects = new RejectSink(rejectsPath(config.rejects_file, this.dryRun), this.counts);
      try {
        let result: SyncResult;
        if (head.audience) result = await this.audience(router, head, head.audience, work, rejects);
        else {
          await work.spill.stop();
          result = await this.textsOnly(router, head, work, rejects);
        }
        await rejects.commit();
        return result;
      } catch (e) {
        await rejects.discard();
        throw e;
      }
    } finally {
      await work.dispose();
    }
  }

  /** An input of texts only: they are sent as they stream in, and each tap state once the texts before it are. */
  private async textsOnly(router: SingerRouter<Digest>, head: InputHead, work: Workspace, rejects: RejectSink): Promise<SyncResult> {
    const { api, config, logger } = this.deps;
    if (this.dryRun) throw new ConfigError('--dry-run applies to the audience sync; transactional texts are never sent in a dry run, and this input has only those');
    const sender = await prepareSenderCode(api, config);
    const { sender: tx, journal } = await openSender(api, config, sender.region, this.counts, rejects, this.deps.logger);
    this.clock.done('prepare', `sender code ${config.sender_code_id} (${sender.region}), transactional list ${config.transactional_phone_list_id}, journal ${config.journal_path}`, 'transactional');
    const texts = new StreamedTexts(tx, { batchSize: config.batch_size, concurrency: config.max_concurrency, onHandled: this.clock.textsStep() });
    this.metrics.counter('record_count', { stream: config.transactional_stream }, () => texts.records);
    let latest: { value: unknown } | undefined;
    router.use({
      sinks: new Map([[config.transactional_stream, texts]]),
      unknownStream: () => AFTER_TEXTS,
      onState: async (value) => {
        await texts.flush();
        this.passOn((latest = { value }));
      },
    });
    try {
      await router.consume(head.messages);
      router.end(work.source.ending);
      await texts.flush();
    } finally {
      journal.close();
    }
    if (router.cut) logger.warn(`${router.cut.message}: the input's last line is incomplete, as a tap killed mid-write leaves it; ignored`);
    const t = this.counts.transactional;
    this.clock.done('transactional', `${fmt(t.sent)} sent, ${fmt(t.already_sent)} already sent, ${fmt(t.unknown)} unknown, ${fmt(this.counts.rejectedTotal())} rejected`);
    if (t.unknown > 0) logger.warn(`${fmt(t.unknown)} text(s) have an unknown outcome from an earlier run and were not re-sent (set resend_unknown to send them again)`);
    return { ...this.finish('transactional texts sent', latest, []), reading: [] };
  }

  private async audience(router: SingerRouter<Digest>, head: InputHead, audience: AudienceHead, work: Workspace, rejects: RejectSink): Promise<SyncResult> {
    // The members' parsing thread starts now, so that it has loaded by the time the first page arrives.
    const parser = new MembersThread();
    try {
      const { plan, prepared, figures } = await this.planAudience(parser, router, head, audience, work, rejects);
      const result = this.dryRun ? this.printPlan(plan) : await this.applyPlan(plan, prepared, rejects);
      return { ...result, reading: [figures] };
    } finally {
      await parser.stop();
    }
  }

  /** Phases 1 to 3: prepare, read the members and the audience, and decide. Nothing is written. */
  private async planAudience(parser: MembersThread, router: SingerRouter<Digest>, head: InputHead, audience: AudienceHead, work: Workspace, rejects: RejectSink): Promise<{ plan: SyncPlan; prepared: Prepared; figures: ReadingFigures }> {
    const { config, api, logger } = this.deps;
    const { counts, clock } = this;
    const { spool, spill } = work;
    if (config.phone_list_id === undefined) throw new ConfigError(`invalid config: phone_list_id: required when the input has an audience stream ("${audience.stream}")`);
    this.metrics.counter('record_count', { stream: audience.stream }, () => counts.records);
    this.metrics.counter('record_count', { stream: config.transactional_stream }, () => spool.count('transactional'));

    // 1. prepare
    const prepared = await prepare(api, config, config.phone_list_id);
    const planInput = { properties: audience.properties, profileFields: prepared.profileFields, includeCustomFields: config.include_custom_fields, managedFieldId: prepared.managedField?.segmentationFieldId };
    const fields = buildFieldPlan(planInput);
    if ('error' in fields) throw new InputError(audience.schema.line, fields.error);
    if (fields.unmatched.length) logger.warn(`audience properties with no matching Listrak profile field (ignored): ${fields.unmatched.join(', ')}`);
    if (fields.disabled.length) logger.warn(`audience properties matching a disabled profile field (ignored): ${fields.disabled.join(', ')}`);
    if (fields.reserved.length) logger.warn(`audience properties matching the managed field, which only this tool sets (ignored): ${fields.reserved.join(', ')}`);
    const { list } = prepared;
    clock.done(
      'prepare',
      `sender code ${config.sender_code_id} (${prepared.region}), list ${list.phoneListId} "${list.phoneListName ?? ''}"${list.requireDoubleOptIn ? ' (double opt-in)' : ''}, ` +
        `stream "${audience.stream}", fields: ${[...fields.system.map((f) => f.field), ...fields.custom.map((f) => f.field.segmentationFieldName)].join(', ') || 'none'}, ` +
        `${fmt(prepared.optOuts.size)} sender-code opt-outs`,
      'members',
    );

    // 2. members, read on the other core while 3. the audience is read and diffed (audience-sink.ts).
    const members = new AbortController();
    const read = { pages: 0, members: 0 };
    clock.step('members', { unit: 'pages', done: () => read.pages, detail: () => `${fmt(read.members)} members, ${fmt(counts.records)} audience records read` });
    const fast = this.deps.fastPath !== false;
    const memberIndex = readMembers(parser, api, list.phoneListId, config.page_size, { planInput, region: prepared.region, fastPath: fast }, members.signal, (n) => {
      read.pages++;
      read.members = n;
      if (n % 100_000 < config.page_size) logger.debug(`members: ${fmt(n)} read`);
    }).then((index) => {
      counts.members = index.size + index.unmatchable.length;
      clock.done('members', `${fmt(counts.members)} current members indexed (${(index.bytes() / 1048576).toFixed(1)} MiB)`, 'audience');
      clock.step('audience', { unit: 'records', done: () => counts.records });
      return index;
    });
    // A failed members read stops the audience read at once, with the members' error.
    memberIndex.catch((e: unknown) => spill.abort(e instanceof Error ? e : new Error(String(e))));

    const sink = new AudienceSink({ plan: fields, members: memberIndex, spill, optOuts: prepared.optOuts, phone: prepared.phone, spool, rejects, counts, fastPath: fast });
    const texts: StreamSink<Digest> = { record: (msg) => spool.add({ kind: 'transactional', line: msg.line, file: msg.file, record: msg.record }) };
    router.use({
      sinks: new Map<string, StreamSink<Digest>>([
        [audience.stream, sink],
        [config.transactional_stream, texts],
      ]),
      unknownStream: () => NOT_THE_AUDIENCE(audience.stream),
    });
    let reading;
    try {
      if (fast) {
        // The head was parsed here; the rest is parsed and digested on a worker thread, block by block.
        for (const msg of head.buffered) await router.route(msg);
        const rest = work.source.detach();
        const blocks = digestBlocks(rest.blocks, rest.firstLine + rest.lines.length, { planInput, phone: prepared.phone, audienceStream: audience.stream });
        await routeDigestedInput(router, audience.stream, { firstLine: rest.firstLine, lines: rest.lines, blocks });
      } else await router.consume(head.messages);
      router.end(work.source.ending);
      reading = await sink.finish();
    } catch (e) {
      // A failed members read reaches here as the audience read's error (spill.abort); anything else stops the
      // members read, which must end before the run does.
      members.abort();
      await memberIndex.catch(() => {});
      throw e;
    }
    logger.debug(`audience: ${fmt(reading.early.records)} record(s) read while the members were, ${fmt(reading.early.reread)} of them read again to diff in full`);
    logger.debug(`audience: ${fmt(reading.settledFromDigest)} record(s) settled as unchanged from their digest alone`);
    if (router.cut) logger.warn(`${router.cut.message}: the input's last line is incomplete, as a tap killed mid-write leaves it; ignored, and nobody is unsubscribed`);
    await spool.finish();
    this.checkpoint();

    const evidence = completeness({ stream: audience.stream, facts: router.evidence.of(audience.stream), cutLine: router.cut?.line }, evidenceMode(config));
    const removals = planRemovals(reading.index, evidence, config, counts);
    counts.planned.unsubscribe = removals.count;
    counts.removalsWithheld = removals.withheld;
    if (removals.withheld) logger.warn(`removals withheld: ${removals.withheld}`);
    const plan = frozenPlan({
      stream: audience.stream,
      list,
      fields,
      spool,
      newKeys: reading.newKeys,
      evidence,
      removals,
      samples: reading.samples,
      tapState: router.tapState && { value: router.tapState.value },
    });
    return { plan, prepared, figures: { early: reading.early, settledFromDigest: reading.settledFromDigest } };
  }

  /** The dry run: the plan, printed; nothing is written. */
  private printPlan(plan: SyncPlan): Omit<SyncResult, 'reading'> {
    const { logger } = this.deps;
    const { counts } = this;
    this.clock.done(
      'audience',
      `plan: ${fmt(counts.planned.new)} to create or subscribe, ${fmt(counts.planned.changedSystem + counts.planned.changedCustomOnly)} to update, ` +
        `${fmt(counts.actions.unchanged)} unchanged, ${fmt(counts.planned.unsubscribe)} to unsubscribe, ${fmt(counts.actions.opted_out)} opted out, ${fmt(counts.rejectedTotal())} rejected`,
    );
    logger.info(plan.evidence.complete ? `removals allowed: ${plan.evidence.because}` : `removals would be withheld: ${plan.evidence.missing}; ${plan.evidence.fix}`);
    const samples = [
      ...plan.samples.new.map((p) => `add ${maskPhone(p)}`),
      ...plan.samples.update.map((p) => `update ${maskPhone(p)}`),
      ...take(plan.removals.phones(), 3).map((p) => `unsubscribe ${maskPhone(p)}`),
    ];
    if (samples.length) logger.info(`samples: ${samples.join(', ')}`);
    const texts = plan.spool.count('transactional');
    if (texts) logger.info(`${fmt(texts)} transactional text(s) would be sent`);
    if (plan.removals.refused) {
      logger.warn(`the removal guard would stop this sync: ${plan.removals.refused}`);
      throw new GuardError(plan.removals.refused);
    }
    return { counts, report: this.report(), dryRun: true, plans: [plan] };
  }

  /** Phases 3 (writes) to the end: the plan applied, then the texts that came with the audience. */
  private async applyPlan(plan: SyncPlan, prepared: Prepared, rejects: RejectSink): Promise<Omit<SyncResult, 'reading'>> {
    const { config, api, logger } = this.deps;
    const { counts, clock } = this;
    const { list, spool } = plan;
    if (plan.removals.refused) throw new GuardError(plan.removals.refused);

    const importOpts = { maxBytes: config.import_max_bytes, pollIntervalMs: config.import_poll_interval_s * 1000, timeoutMs: config.import_timeout_s * 1000 };
    const importer = new ContactImporter(api, plan.fields, { ...importOpts, runId: this.runId }, () => counts.writes.import++);
    // The managed field goes in files of its own: a column left empty in the attribute files would clear it.
    const managed = prepared.managedField;
    const marker = managed
      ? new ContactImporter(api, { ...plan.fields, system: [], custom: [{ property: '', field: managed, type: FIELD_TYPES.checkbox, maxLength: null }] }, { ...importOpts, runId: `${this.runId}-managed` }, () => counts.writes.import++)
      : undefined;
    // New phones looked for on the sender code's other lists (known-numbers.ts).
    clock.step('sender lists');
    const knowledge = await readKnownNumbers(api, { listId: list.phoneListId, newKeys: plan.newKeys, plan: plan.fields, region: prepared.region, pageSize: config.page_size });
    counts.readsForNew.list_pages = knowledge.calls;
    if (knowledge.calls) logger.info(`audience: ${fmt(knowledge.known.size)} of ${fmt(counts.planned.new)} new phones found on the sender code's other lists (${fmt(knowledge.calls)} reads)`);
    let handled = 0;
    const ctx: ApplyContext = {
      api,
      list,
      plan: plan.fields,
      counts,
      rejects,
      importer,
      marker,
      concurrency: config.max_concurrency * 2,
      batchSize: config.batch_size,
      known: knowledge.known,
      adaptive: { createFirst: knowledge.calls > 0, created: 0, found: 0 },
      onHandled: () => handled++,
    };
    const toWrite = spool.count('update') + spool.count('new');
    clock.step('writes', { unit: 'contacts', done: () => handled, planned: () => toWrite });
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
    const imports = [...(await importer.finish(onStatus, onPoll)), ...((await marker?.finish(onStatus, onPoll)) ?? [])];
    counts.imports = imports;
    const marked = counts.removal.marked_managed ? `; ${fmt(counts.removal.marked_managed)} contacts marked managed` : '';
    clock.done('updates', imports.length ? `${fmt(a.import_rows)} contacts updated by ${imports.length} import(s)${marked}` : 'no custom-field import needed', 'unsubscribe');

    // 5. unsubscribe
    this.checkpoint();
    clock.step('unsubscribe', { unit: 'members', done: () => a.unsubscribed, planned: () => counts.planned.unsubscribe });
    await unsubscribeUnseen(ctx, plan.removals.phones());
    const textCount = spool.count('transactional');
    clock.done('unsubscribe', plan.removals.withheld ? 'withheld: nobody unsubscribed (see above)' : `${fmt(a.unsubscribed)} members no longer in the audience unsubscribed`, textCount ? 'transactional' : 'done');

    // Transactional texts that came with the audience go out once the audience is in place.
    if (textCount) {
      this.checkpoint();
      const { sender, journal } = await openSender(api, config, prepared.region, counts, rejects, logger);
      const onHandled = clock.textsStep(textCount);
      try {
        for await (const items of spool.batches('transactional', config.batch_size)) await sendTexts(sender, items, config.max_concurrency, onHandled);
      } finally {
        journal.close();
      }
      const t = counts.transactional;
      clock.done('transactional', `${fmt(t.sent)} sent, ${fmt(t.already_sent)} already sent, ${fmt(t.unknown)} unknown`);
    }
    // The audience's state only now: every record before it is applied (a sync is whole or not at all).
    return this.finish(`list ${list.phoneListId} matches the audience`, plan.tapState, [plan]);
  }
}

function take<T>(it: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const v of it) {
    if (out.length >= n) break;
    out.push(v);
  }
  return out;
}
