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
import { ConfigError, GuardError } from '../errors.js';
import { activeList, prepareSenderCode } from '../listrak/account.js';
import type { ListrakHttp } from '../listrak/http.js';
import type { PhoneList, SmsApi } from '../listrak/sms.js';
import type { Logger } from '../log.js';
import type { Digest } from '../contact/digest.js';
import { digestBlocks } from '../fast/block-digester.js';
import { routeDigestedInput } from '../fast/digested-input.js';
import { MembersThread } from '../fast/members-thread.js';
import { readInputHead, type AudienceHead, type InputHead } from '../singer/head.js';
import { Metrics } from '../singer/metrics.js';
import { SingerRouter, type StreamSink } from '../singer/route.js';
import { withProgress, type SingerWriter } from '../singer/writer.js';
import { openSender, sendTexts, StreamedTexts } from '../transactional/phase.js';
import { RejectSink, rejectsPath } from '../report/rejects.js';
import { fmt, formatReport, SyncCounts } from '../report/counts.js';
import type { ProgressSink } from '../report/progress.js';
import type { AudienceReading } from './audience-sink.js';
import { runFailure } from './failure.js';
import { ListRun } from './list-run.js';
import { PhaseClock } from './phase-clock.js';
import type { SyncPlan } from './plan.js';
import { prepare, prepareSender, type PreparedSender } from './prepare.js';
import { evidenceMode } from './removal.js';
import { Workspace } from './workspace.js';
import { applyPlan, type ApplyDeps, type ListWriter } from './apply-plan.js';
import { plannedVersusNeeded, savedListPlan } from './apply-saved.js';
import { AuditTrail, type AuditHook } from './audit.js';
import { describeChange, planChanges, sampleChanges } from './change.js';
import { planHeader, writePlanFile, type SavedPlan } from './plan-file.js';
import { WriteSpool } from './spool.js';

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
  /** With dryRun: also write every planned change to this file (--plan, plan-file.ts). */
  planFile?: string;
  /** --apply: a saved plan to apply instead of reading the input (checked by plan-file.ts's checkPlan). */
  saved?: SavedPlan;
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

/** A list of the run as the report and the state's progress name it. */
interface ListTally {
  readonly stream: string;
  readonly list: PhoneList;
  readonly counts: SyncCounts;
}

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

  /** The run's rejects file (every list's rejections, each counted in its list's tally). */
  private rejectsOfRun!: RejectSink;
  private readonly fastPath: boolean;

  constructor(readonly deps: SyncDeps) {
    this.dryRun = deps.dryRun ?? false;
    this.fastPath = deps.fastPath !== false;
    this.metrics = deps.metrics ?? new Metrics(() => {});
    this.clock = new PhaseClock({ ...deps, metrics: this.metrics }, this.counts);
    for (const kind of WRITE_KINDS) this.metrics.counter('write_count', { kind }, () => this.totals().actions[kind]);
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
    const several = this.lists.length > 1 || this.deps.config.stream_lists !== undefined;
    const lists = several ? { lists: this.lists.map((l) => ({ list_id: l.list.phoneListId, stream: l.stream, counts: l.counts.toJSON() })) } : {};
    const progress = { run_id: this.runId, phase: this.clock.phase, list_id: this.deps.config.phone_list_id, counts: this.totals().toJSON(), ...lists };
    this.deps.writer.state(withProgress(tapState.value, 'listrak_sms', progress));
  }

  private report(): string {
    const { http, config } = this.deps;
    const lists = config.stream_lists ? this.lists.map((l) => ({ title: `list ${l.list.phoneListId} (stream "${l.stream}")`, counts: l.counts })) : [];
    return formatReport(this.totals(), http.counter.calls, http.counter.retries, performance.now() - this.started, this.dryRun, { rejectsFile: rejectsPath(config.rejects_file, this.dryRun), lists, rate: http.rate.summary() });
  }

  /** Done: every record is applied, so the tap's latest state is safe to pass on. */
  private finish(line: string, tapState: { value: unknown } | undefined, plans: SyncPlan[]): Omit<SyncResult, 'reading'> {
    this.checkpoint();
    this.passOn(tapState);
    // The SDK's METRIC types are counters and timers: the calls refused, with the rate found as a tag.
    const { rate } = this.deps.http;
    this.metrics.total('http_request_refused', rate.seen.refused, { request_rate: Number(rate.rate.toFixed(1)), requests: rate.seen.succeeded + rate.seen.refused });
    const report = this.report();
    this.clock.done('done', line);
    return { counts: this.totals(), report, dryRun: this.dryRun, plans };
  }

  async execute(): Promise<SyncResult> {
    const { config, logger, signal } = this.deps;
    this.clock.step('prepare');
    const work = new Workspace(this.deps.input, logger, signal);
    try {
      this.checkpoint();
      // With stream_lists, the head stops at the first mapped stream's first record (which stream does not matter).
      const audienceStream = config.stream_lists ? undefined : config.audience_stream;
      // One router for the whole input: a partial last line met by the head is held as it would be later.
      const router = new SingerRouter<Digest>();
      const { saved } = this.deps;
      // --apply reads no input: the plan holds everything it needs.
      const head = saved ? undefined : await readInputHead(work.source, router, { audience: audienceStream, transactional: config.transactional_stream });
      const rejects = (this.rejectsOfRun = new RejectSink(rejectsPath(config.rejects_file, this.dryRun), this.counts));
      try {
        let result: SyncResult;
        if (!head) result = await this.applySaved(saved as SavedPlan, work);
        else if (config.stream_lists && head.audience) result = await this.severalLists(router, head, work, rejects);
        else if (head.audience) result = await this.audience(router, head, head.audience, work, rejects);
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
    if (this.dryRun) {
      const mode = this.deps.planFile !== undefined ? '--plan' : '--dry-run';
      throw new ConfigError(`${mode} applies to the audience sync; transactional texts are never part of a plan, and this input has only those`);
    }
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

  /** One list: `phone_list_id` mirrors the audience stream, read on the fast path where it can be. */
  private async audience(router: SingerRouter<Digest>, head: InputHead, audience: AudienceHead, work: Workspace, rejects: RejectSink): Promise<SyncResult> {
    const { config, api } = this.deps;
    if (config.phone_list_id === undefined) throw new ConfigError(`invalid config: phone_list_id: required when the input has an audience stream ("${audience.stream}")`);
    // The members' thread starts now, so that it has loaded by the time the first page arrives.
    const thread = new MembersThread();
    let list: ListRun | undefined;
    try {
      const prepared = await prepare(api, config, config.phone_list_id);
      list = this.listRun(audience.stream, prepared.list, { line: audience.schema.line, properties: audience.properties }, prepared, work.spool, work, rejects, { several: false, thread });
      this.clock.done('prepare', `sender code ${config.sender_code_id} (${prepared.region}), ${list.describe()}, ${fmt(prepared.optOuts.size)} sender-code opt-outs`, 'members');
      const texts = this.spooledTexts(work.spool);
      router.use({
        sinks: new Map<string, StreamSink<Digest>>([
          [audience.stream, list.sink],
          [config.transactional_stream, texts],
        ]),
        unknownStream: () => NOT_THE_AUDIENCE(audience.stream),
      });
      if (this.fastPath) {
        // The head was parsed here; the rest is parsed and digested on a worker thread, block by block.
        for (const msg of head.buffered) await router.route(msg);
        const rest = work.source.detach();
        const blocks = digestBlocks(rest.blocks, rest.firstLine + rest.lines.length, { planInput: list.planInput, phone: prepared.phone, audienceStream: audience.stream });
        await routeDigestedInput(router, audience.stream, { firstLine: rest.firstLine, lines: rest.lines, blocks });
      } else await router.consume(head.messages);
      router.end(work.source.ending);
    } catch (e) {
      await (list ? list.abort() : thread.stop());
      throw e;
    }
    return this.planAndApply(router, [list], work);
  }

  /**
   * Several lists (`stream_lists`): each mapped stream mirrors its own list, with its own evidence, guard and
   * tally. A list's members are read as soon as its stream's SCHEMA says which fields it has; the audience is read
   * on the reference path (the fast path digests one stream).
   */
  private async severalLists(router: SingerRouter<Digest>, head: InputHead, work: Workspace, rejects: RejectSink): Promise<SyncResult> {
    const { config, api, logger } = this.deps;
    const mapped = config.stream_lists as Record<string, number | null>;
    const names = Object.keys(mapped).map((n) => `"${n}"`).join(', ');
    const sender = await prepareSender(api, config);
    this.clock.done('prepare', `sender code ${config.sender_code_id} (${sender.region}), streams ${names}, ${fmt(sender.optOuts.size)} sender-code opt-outs`, 'members');
    const lists: ListRun[] = [];
    const unwritten = new Map<string, { records: number }>();
    const sinks = new Map<string, StreamSink<Digest>>([[config.transactional_stream, this.spooledTexts(work.spool)]]);
    router.use({
      sinks,
      unknownStream: () => `which stream_lists does not map (${names})`,
      onSchema: async (msg) => {
        if (sinks.has(msg.stream)) return;
        if (!Object.hasOwn(mapped, msg.stream)) {
          throw new ConfigError(`invalid config: stream_lists: the input has stream "${msg.stream}" (line ${msg.line}), which stream_lists does not map (${names}); map it to a list, or to null to read it and write nothing`);
        }
        const listId = mapped[msg.stream];
        if (listId === null || listId === undefined) {
          // A control group: read and counted, never written.
          const seen = { records: 0 };
          unwritten.set(msg.stream, seen);
          sinks.set(msg.stream, { fixedSchema: true, record: () => void seen.records++ });
          return;
        }
        const list = await activeList(api, config, listId, `stream_lists.${msg.stream}`);
        const properties = Object.keys((msg.schema.properties as object | undefined) ?? {});
        const run = this.listRun(msg.stream, list, { line: msg.line, properties }, sender, work.newSpool(), work, rejects, { several: true });
        lists.push(run);
        sinks.set(msg.stream, run.sink);
        logger.info(`prepare: ${run.describe()}`);
      },
    });
    try {
      await router.consume(head.messages);
      router.end(work.source.ending);
    } catch (e) {
      await Promise.all(lists.map((l) => l.abort()));
      throw e;
    }
    for (const [stream, { records }] of unwritten) logger.info(`stream "${stream}": ${fmt(records)} record(s) read and counted; stream_lists maps it to no list, so nothing is written for it`);
    for (const stream of Object.keys(mapped)) if (!sinks.has(stream)) logger.warn(`stream "${stream}" of stream_lists is not in the input: its list is left as it is`);
    return this.planAndApply(router, lists, work);
  }

  /** Every list's plan, then (unless a dry run) each applied in turn, then the texts, then the tap's state. */
  private async planAndApply(router: SingerRouter<Digest>, lists: ListRun[], work: Workspace): Promise<SyncResult> {
    const { logger } = this.deps;
    this.lists = lists;
    if (router.cut) logger.warn(`${router.cut.message}: the input's last line is incomplete, as a tap killed mid-write leaves it; ignored, and nobody is unsubscribed`);
    const decided = [];
    for (const list of lists) decided.push(await list.decide(router));
    await work.spool.finish();
    for (const list of lists) if (list.spool !== work.spool) await list.spool.finish();
    this.checkpoint();
    const plans = decided.map((d) => d.plan);
    const reading = decided.map(({ reading: r }) => ({ early: r.early, settledFromDigest: r.settledFromDigest }));
    // The guard refuses the whole run before any write, whichever list it refuses.
    const refused = plans
      .flatMap((p) => [p.removals.refused, p.revocations.refused].map((r) => r && (lists.length > 1 ? `list ${p.list.phoneListId}: ${r}` : r)))
      .filter((r) => r !== undefined);
    if (this.dryRun) {
      for (const plan of plans) await this.printPlan(plan);
      const texts = work.spool.count('transactional');
      if (this.deps.planFile) {
        await this.savePlan(this.deps.planFile, lists, plans, router);
        if (texts) logger.warn(`${fmt(texts)} transactional text(s) are not part of a plan; a run without --plan sends them`);
        // The plan says what the guard refuses; applying it leaves that part out.
        if (refused.length) logger.warn(`the guard refuses part of this plan, which therefore holds none of it: ${refused.join('; ')}`);
        return { counts: this.totals(), report: this.report(), dryRun: true, plans, reading };
      }
      if (texts) logger.info(`${fmt(texts)} transactional text(s) would be sent`);
      if (refused.length) {
        logger.warn(`the guard would stop this sync: ${refused.join('; ')}`);
        throw new GuardError(refused.join('; '));
      }
      return { counts: this.totals(), report: this.report(), dryRun: true, plans, reading };
    }
    if (refused.length) throw new GuardError(refused.join('; '));
    await this.audited((audit) => lists.map((list, i) => () => list.apply(plans[i] as SyncPlan, () => this.checkpoint(), audit)));
    // A text to a phone whose consent an audience of this input revokes is never sent.
    await this.sendSpooledTexts(work.spool, lists[0]?.sender.region, (key) => plans.some((p) => p.revocations.revoked(key)));
    // The tap's state only now: every record before it is applied (a sync is whole or not at all).
    const done = lists.length === 1 ? `list ${plans[0]?.list.phoneListId} matches the audience` : `${lists.length} lists match their audiences`;
    return { ...this.finish(done, router.tapState && { value: router.tapState.value }, plans), reading };
  }

  /** The lists of this run, as the report and the state's progress name them. */
  private lists: ListTally[] = [];

  /** Run each list's apply in turn, every write told to the audit trail when audit_path is set. */
  private async audited(applies: (audit: AuditHook | undefined) => (() => Promise<void>)[], plan?: string): Promise<void> {
    const audit = await AuditTrail.open(this.deps.config, this.runId, plan !== undefined ? { plan } : {});
    try {
      for (const apply of applies(audit)) await apply();
    } finally {
      await audit?.close();
    }
  }

  /** --plan: every list's planned changes, written to `path` for review and for --apply. */
  private async savePlan(path: string, lists: ListRun[], plans: SyncPlan[], router: SingerRouter<Digest>): Promise<void> {
    const { config, logger } = this.deps;
    const seen = plans.map((plan, i) => {
      const list = lists[i] as ListRun;
      return { plan, properties: list.planInput.properties, records: list.counts.records, members: list.counts.members };
    });
    const header = await writePlanFile(path, planHeader(seen, config, router.tapState && { value: router.tapState.value }), async function* () {
      for (const plan of plans) yield* planChanges(plan, config.batch_size);
    });
    const named = Object.entries(header.counts).filter(([, n]) => n > 0);
    logger.info(`plan written to ${path}: ${named.map(([a, n]) => `${fmt(n)} ${a}`).join(', ') || 'no change'}`);
  }

  /**
   * --apply: each list of the saved plan re-read, the changes still needed on it (apply-decision.ts) applied by the
   * same phases as a run's own plan, then the plan's tap state passed on.
   */
  private async applySaved(saved: SavedPlan, work: Workspace): Promise<SyncResult> {
    const { config, api, logger } = this.deps;
    const { header } = saved;
    const sender = await prepareSender(api, config);
    const several = header.lists.length > 1 || config.stream_lists !== undefined;
    this.clock.done('prepare', `plan ${saved.path} made ${header.created}, sender code ${header.sender_code_id} (${sender.region}), ${header.lists.map((l) => `list ${l.phone_list_id}`).join(', ')}`, 'members');
    const signal = this.deps.signal ?? new AbortController().signal;
    const applying: { plan: SyncPlan; writer: ListWriter }[] = [];
    for (const [i, entry] of header.lists.entries()) {
      const counts = several ? new SyncCounts() : this.counts;
      const spool = i === 0 ? work.spool : work.newSpool();
      this.clock.step('members');
      const { plan, todo } = await savedListPlan({ config, api, fastPath: this.fastPath, signal }, saved, entry, sender, spool, counts);
      this.clock.done('members', `${several ? `list ${entry.phone_list_id}: ` : ''}${fmt(counts.members)} current members indexed`, 'audience');
      logger.info(`plan ${saved.path}${several ? `, list ${entry.phone_list_id}` : ''}: ${plannedVersusNeeded(entry, todo)}`);
      if (plan.removals.withheld) logger.warn(`the plan holds ${several ? `for list ${entry.phone_list_id} ` : ''}no unsubscribes: ${plan.removals.withheld}`);
      this.lists.push({ stream: entry.stream, list: plan.list, counts });
      applying.push({ plan, writer: { counts, sender, rejects: this.rejectsOfRun.countedIn(counts) } });
    }
    await this.audited((audit) => applying.map(({ plan, writer }) => () => applyPlan(this.applyDeps(), writer, plan, () => this.checkpoint(), audit)), header.created);
    const plans = applying.map((a) => a.plan);
    const done = plans.length === 1 ? `list ${plans[0]?.list.phoneListId} is as the plan promised` : `${plans.length} lists are as the plan promised`;
    return { ...this.finish(done, header.tap_state ?? undefined, plans), reading: [] };
  }

  /** The run's tally with every list's: what the report, the metrics and the state's progress show. */
  private totals(): SyncCounts {
    const own = this.lists.filter((l) => l.counts !== this.counts).map((l) => l.counts);
    return own.length ? SyncCounts.sum([this.counts, ...own]) : this.counts;
  }

  /** What the apply phases need of the run (apply-plan.ts), for a list of this run or of a saved plan. */
  private applyDeps(): ApplyDeps {
    const { config, api, logger, http } = this.deps;
    return { config, api, logger, clock: this.clock, runId: this.runId, rate: () => http.rate.summary() };
  }

  private listRun(stream: string, list: PhoneList, schema: { line: number; properties: string[] }, sender: PreparedSender, spool: WriteSpool, work: Workspace, rejects: RejectSink, opts: { several: boolean; thread?: MembersThread }): ListRun {
    const run = new ListRun({ ...this.applyDeps(), fastPath: this.fastPath }, stream, list, schema, sender, spool, work.spill, { counts: this.counts, rejects, ...opts });
    this.metrics.counter('record_count', { stream }, () => run.counts.records);
    return run;
  }

  /** Texts that come with an audience wait in the spool until the audience is in place. */
  private spooledTexts(spool: WriteSpool): StreamSink<Digest> {
    this.metrics.counter('record_count', { stream: this.deps.config.transactional_stream }, () => spool.count('transactional'));
    return { record: (msg) => spool.add({ kind: 'transactional', line: msg.line, file: msg.file, record: msg.record }) };
  }

  private async sendSpooledTexts(spool: WriteSpool, region: string | undefined, revoked: (key: number) => boolean): Promise<void> {
    const { api, config, logger } = this.deps;
    const count = spool.count('transactional');
    if (!count) return;
    this.checkpoint();
    this.clock.phase = 'transactional';
    const sender = await openSender(api, config, region ?? (await prepareSenderCode(api, config)).region, this.counts, this.rejectsOfRun, logger);
    sender.sender.honourRevocations(revoked);
    const onHandled = this.clock.textsStep(count);
    try {
      for await (const items of spool.batches('transactional', config.batch_size)) await sendTexts(sender.sender, items, config.max_concurrency, onHandled);
    } finally {
      sender.journal.close();
    }
    const t = this.counts.transactional;
    this.clock.done('transactional', `${fmt(t.sent)} sent, ${fmt(t.already_sent)} already sent, ${fmt(t.unknown)} unknown`);
  }

  /** The dry run: a plan, printed; nothing is written. */
  private async printPlan(plan: SyncPlan): Promise<void> {
    const { logger } = this.deps;
    const counts = this.lists.find((l) => l.stream === plan.stream)?.counts ?? this.counts;
    const of = this.lists.length > 1 ? `list ${plan.list.phoneListId} plan` : 'plan';
    this.clock.done(
      'audience',
      `${of}: ${fmt(counts.planned.new)} to create or subscribe, ${fmt(counts.planned.changedSystem + counts.planned.changedCustomOnly)} to update, ` +
        `${fmt(counts.actions.unchanged)} unchanged, ${fmt(counts.planned.unsubscribe)} to unsubscribe, ${fmt(counts.actions.opted_out)} opted out, ${fmt(counts.rejectedTotal())} rejected` +
        `, ${fmt(plan.revocations.members.length)} member(s) whose consent is revoked to ${plan.revocations.action === 'opt_out' ? 'opt out' : 'unsubscribe'}` +
        (plan.revocations.others.length ? ` (and ${fmt(plan.revocations.others.length)} other revoked number(s) to opt out where the sender code holds them)` : ''),
    );
    logger.info(plan.evidence.complete ? `removals allowed: ${plan.evidence.because}` : `removals would be withheld: ${plan.evidence.missing}; ${plan.evidence.fix}`);
    // The same description of a change as the plan file and the audit trail (change.ts).
    const samples = (await sampleChanges(plan, 3)).map(describeChange);
    if (samples.length) logger.info(`samples: ${samples.join(', ')}`);
  }
}
