/**
 * The audience sink: where the router (singer/route.ts) hands the records of one audience stream, mirrored into
 * one list. It diffs each record against the member index (diff.ts) and spools the writes it needs; nothing is
 * written to Listrak here.
 *
 * The input is read while the members are (members.ts, on the other core). Until the index is there, a record is
 * kept as a digest (early-digests.ts) and settled once the index arrives; a record after that is diffed at once,
 * or settled from its digest when the fast path sends one (fast/digested-input.ts).
 */
import type { ConsentLedger } from '../contact/consent.js';
import type { Digest } from '../contact/digest.js';
import type { StreamSink } from '../singer/route.js';
import type { Numbered, RecordMessage } from '../singer/messages.js';
import type { MemberIndex } from '../tables/member-index.js';
import { SortedKeys } from '../tables/keys.js';
import { digestedLine, RecordDiff, type DiffContext } from './diff.js';
import { EarlyDigests } from './early-digests.js';
import type { InputSpill } from './input-spill.js';

/** Past this much input copied to disk, reading waits for the member index instead of copying more. */
const MAX_SPILL_BYTES = 2 ** 30;

export interface AudienceSinkInput extends DiffContext {
  /** The member index, still being read when the audience starts. */
  members: Promise<MemberIndex>;
  /** The input's copy, for records met before the index was known. */
  spill: InputSpill;
  /** false: the reference path only, where every record waits for the member index and is diffed in full. */
  fastPath: boolean;
}

/** What reading the audience found, for the plan. */
export interface AudienceReading {
  index: MemberIndex;
  /** The phones planned as new (created or subscribed), as keys: what known-numbers.ts looks for. */
  newKeys: SortedKeys;
  /** Audience records met before the member index, and how many of them were read again from the input's copy. */
  early: { records: number; reread: number };
  /** Audience records settled as unchanged members from their digest alone, never parsed in full (the fast path). */
  settledFromDigest: number;
  /** The standing consent event of each phone that carried one. */
  consent: ConsentLedger;
}

export class AudienceSink implements StreamSink<Digest> {
  readonly fixedSchema = true;
  private readonly differ: RecordDiff;
  private readonly digests = new EarlyDigests();
  /** The index once the early records are settled against it. */
  private index: MemberIndex | undefined;
  /** The index as soon as the members phase delivers it. */
  private delivered: MemberIndex | undefined;
  /** Records met before the index, and how many were read again: known once they are settled. */
  private early: AudienceReading['early'] | undefined;

  constructor(private readonly input: AudienceSinkInput) {
    this.differ = new RecordDiff(input);
    void input.members.then((i) => (this.delivered = i), () => {});
  }

  async record(msg: Numbered<RecordMessage>): Promise<void> {
    const index = await this.counted();
    if (index) await this.differ.diff(msg, index);
    else this.digests.add(msg.line, this.differ.digest(msg.record));
  }

  async digest(line: number, d: Digest, text: () => string): Promise<void> {
    const index = await this.counted();
    if (!index) this.digests.add(line, d);
    else if (!this.differ.settleUnchanged(d, index)) await this.differ.diff(digestedLine(text(), line), index);
  }

  /** A BATCH's records are diffed once the index is known: the input's copy, read again for early records, lacks them. */
  async beforeBatch(): Promise<void> {
    this.index ??= await this.settle(await this.input.members);
  }

  /** The input has ended: settle what is left and say what was found. */
  async finish(): Promise<AudienceReading> {
    const index = (this.index ??= await this.settle(await this.input.members));
    const { differ } = this;
    // settle() has run by now: finish() or an earlier record asked for the index.
    const early = this.early as AudienceReading['early'];
    const { consent } = differ;
    // A new number planned from one row and revoked by a later event of another is not added after all.
    const newKeys = differ.newKeys.filter((key) => !consent.revoked(key));
    this.input.counts.planned.new -= differ.newKeys.length - newKeys.length;
    return { index, newKeys: SortedKeys.from(newKeys), early, settledFromDigest: differ.settledFromDigest, consent };
  }

  /** Count an audience record; the index, settling the early records as soon as it is there. */
  private async counted(): Promise<MemberIndex | undefined> {
    this.input.counts.records++;
    const { input } = this;
    if (!this.index && (!input.fastPath || this.delivered || input.spill.bytes > MAX_SPILL_BYTES)) this.index = await this.settle(this.delivered ?? (await input.members));
    return this.index;
  }

  private async settle(index: MemberIndex): Promise<MemberIndex> {
    await this.input.spill.stop();
    const records = this.digests.count;
    this.early = { records, reread: await this.digests.settle(index, this.differ, this.input.spill) };
    return index;
  }
}
