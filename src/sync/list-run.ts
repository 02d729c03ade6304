/**
 * One list's sync: its fields, its members read, its audience sink, its plan, and the plan applied. A run mirrors
 * one list (`phone_list_id`) or several (`stream_lists`), each a ListRun with a tally of its own; run.ts wires them
 * to the router and orders their phases.
 */
import { ConfigError, InputError } from '../errors.js';
import type { PhoneList } from '../listrak/sms.js';
import { buildFieldPlan, planInputOf, type FieldPlan, type PlanInput } from '../contact/fields.js';
import { MembersThread } from '../fast/members-thread.js';
import type { SingerRouter } from '../singer/route.js';
import { SyncCounts, fmt } from '../report/counts.js';
import type { Rejects } from '../report/rejects.js';
import type { MemberIndex } from '../tables/member-index.js';
import { applyPlan, type ApplyDeps, type ListWriter } from './apply-plan.js';
import { AudienceSink, type AudienceReading } from './audience-sink.js';
import type { InputSpill } from './input-spill.js';
import { readMembers } from './members.js';
import { frozenPlan, type SyncPlan } from './plan.js';
import type { PreparedSender } from './prepare.js';
import { completeness, evidenceMode, planRemovals } from './removal.js';
import type { WriteSpool } from './spool.js';
import { planRevocations } from './revocations.js';
import type { AuditHook } from './audit.js';

export interface ListRunDeps extends ApplyDeps {
  /** false: the reference path (see SyncDeps.fastPath). */
  fastPath: boolean;
}

export class ListRun implements ListWriter {
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
    this.planInput = planInputOf(config, schema.properties, sender);
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
      tapState: router.tapState && { value: router.tapState.value },
    });
    return { plan, reading };
  }

  /** Phases 3 (writes) to 5 (unsubscribe): the plan applied. */
  apply(plan: SyncPlan, checkpoint: () => void, audit?: AuditHook): Promise<void> {
    return applyPlan(this.deps, this, plan, checkpoint, audit);
  }
}
