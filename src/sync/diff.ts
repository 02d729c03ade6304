/**
 * Phase 3a, the audience: read the Singer input to its end, diff each record against the member index and spool
 * the writes it needs. Nothing is written to Listrak here (see spool.ts for why).
 *
 * The input is read while the members phase still runs (members.ts, on the other core). Until the index is
 * there, an audience record is reduced to a digest: its phone key and the fingerprints of its values. When the
 * index arrives, the digests are settled in input order: a member whose fingerprints match is unchanged and needs
 * nothing more (the common case); any other record (new, changed, duplicate, or with a value to reject) is read
 * again from the input's copy on disk (input-spill.ts) and diffed like a record that came after the index.
 */
import { InputError } from '../errors.js';
import { parseSingerLine } from '../singer/reader.js';
import { batchRecords } from '../singer/batch.js';
import type { DigestedBlock } from '../fast/block-digester.js';
import type { Numbered, RecordMessage, SingerMessage } from '../singer/messages.js';
import { normalizePhone, phoneCandidates, untextable, type PhoneContext } from '../contact/phone.js';
import type { RejectReason } from '../contact/coerce.js';
import { LineKind, digestRecord, type Digest } from '../contact/digest.js';
import { fingerprint } from '../contact/fingerprint.js';
import { isDeletedInSource, mapRecord, recordValue, type FieldPlan } from '../contact/fields.js';
import type { InputSpill } from './input-spill.js';
import type { MemberIndex } from '../tables/member-index.js';
import { SortedKeys } from '../tables/keys.js';
import type { RejectSink } from '../report/rejects.js';
import type { SyncCounts } from '../report/counts.js';
import type { WriteSpool } from './spool.js';
import { grown } from '../tables/typed.js';

/** Past this much input copied to disk, reading waits for the member index instead of copying more. */
const MAX_SPILL_BYTES = 2 ** 30;

export interface DiffInput {
  /** The input's messages parsed on this thread: all of them, or the first ones when `blocks` holds the rest. */
  messages: AsyncIterable<Numbered<SingerMessage>> | Iterable<Numbered<SingerMessage>>;
  /** The rest of the input, parsed and digested on a worker thread (block-digester.ts). */
  blocks?: AsyncIterable<DigestedBlock>;
  audienceStream: string;
  transactionalStream: string;
  plan: FieldPlan;
  /** The member index, still being read when the audience starts. */
  members: Promise<MemberIndex>;
  /** The input's copy, for records met before the index was known. */
  spill: InputSpill;
  optOuts: SortedKeys;
  phone: PhoneContext;
  spool: WriteSpool;
  rejects: RejectSink;
  counts: SyncCounts;
  /** The reference path only: every record waits for the member index and is diffed in full (no digests). */
  referenceOnly?: boolean;
}

export interface PlanOutput {
  /** The tap's latest STATE value, passed on only once everything is applied. */
  tapState: unknown;
  /**
   * Whether the input shows its audience complete: no STATE message at all (a file read to its clean end), or a
   * STATE after the audience's last record (taps write one when a stream or sync ends). A tap that died between
   * two lines leaves no such STATE, and its partial audience must remove nobody.
   */
  audienceComplete: boolean;
  /** Masked-later samples of planned writes, for the dry-run plan. */
  samples: { new: string[]; update: string[] };
  index: MemberIndex;
  /** The phones planned as new (created or subscribed), as keys: what sender-knowledge.ts looks for. */
  newKeys: SortedKeys;
  /** Audience records met before the member index, and how many of them were read again from the input's copy. */
  early: { records: number; reread: number };
  /** Audience records settled as unchanged members from their digest alone, never parsed in full (the fast path). */
  settledFromDigest: number;
}

export async function planAudience(input: DiffInput): Promise<PlanOutput> {
  const { counts } = input;
  const differ = new AudienceDiff(input);
  const digests = new Digests();
  const schemas = new Map<string, string>();
  let tapState: unknown = undefined;
  // The audience is complete unless a STATE came and an audience record came after the latest one.
  let sawState = false;
  let recordAfterState = false;
  // The index once settled, and the index as soon as the members phase delivers it.
  let index: MemberIndex | undefined;
  const delivered: { index?: MemberIndex } = {};
  void input.members.then((i) => (delivered.index = i), () => {});

  // Stryker disable next-line ObjectLiteral: equivalent, settle() sets both fields before they are read
  const early = { records: 0, reread: 0 };
  const settle = async (ix: MemberIndex): Promise<MemberIndex> => {
    await input.spill.stop();
    early.records = digests.count;
    early.reread = await digests.settle(ix, differ, input.spill);
    return ix;
  };

  /** Count an audience record; settle the early ones as soon as the index is there. */
  const audienceRecord = async () => {
    counts.records++;
    recordAfterState = sawState;
    if (!index && (input.referenceOnly || delivered.index || input.spill.bytes > MAX_SPILL_BYTES)) index = await settle(delivered.index ?? (await input.members));
  };

  const handle = async (msg: Numbered<SingerMessage>) => {
    switch (msg.type) {
      case 'SCHEMA': {
        const props = JSON.stringify(Object.keys((msg.schema.properties as object | undefined) ?? {}).sort());
        const before = schemas.get(msg.stream);
        if (msg.stream === input.audienceStream && before !== undefined && before !== props) {
          throw new InputError(msg.line, `SCHEMA for stream "${msg.stream}" changed its properties mid-stream`);
        }
        schemas.set(msg.stream, props);
        return;
      }
      case 'STATE':
        tapState = msg.value;
        sawState = true;
        recordAfterState = false;
        return;
      case 'ACTIVATE_VERSION':
        return;
      case 'BATCH': {
        if (!schemas.has(msg.stream)) throw new InputError(msg.line, `BATCH for stream "${msg.stream}" before its SCHEMA`);
        if (msg.stream !== input.audienceStream && msg.stream !== input.transactionalStream) {
          throw new InputError(msg.line, `BATCH for stream "${msg.stream}", but the audience stream is "${input.audienceStream}" (set audience_stream, or send one stream)`);
        }
        // Its records are handled exactly as inline ones, once the index is known: the input's copy, which early
        // records are read again from, does not hold them.
        index ??= await settle(await input.members);
        for await (const record of batchRecords(msg)) await handle(record);
        return;
      }
      // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, a RECORD leaves the switch either way
      case 'RECORD':
        break;
    }
    if (!schemas.has(msg.stream)) throw new InputError(msg.line, `RECORD for stream "${msg.stream}" before its SCHEMA`);
    if (msg.stream === input.transactionalStream) {
      await input.spool.add({ kind: 'transactional', line: msg.line, file: msg.file, record: msg.record });
      return;
    }
    if (msg.stream !== input.audienceStream) {
      throw new InputError(msg.line, `RECORD for stream "${msg.stream}", but the audience stream is "${input.audienceStream}" (set audience_stream, or send one stream)`);
    }
    await audienceRecord();
    if (index) await differ.diff(msg, index);
    else digests.add(msg.line, differ.digest(msg.record));
  };

  for await (const msg of input.messages) await handle(msg);

  // The rest of the input, digested on a worker: the main thread only settles digests, and parses a line itself
  // only when it needs more than the digest.
  // Stryker disable next-line ArrayDeclaration: equivalent, the run always passes blocks
  for await (const block of input.blocks ?? []) {
    const { kinds } = block;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i];
      const line = block.firstLine + i;
      if (kind === LineKind.Digest && schemas.has(input.audienceStream)) {
        await audienceRecord();
        const d: Digest = { key: block.keys[i] as number, systemFp: block.systemFp[i] as number, customFp: block.customFp[i] as number };
        if (!index) digests.add(line, d);
        else if (!differ.settleUnchanged(d, index)) await differ.diff(parseRecord(block.lines()[i] as string, line), index);
        continue;
      }
      const msg = parseSingerLine(block.lines()[i] as string, line);
      if (msg) await handle(msg);
    }
  }
  index ??= await settle(await input.members);
  const audienceComplete = !recordAfterState;
  return { tapState, audienceComplete, samples: differ.samples, index, newKeys: SortedKeys.from(differ.newKeys), early, settledFromDigest: differ.settledFromDigest };
}

function parseRecord(text: string, line: number): Numbered<RecordMessage> {
  // Stryker disable next-line StringLiteral: equivalent, names the source in an error the worker's digests never cause
  return digestedRecord(parseSingerLine(text, line), line, 'input');
}

/** A line read again because its digest said it was an audience record: it must be one. */
export function digestedRecord(msg: Numbered<SingerMessage> | undefined, line: number, source: string): Numbered<RecordMessage> {
  if (msg?.type !== 'RECORD') throw new Error(`${source} line ${line}: digested as a record, but it is not one`);
  return msg;
}

/** The per-record diff: phone, duplicates, values, and the write it needs. */
class AudienceDiff {
  private readonly newPhones = new Set<number>();
  /** Keys of the phones spooled as new, in input order. */
  readonly newKeys: number[] = [];
  readonly samples = { new: [] as string[], update: [] as string[] };
  settledFromDigest = 0;

  constructor(private readonly input: DiffInput) {}

  digest(record: Record<string, unknown>): Digest | undefined {
    return digestRecord(record, this.input);
  }

  /**
   * An unchanged member, settled from its digest alone; false when the record must be diffed in full.
   * `at`: the digest's key's position in the index, when already looked up.
   */
  settleUnchanged(d: Digest, index: MemberIndex, at = index.find(d.key)): boolean {
    // Only a member not yet seen, whose fingerprints match. Not a member (`at` -1) falls out at the first test: a
    // typed array reads undefined there, which is not 0.
    if (index.seen[at] !== 0 || index.systemFp[at] !== d.systemFp || index.customFp[at] !== d.customFp) return false;
    // A member still to be marked managed needs a write: the full diff plans it.
    if (this.input.plan.managedFieldId !== undefined && index.managed[at] === 0) return false;
    index.seen[at] = 1;
    this.input.counts.add('unchanged');
    this.settledFromDigest++;
    return true;
  }

  async diff(msg: Numbered<RecordMessage>, index: MemberIndex): Promise<void> {
    const { plan, phone, counts } = this.input;
    const record = msg.record;
    if (isDeletedInSource(record)) {
      counts.removal.deleted_in_source++;
      return;
    }
    const raw = recordValue(record, plan.phoneProperty);
    // Identity before validation: a phone that names a member is that member, however it is written.
    const at = findMember(index, phoneCandidates(raw, phone));
    if (at >= 0) return this.diffMember(msg, index, at);

    // A number to add is validated in full; one that is valid may still name a member by its canonical form.
    const r = normalizePhone(raw, phone.region);
    if (!r.ok) return this.reject(msg, r.reason, plan.phoneProperty, r.detail);
    const key = Number(r.phone);
    const member = index.find(key);
    if (member >= 0) return this.diffMember(msg, index, member);
    if (this.newPhones.has(key)) return this.reject(msg, 'duplicate', plan.phoneProperty, 'the phone appears earlier in the audience');
    this.newPhones.add(key);
    const unfit = untextable(r.phone, phone);
    if (unfit) return this.reject(msg, unfit.reason, plan.phoneProperty, unfit.detail);
    const mapped = mapRecord(plan, record);
    if (!mapped.ok) return this.reject(msg, mapped.reason, mapped.field, mapped.detail);
    if (this.input.optOuts.has(key)) {
      // Consent comes first: a number that opted out of the sender code is never created or subscribed.
      counts.add('opted_out');
      return;
    }
    counts.planned.new++;
    this.newKeys.push(key);
    if (this.samples.new.length < 3) this.samples.new.push(r.phone);
    await this.input.spool.add({ kind: 'new', phone: r.phone, line: msg.line, file: msg.file, values: mapped.values });
  }

  /** A record that identifies the member at `at`: the member is in the audience from here on, whatever follows. */
  private async diffMember(msg: Numbered<RecordMessage>, index: MemberIndex, at: number): Promise<void> {
    const { plan, counts } = this.input;
    if (index.seen[at] === 1) return this.reject(msg, 'duplicate', plan.phoneProperty, 'the phone appears earlier in the audience');
    index.seen[at] = 1;
    // In the managed scope, an audience member is this tool's to manage from now on, whatever else its record says.
    if (plan.managedFieldId !== undefined && index.managed[at] === 0) await this.input.spool.add({ kind: 'mark', phone: index.phoneAt(at), line: msg.line });
    const mapped = mapRecord(plan, msg.record);
    if (!mapped.ok) {
      // A present member is never removed: only its update is rejected.
      counts.removal.kept_rejected_record++;
      return this.reject(msg, mapped.reason, mapped.field, `${mapped.detail} (the member stays on the list, unchanged)`);
    }
    const values = mapped.values;
    const system = fingerprint(values.system) !== index.systemFp[at];
    const custom = fingerprint(values.custom) !== index.customFp[at];
    if (!system && !custom) {
      counts.add('unchanged');
      return;
    }
    if (system) counts.planned.changedSystem++;
    else counts.planned.changedCustomOnly++;
    const memberPhone = index.phoneAt(at);
    if (this.samples.update.length < 3) this.samples.update.push(memberPhone);
    await this.input.spool.add({ kind: 'update', phone: memberPhone, line: msg.line, file: msg.file, values, system, custom });
  }

  private reject(msg: Numbered<RecordMessage>, reason: RejectReason, field: string, detail: string): void {
    this.input.rejects.add({ line: msg.line, file: msg.file, reason, field, detail, record: msg.record });
  }
}

/** The member the first candidate key that is one names, or -1. */
function findMember(index: MemberIndex, keys: readonly number[]): number {
  for (const key of keys) {
    const at = index.find(key);
    if (at >= 0) return at;
  }
  return -1;
}

/** Digests of the records met before the index, in input order: 28 bytes each. */
class Digests {
  private lines = new Uint32Array(1024);
  private keys = new Float64Array(1024);
  private sys = new Float64Array(1024);
  private cus = new Float64Array(1024);
  private n = 0;

  add(line: number, d: Digest | undefined) {
    if (this.n === this.lines.length) this.grow();
    this.lines[this.n] = line;
    // A record without a digest keeps key 0, which no phone has: it is read again whatever the index says.
    if (d) {
      this.keys[this.n] = d.key;
      this.sys[this.n] = d.systemFp;
      this.cus[this.n] = d.customFp;
    }
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  /**
   * Settle every digest in input order; records that need more are read again from the input's copy.
   * Returns how many were read again.
   */
  async settle(index: MemberIndex, differ: AudienceDiff, spill: InputSpill): Promise<number> {
    let reader: ReturnType<InputSpill['reader']> | undefined;
    let reread = 0;
    try {
      const positions = index.findAll(this.keys.subarray(0, this.n));
      for (let i = 0; i < this.n; i++) {
        const d = { key: this.keys[i] as number, systemFp: this.sys[i] as number, customFp: this.cus[i] as number };
        if (differ.settleUnchanged(d, index, positions[i])) continue;
        reader ??= spill.reader();
        reread++;
        const line = this.lines[i] as number;
        // Stryker disable next-line StringLiteral: equivalent, names the source in an error the worker's digests never cause
        await differ.diff(digestedRecord(await reader.at(line), line, 'input copy'), index);
      }
      return reread;
    } finally {
      reader?.close();
      this.n = 0;
      this.lines = new Uint32Array(0);
      this.keys = this.sys = this.cus = new Float64Array(0);
    }
  }

  private grow() {
    const size = this.lines.length * 2;
    this.lines = grown(this.lines, size);
    this.keys = grown(this.keys, size);
    this.sys = grown(this.sys, size);
    this.cus = grown(this.cus, size);
  }
}
