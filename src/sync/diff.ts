/**
 * The diff rule: what one audience record needs, against the member index. A record that names a member (identity
 * before validation) marks the member seen, and is unchanged, an update, or a rejected update that keeps the
 * member; any other record is a new number to add once it is valid and textable, or a reject. The writes it needs
 * are spooled (spool.ts); nothing is written to Listrak here.
 */
import { normalizePhone, phoneCandidates, untextable, type PhoneContext } from '../contact/phone.js';
import type { RejectReason } from '../contact/coerce.js';
import { digestRecord, type Digest } from '../contact/digest.js';
import { fingerprint } from '../contact/fingerprint.js';
import { isDeletedInSource, mapRecord, recordValue, type FieldPlan } from '../contact/fields.js';
import { ConsentLedger, recordConsent, type RecordConsent } from '../contact/consent.js';
import type { Numbered, RecordMessage, SingerMessage } from '../singer/messages.js';
import { parseSingerLine } from '../singer/reader.js';
import type { MemberIndex } from '../tables/member-index.js';
import type { SortedKeys } from '../tables/keys.js';
import type { Rejects } from '../report/rejects.js';
import type { SyncCounts } from '../report/counts.js';
import type { WriteSpool } from './spool.js';

/** What the diff rule reads besides the record and the index. */
export interface DiffContext {
  plan: FieldPlan;
  optOuts: SortedKeys;
  phone: PhoneContext;
  spool: WriteSpool;
  rejects: Rejects;
  counts: SyncCounts;
  /** require_consent: a new number is added only when its consent is granted. */
  requireConsent?: boolean;
}

/** A line the fast path digested, parsed in full because its digest did not settle it. */
export function digestedLine(text: string, line: number): Numbered<RecordMessage> {
  // Stryker disable next-line StringLiteral: equivalent, names the source in an error the worker's digests never cause
  return digestedRecord(parseSingerLine(text, line), line, 'input');
}

/** A line read again because its digest said it was an audience record: it must be one. */
export function digestedRecord(msg: Numbered<SingerMessage> | undefined, line: number, source: string): Numbered<RecordMessage> {
  if (msg?.type !== 'RECORD') throw new Error(`${source} line ${line}: digested as a record, but it is not one`);
  return msg;
}

/** The per-record diff: phone, duplicates, values, and the write it needs. */
export class RecordDiff {
  private readonly newPhones = new Set<number>();
  /** Keys of the phones spooled as new, in input order. */
  readonly newKeys: number[] = [];
  settledFromDigest = 0;
  /** The standing consent event of each phone that carried one: resolved once the whole input is read. */
  readonly consent = new ConsentLedger();

  constructor(private readonly input: DiffContext) {}

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
    // A digest is only taken of a record whose consent is unknown (digest.ts).
    if (this.input.plan.consent) this.input.counts.consent.unknown++;
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
    const consent = this.readConsent(msg, key);
    if (!consent.ok) return this.reject(msg, consent.reason, consent.field, consent.detail);
    if (this.newPhones.has(key)) return this.reject(msg, 'duplicate', plan.phoneProperty, DUPLICATE);
    // Revoked: never added (revocations.ts honours it at the sender code). Neither this row nor one without consent
    // takes the phone: a later row of it whose consent stands may add it.
    if (consent.state === 'revoked') return;
    if (this.input.requireConsent && consent.state !== 'granted') {
      counts.consent.refused_new++;
      return this.reject(msg, 'no_consent', plan.consent?.property ?? 'consent', 'require_consent is set and this new number carries no granted consent');
    }
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
    await this.input.spool.add({ kind: 'new', phone: r.phone, line: msg.line, file: msg.file, values: mapped.values });
  }

  /** A record that identifies the member at `at`: the member is in the audience from here on, whatever follows. */
  private async diffMember(msg: Numbered<RecordMessage>, index: MemberIndex, at: number): Promise<void> {
    const { plan, counts } = this.input;
    const consent = this.readConsent(msg, index.keys[at] as number);
    if (index.seen[at] === 1) return this.reject(msg, 'duplicate', plan.phoneProperty, DUPLICATE);
    index.seen[at] = 1;
    // In the managed scope, an audience member is this tool's to manage from now on, whatever else its record says.
    if (plan.managedFieldId !== undefined && index.managed[at] === 0) await this.input.spool.add({ kind: 'mark', phone: index.phoneAt(at), line: msg.line });
    if (!consent.ok) {
      counts.removal.kept_rejected_record++;
      return this.reject(msg, consent.reason, consent.field, `${consent.detail} (the member stays on the list, unchanged)`);
    }
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
    await this.input.spool.add({ kind: 'update', phone: memberPhone, line: msg.line, file: msg.file, values, system, custom });
  }

  /**
   * The record's consent, its event noted against the phone's key (a duplicate row's event counts too: rows for one
   * phone resolve by the latest event). Unknown, when the schema declares no consent property.
   */
  private readConsent(msg: Numbered<RecordMessage>, key: number): RecordConsent {
    const props = this.input.plan.consent;
    if (!props) return UNKNOWN;
    const c = recordConsent(recordValue(msg.record, props.property), recordValue(msg.record, props.timeProperty), props);
    if (c.ok && c.event) this.consent.note(key, c.event);
    if (c.ok && c.state === 'unknown') this.input.counts.consent.unknown++;
    return c;
  }

  private reject(msg: Numbered<RecordMessage>, reason: RejectReason, field: string, detail: string): void {
    this.input.rejects.add({ line: msg.line, file: msg.file, reason, field, detail, record: msg.record });
  }
}

const UNKNOWN: RecordConsent = { ok: true, state: 'unknown' };
// A consent value on a duplicate row is weighed all the same (readConsent notes it before this reject).
const DUPLICATE = 'the phone appears earlier in the audience';

/** The member the first candidate key that is one names, or -1. */
function findMember(index: MemberIndex, keys: readonly number[]): number {
  for (const key of keys) {
    const at = index.find(key);
    if (at >= 0) return at;
  }
  return -1;
}

