/**
 * The target's run, phase by phase (see README "Phases"). Each phase is a function; this module only runs them in
 * order, logs one line and a METRIC timer per phase, and passes the tap's state on to stdout once it is safe:
 * the latest state whose records are all applied (see passOn).
 *
 * Re-running is the resume mechanism: the diff is always taken against the live list, so a run stopped anywhere
 * converges on the next run without repeating finished work. Transactional texts, which Listrak cannot deduplicate,
 * keep a journal instead (transactional/journal.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { TargetConfig } from '../config/target.js';
import { ConfigError, GuardError, InputError, ListrakError, StoppedError } from '../errors.js';
import { explainFatal } from '../listrak/codes.js';
import type { ListrakHttp } from '../listrak/http.js';
import type { SmsApi } from '../listrak/sms.js';
import type { Logger } from '../log.js';
import { maskPhone } from '../redact.js';
import { parseSingerLine, readSinger, type SingerReader } from '../singer/reader.js';
import type { Numbered, SingerMessage } from '../singer/messages.js';
import { digestBlocks } from '../fast/block-digester.js';
import { Metrics } from '../singer/metrics.js';
import { withProgress, type SingerWriter } from '../singer/writer.js';
import { openSender, sendBatches, stateless, transactionalBatches } from '../transactional/phase.js';
import { applyWrites, type ApplyContext } from './writes.js';
import { unsubscribeUnseen } from './unsubscribe.js';
import { planRemovals } from './removal.js';
import { buildFieldPlan, type PlanInput } from '../contact/fields.js';
import type { PhoneContext } from '../contact/phone.js';
import { FIELD_TYPES } from '../contact/types.js';
import { ContactImporter } from './imports.js';
import { InputSpill } from './input-spill.js';
import { readInputHead, type AudienceHead, type InputHead } from './input-head.js';
import { planAudience } from './diff.js';
import { prepare } from './prepare.js';
import { prepareSenderCode } from '../listrak/account.js';
import { readMembers } from './members.js';
import { MembersParser } from '../fast/members-parser.js';
import { RejectSink, rejectsPath } from '../report/rejects.js';
import { readSenderKnowledge } from './sender-knowledge.js';
import { fmt, formatReport, SyncCounts } from '../report/counts.js';
import { noProgress, type Measure, type ProgressSink } from '../report/progress.js';
import { WriteSpool } from './spool.js';

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

export type Phase = 'prepare' | 'members' | 'audience' | 'updates' | 'unsubscribe' | 'transactional' | 'done';

export interface SyncResult {
  counts: SyncCounts;
  report: string;
  dryRun: boolean;
}

export async function runSync(deps: SyncDeps): Promise<SyncResult> {
  const run = new Run(deps);
  try {
    return await run.execute();
  } catch (e) {
    // Whatever a stop request made fail on its way out, it is reported as that stop, naming the phase.
    const stop = e instanceof StoppedError ? e : deps.signal?.aborted && deps.signal.reason instanceof StoppedError ? deps.signal.reason : undefined;
    if (stop) throw stop.during(run.phase);
    // List, sender-code and credential errors get a message that says what to check.
    if (e instanceof ListrakError && deps.config.phone_list_id !== undefined) {
      const message = explainFatal(e, { senderCodeId: deps.config.sender_code_id, listId: deps.config.phone_list_id });
      if (message !== e.message) throw new ListrakError(e.code, e.status, message, e.route);
    }
    throw e;
  } finally {
    run.metrics.stop();
  }
}

/** Contact writes by kind, as `write_count` METRIC counters. */
const WRITE_KINDS = ['created', 'subscribed', 'pending', 'updated', 'import_rows', 'unsubscribed'] as const;

/** One run's shared state: counts, the phase clock, state passing, metrics and the report. */
class Run {
  readonly started = performance.now();
  readonly runId = randomUUID().slice(0, 8);
  readonly counts = new SyncCounts();
  readonly dryRun: boolean;
  readonly metrics: Metrics;
  /** The phase in progress (the members are read while the audience is: 'members' until they are all in). */
  phase: Phase = 'prepare';
  private phaseStart = performance.now();
  /** The last tap state passed on, so that none goes out twice. */
  private passed: { value: unknown } | undefined;

  constructor(readonly deps: SyncDeps) {
    this.dryRun = deps.dryRun ?? false;
    this.metrics = deps.metrics ?? new Metrics(() => {});
    for (const kind of WRITE_KINDS) this.metrics.counter('write_count', { kind }, () => this.counts.actions[kind]);
    this.metrics.counter('write_count', { kind: 'sent' }, () => this.counts.transactional.sent);
  }

  private progress(phase: Phase) {
    return { run_id: this.runId, phase, list_id: this.deps.config.phone_list_id, counts: this.counts.toJSON() };
  }

  private phaseDone(phase: Phase, line: string, next: Phase = 'done') {
    const seconds = (performance.now() - this.phaseStart) / 1000;
    this.counts.phaseSeconds[phase] = Number(seconds.toFixed(3));
    this.deps.logger.info(`${phase}: ${line} (${seconds.toFixed(1)} s)`);
    this.metrics.timer('phase_duration', seconds, { phase });
    this.phase = next;
    this.phaseStart = performance.now();
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
    this.deps.writer.state(withProgress(tapState.value, 'listrak_sms', this.progress(this.phase)));
  }

  private report(): string {
    return formatReport(this.counts, this.deps.http.counter.calls, this.deps.http.counter.retries, performance.now() - this.started, this.dryRun, { rejectsFile: rejectsPath(this.deps.config.rejects_file, this.dryRun) });
  }

  /** Progress: the step the run is in now. */
  private step(name: string, measure: Measure = this.callsFromNow()) {
    (this.deps.progress ?? noProgress).step(name, measure);
  }

  /** Progress of the transactional step; returns what counts each text handled. */
  private textsStep(planned?: number): () => void {
    let done = 0;
    this.step('transactional', { unit: 'texts', done: () => done, ...(planned === undefined ? {} : { planned: () => planned }) });
    return () => done++;
  }

  /** A step counted by the API calls it makes (one with no count of its own, such as prepare). */
  private callsFromNow(): Measure {
    const counter = this.deps.http.counter;
    const base = counter.total();
    return { unit: 'calls', done: () => counter.total() - base };
  }

  /** Done: every record is applied, so the tap's latest state is safe to pass on. */
  private finish(line: string, tapState: { value: unknown } | undefined): SyncResult {
    this.checkpoint();
    this.passOn(tapState);
    const report = this.report();
    this.phaseDone('done', line);
    return { counts: this.counts, report, dryRun: this.dryRun };
  }

  async execute(): Promise<SyncResult> {
    const { config } = this.deps;
    this.step('prepare');
    const stale = WriteSpool.removeStale();
    if (stale) this.deps.logger.info(`removed ${stale} temporary folder(s) left by runs that were killed`);
    const spool = new WriteSpool();
    const spill = new InputSpill(spool.dir);
    // A stop request ends the reading of the input at once (the input may be a tap that is slow to send more).
    const { signal } = this.deps;
    const stopReading = () => spill.abort(signal?.reason as Error);
    signal?.addEventListener('abort', stopReading);
    try {
      this.checkpoint();
      const source = readSinger(spill.tap(this.deps.input));
      const head = await readInputHead(source, { audience: config.audience_stream, transactional: config.transactional_stream });
      const rejects = new RejectSink(rejectsPath(config.rejects_file, this.dryRun), this.counts);
      try {
        let result: SyncResult;
        if (head.audience) result = await this.audience(head, head.audience, source, spool, spill, rejects);
        else {
          await spill.stop();
          result = await this.transactionalOnly(head, rejects);
        }
        await rejects.commit();
        return result;
      } catch (e) {
        await rejects.discard();
        throw e;
      }
    } finally {
      signal?.removeEventListener('abort', stopReading);
      await spill.stop().catch(() => {});
      spill.dispose();
      spool.dispose();
    }
  }

  private async transactionalOnly(head: InputHead, rejects: RejectSink): Promise<SyncResult> {
    const { api, config, logger } = this.deps;
    if (this.dryRun) throw new ConfigError('--dry-run applies to the audience sync; transactional texts are never sent in a dry run, and this input has only those');
    const sender = await prepareSenderCode(api, config);
    const { sender: tx, journal } = await openSender(api, config, sender.region, this.counts, rejects, this.deps.logger);
    this.phaseDone('prepare', `sender code ${config.sender_code_id} (${sender.region}), transactional list ${config.transactional_phone_list_id}, journal ${config.journal_path}`, 'transactional');
    const texts = this.textsStep();
    const read = { records: 0 };
    this.metrics.counter('record_count', { stream: config.transactional_stream }, () => read.records);
    let latest: { value: unknown } | undefined;
    try {
      // Texts go out as they stream in, and each tap state once the texts before it are sent.
      const batches = transactionalBatches(head.messages, config.transactional_stream, config.batch_size, read);
      await sendBatches(tx, batches, config.max_concurrency, { onSafe: (value) => this.passOn((latest = { value })), onHandled: texts });
    } finally {
      journal.close();
    }
    const t = this.counts.transactional;
    this.phaseDone('transactional', `${fmt(t.sent)} sent, ${fmt(t.already_sent)} already sent, ${fmt(t.unknown)} unknown, ${fmt(this.counts.rejectedTotal())} rejected`);
    if (t.unknown > 0) logger.warn(`${fmt(t.unknown)} text(s) have an unknown outcome from an earlier run and were not re-sent (set resend_unknown to send them again)`);
    return this.finish('transactional texts sent', latest);
  }

  private async audience(head: InputHead, audience: AudienceHead, source: SingerReader, spool: WriteSpool, spill: InputSpill, rejects: RejectSink): Promise<SyncResult> {
    // The members' parsing thread starts now, so that it has loaded by the time the first page arrives.
    const parser = new MembersParser();
    try {
      return await this.audienceSync(parser, head, audience, source, spool, spill, rejects);
    } finally {
      await parser.stop();
    }
  }

  /** The head was parsed here; the rest is parsed and digested on a worker thread, block by block. */
  private fastAudience(head: InputHead, source: SingerReader, planInput: PlanInput, phone: PhoneContext, audienceStream: string) {
    const rest = source.detach();
    return {
      messages: headMessages(head.buffered, rest.lines, rest.firstLine),
      blocks: digestBlocks(rest.blocks, rest.firstLine + rest.lines.length, { planInput, phone, audienceStream }),
    };
  }

  private async audienceSync(parser: MembersParser, head: InputHead, audience: AudienceHead, source: SingerReader, spool: WriteSpool, spill: InputSpill, rejects: RejectSink): Promise<SyncResult> {
    const { config, api, logger } = this.deps;
    const counts = this.counts;
    if (config.phone_list_id === undefined) throw new ConfigError(`invalid config: phone_list_id: required when the input has an audience stream ("${audience.stream}")`);
    this.metrics.counter('record_count', { stream: audience.stream }, () => counts.records);
    this.metrics.counter('record_count', { stream: config.transactional_stream }, () => spool.count('transactional'));

    // 1. prepare
    const prepared = await prepare(api, config, config.phone_list_id);
    const planInput = { properties: audience.properties, profileFields: prepared.profileFields, includeCustomFields: config.include_custom_fields, managedFieldId: prepared.managedField?.segmentationFieldId };
    const plan = buildFieldPlan(planInput);
    if ('error' in plan) throw new InputError(audience.schema.line, plan.error);
    if (plan.unmatched.length) logger.warn(`audience properties with no matching Listrak profile field (ignored): ${plan.unmatched.join(', ')}`);
    if (plan.disabled.length) logger.warn(`audience properties matching a disabled profile field (ignored): ${plan.disabled.join(', ')}`);
    if (plan.reserved.length) logger.warn(`audience properties matching the managed field, which only this tool sets (ignored): ${plan.reserved.join(', ')}`);
    const { list } = prepared;
    this.phaseDone(
      'prepare',
      `sender code ${config.sender_code_id} (${prepared.region}), list ${list.phoneListId} "${list.phoneListName ?? ''}"${list.requireDoubleOptIn ? ' (double opt-in)' : ''}, ` +
        `stream "${audience.stream}", fields: ${[...plan.system.map((f) => f.field), ...plan.custom.map((f) => f.field.segmentationFieldName)].join(', ') || 'none'}, ` +
        `${fmt(prepared.optOuts.size)} sender-code opt-outs`,
      'members',
    );

    // 2. members, read on the other core while 3. the audience is read and diffed (diff.ts).
    const members = new AbortController();
    const read = { pages: 0, members: 0 };
    this.step('members', { unit: 'pages', done: () => read.pages, detail: () => `${fmt(read.members)} members, ${fmt(counts.records)} audience records read` });
    const memberIndex = readMembers(parser, api, list.phoneListId, config.page_size, { planInput, region: prepared.region, scan: this.deps.fastPath !== false }, members.signal, (n) => {
      read.pages++;
      read.members = n;
      if (n % 100_000 < config.page_size) logger.debug(`members: ${fmt(n)} read`);
    }).then((index) => {
      counts.members = index.size + index.unmatchable.length;
      this.phaseDone('members', `${fmt(counts.members)} current members indexed (${(index.bytes() / 1048576).toFixed(1)} MiB)`, 'audience');
      this.step('audience', { unit: 'records', done: () => counts.records });
      return index;
    });
    // A failed members read stops the audience read at once, with the members' error.
    memberIndex.catch((e: unknown) => spill.abort(e instanceof Error ? e : new Error(String(e))));
    let planned: Awaited<ReturnType<typeof planAudience>>;
    try {
      const fast = this.deps.fastPath !== false;
      planned = await planAudience({
        ...(fast ? this.fastAudience(head, source, planInput, prepared.phone, audience.stream) : { messages: head.messages }),
        referenceOnly: !fast,
        audienceStream: audience.stream,
        transactionalStream: config.transactional_stream,
        plan,
        members: memberIndex,
        spill,
        optOuts: prepared.optOuts,
        phone: prepared.phone,
        spool,
        rejects,
        counts,
      });
    } catch (e) {
      // A failed members read reaches here as the audience read's error (spill.abort); anything else stops the
      // members read, which must end before the run does.
      members.abort();
      await memberIndex.catch(() => {});
      throw e;
    }
    const index = planned.index;
    logger.debug(`audience: ${fmt(planned.early.records)} record(s) read while the members were, ${fmt(planned.early.reread)} of them read again to diff in full`);
    logger.debug(`audience: ${fmt(planned.settledFromDigest)} record(s) settled as unchanged from their digest alone`);
    await spool.finish();
    this.checkpoint();
    const removals = planRemovals(index, planned.audienceComplete, config, counts);
    counts.planned.unsubscribe = removals.count;
    counts.removalsWithheld = removals.withheld;
    const guardMessage = removals.refused;
    if (removals.withheld) logger.warn(`removals withheld: ${removals.withheld}`);

    if (this.dryRun) {
      this.phaseDone(
        'audience',
        `plan: ${fmt(counts.planned.new)} to create or subscribe, ${fmt(counts.planned.changedSystem + counts.planned.changedCustomOnly)} to update, ` +
          `${fmt(counts.actions.unchanged)} unchanged, ${fmt(counts.planned.unsubscribe)} to unsubscribe, ${fmt(counts.actions.opted_out)} opted out, ${fmt(counts.rejectedTotal())} rejected`,
      );
      const samples = [
        ...planned.samples.new.map((p) => `add ${maskPhone(p)}`),
        ...planned.samples.update.map((p) => `update ${maskPhone(p)}`),
        ...take(removals.phones(), 3).map((p) => `unsubscribe ${maskPhone(p)}`),
      ];
      if (samples.length) logger.info(`samples: ${samples.join(', ')}`);
      if (spool.count('transactional')) logger.info(`${fmt(spool.count('transactional'))} transactional text(s) would be sent`);
      if (guardMessage) {
        logger.warn(`the removal guard would stop this sync: ${guardMessage}`);
        throw new GuardError(guardMessage);
      }
      return { counts, report: this.report(), dryRun: true };
    }
    if (guardMessage) throw new GuardError(guardMessage);

    const importOpts = { maxBytes: config.import_max_bytes, pollIntervalMs: config.import_poll_interval_s * 1000, timeoutMs: config.import_timeout_s * 1000 };
    const importer = new ContactImporter(api, plan, { ...importOpts, runId: this.runId }, () => counts.writes.import++);
    // The managed field goes in files of its own: a column left empty in the attribute files would clear it.
    const managed = prepared.managedField;
    const marker = managed
      ? new ContactImporter(api, { ...plan, system: [], custom: [{ property: '', field: managed, type: FIELD_TYPES.checkbox, maxLength: null }] }, { ...importOpts, runId: `${this.runId}-managed` }, () => counts.writes.import++)
      : undefined;
    // New phones looked for on the sender code's other lists (sender-knowledge.ts).
    this.step('sender lists');
    const knowledge = await readSenderKnowledge(api, { listId: list.phoneListId, newKeys: planned.newKeys, plan, region: prepared.region, pageSize: config.page_size });
    counts.readsForNew.list_pages = knowledge.calls;
    if (knowledge.calls) logger.info(`audience: ${fmt(knowledge.known.size)} of ${fmt(counts.planned.new)} new phones found on the sender code's other lists (${fmt(knowledge.calls)} reads)`);
    const ctx: ApplyContext = {
      api,
      list,
      plan,
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
    let handled = 0;
    const toWrite = spool.count('update') + spool.count('new');
    this.step('writes', { unit: 'contacts', done: () => handled, planned: () => toWrite });
    const writesStart = performance.now();
    await applyWrites(ctx, spool);
    counts.phaseSeconds.writes = Number(((performance.now() - writesStart) / 1000).toFixed(3));
    const a = counts.actions;
    this.phaseDone(
      'audience',
      `${fmt(counts.records)} records: ${fmt(a.created)} created, ${fmt(a.subscribed)} subscribed, ${fmt(a.pending)} pending, ${fmt(a.updated)} updated, ` +
        `${fmt(a.unchanged)} unchanged, ${fmt(a.opted_out)} opted out, ${fmt(counts.rejectedTotal())} rejected`,
      'updates',
    );

    // 4. updates (bulk custom fields)
    const polled = { ended: 0, last: '' };
    this.step('updates', { unit: 'imports ended', done: () => polled.ended, planned: () => counts.writes.import, detail: () => polled.last || undefined });
    const onStatus = (id: number, status: string) => {
      polled.ended++;
      logger.info(`updates: import ${id} ended: ${status}`);
    };
    const onPoll = (id: number, status: string) => (polled.last = `import ${id}: ${status}`);
    const imports = [...(await importer.finish(onStatus, onPoll)), ...((await marker?.finish(onStatus, onPoll)) ?? [])];
    counts.imports = imports;
    const marked = counts.removal.marked_managed ? `; ${fmt(counts.removal.marked_managed)} contacts marked managed` : '';
    this.phaseDone('updates', imports.length ? `${fmt(a.import_rows)} contacts updated by ${imports.length} import(s)${marked}` : 'no custom-field import needed', 'unsubscribe');

    // 5. unsubscribe
    this.checkpoint();
    this.step('unsubscribe', { unit: 'members', done: () => a.unsubscribed, planned: () => counts.planned.unsubscribe });
    await unsubscribeUnseen(ctx, removals.phones());
    this.phaseDone(
      'unsubscribe',
      removals.withheld ? 'withheld: nobody unsubscribed (see above)' : `${fmt(a.unsubscribed)} members no longer in the audience unsubscribed`,
      spool.count('transactional') ? 'transactional' : 'done',
    );

    // Transactional texts that came with the audience go out once the audience is in place.
    if (spool.count('transactional')) {
      this.checkpoint();
      const { sender, journal } = await openSender(api, config, prepared.region, counts, rejects, logger);
      const texts = this.textsStep(spool.count('transactional'));
      try {
        await sendBatches(sender, stateless(spool.batches('transactional', config.batch_size)), config.max_concurrency, { onHandled: texts });
      } finally {
        journal.close();
      }
      const t = counts.transactional;
      this.phaseDone('transactional', `${fmt(t.sent)} sent, ${fmt(t.already_sent)} already sent, ${fmt(t.unknown)} unknown`);
    }
    // The audience's state only now: every record before it is applied (a sync is whole or not at all).
    return this.finish(`list ${list.phoneListId} matches the audience`, planned.tapState === undefined ? undefined : { value: planned.tapState });
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

/** The messages read by the head, then the lines already split after them, parsed one by one as asked for. */
function* headMessages(buffered: Numbered<SingerMessage>[], lines: string[], firstLine: number): Generator<Numbered<SingerMessage>> {
  yield* buffered;
  for (let i = 0; i < lines.length; i++) {
    const msg = parseSingerLine(lines[i] as string, firstLine + i);
    if (msg) yield msg;
  }
}
