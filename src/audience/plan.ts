/**
 * Phase 3a, the audience: read the Singer input to its end, diff each record against the member index and spool
 * the writes it needs. Nothing is written to Listrak here (see spool.ts for why).
 */
import { InputError } from '../errors.js';
import type { Numbered, SingerMessage } from '../singer/messages.js';
import { isCanonicalShape, normalizePhone } from '../phone.js';
import { fingerprint } from './fingerprint.js';
import { mapRecord, type FieldPlan } from './fields.js';
import type { MemberIndex } from './members.js';
import type { SortedKeys } from './keys.js';
import type { RejectSink } from './rejects.js';
import type { SyncCounts } from './report.js';
import type { WriteSpool } from './spool.js';

export interface PlanInput {
  messages: AsyncIterable<Numbered<SingerMessage>>;
  audienceStream: string;
  transactionalStream: string;
  plan: FieldPlan;
  index: MemberIndex;
  optOuts: SortedKeys;
  region: string;
  callingCode: string;
  spool: WriteSpool;
  rejects: RejectSink;
  counts: SyncCounts;
  /** Called every so many records, for progress. */
  onProgress?: (records: number) => void;
}

export interface PlanOutput {
  /** The tap's latest STATE value, passed on only once everything is applied. */
  tapState: unknown;
  /** Masked-later samples of planned writes, for the dry-run plan. */
  samples: { new: string[]; update: string[] };
}

export async function planAudience(input: PlanInput): Promise<PlanOutput> {
  const { plan, index, optOuts, region, callingCode, spool, rejects, counts } = input;
  const schemas = new Map<string, string>();
  const newPhones = new Set<number>();
  const samples = { new: [] as string[], update: [] as string[] };
  let tapState: unknown = undefined;

  for await (const msg of input.messages) {
    switch (msg.type) {
      case 'SCHEMA': {
        const props = JSON.stringify(Object.keys((msg.schema.properties as object | undefined) ?? {}).sort());
        const before = schemas.get(msg.stream);
        if (msg.stream === input.audienceStream && before !== undefined && before !== props) {
          throw new InputError(msg.line, `SCHEMA for stream "${msg.stream}" changed its properties mid-stream`);
        }
        schemas.set(msg.stream, props);
        continue;
      }
      case 'STATE':
        tapState = msg.value;
        continue;
      case 'ACTIVATE_VERSION':
      case 'BATCH':
        continue;
      case 'RECORD':
        break;
    }
    if (!schemas.has(msg.stream)) throw new InputError(msg.line, `RECORD for stream "${msg.stream}" before its SCHEMA`);
    if (msg.stream === input.transactionalStream) {
      await spool.add({ kind: 'transactional', line: msg.line, record: msg.record });
      continue;
    }
    if (msg.stream !== input.audienceStream) {
      throw new InputError(msg.line, `RECORD for stream "${msg.stream}", but the audience stream is "${input.audienceStream}" (set audience_stream, or send one stream)`);
    }
    counts.records++;
    if (counts.records % 100_000 === 0) input.onProgress?.(counts.records);
    const record = msg.record;

    // Phone: members Listrak already holds skip libphonenumber (the costly part) when written canonically.
    const raw = record[plan.phoneProperty];
    let phone: string | undefined;
    let at = -1;
    if (typeof raw === 'string') {
      const plus = raw.charCodeAt(0) === 43;
      const digits = plus ? raw.slice(1) : raw;
      // Without a `+`, only a number that starts with the region's own calling code and is long enough to carry
      // it can be read as already international; anything else is parsed properly below.
      if (isCanonicalShape(digits) && (plus || (digits.startsWith(callingCode) && digits.length >= 10 + callingCode.length))) {
        at = index.find(Number(digits));
        if (at >= 0) phone = digits;
      }
    }
    if (phone === undefined) {
      const r = normalizePhone(raw, region);
      if (!r.ok) {
        rejects.add({ line: msg.line, reason: r.reason, field: plan.phoneProperty, detail: r.detail, record });
        continue;
      }
      phone = r.phone;
      at = index.find(Number(phone));
    }
    const key = Number(phone);
    if (at >= 0 ? index.seen[at] === 1 : newPhones.has(key)) {
      rejects.add({ line: msg.line, reason: 'duplicate', field: plan.phoneProperty, detail: 'the phone appears earlier in the audience', record });
      continue;
    }

    const mapped = mapRecord(plan, record);
    if (!mapped.ok) {
      // A member with a bad value is still in the audience: keep it (unchanged), reject only the update.
      if (at >= 0) index.seen[at] = 1;
      else newPhones.add(key);
      rejects.add({ line: msg.line, reason: mapped.reason, field: mapped.field, detail: mapped.detail, record });
      continue;
    }
    const values = mapped.values;

    if (at >= 0) {
      index.seen[at] = 1;
      const system = fingerprint(values.system) !== index.systemFp[at];
      const custom = fingerprint(values.custom) !== index.customFp[at];
      if (!system && !custom) {
        counts.add('unchanged');
        continue;
      }
      if (system) counts.planned.changedSystem++;
      else counts.planned.changedCustomOnly++;
      const memberPhone = index.phoneAt(at);
      if (samples.update.length < 3) samples.update.push(memberPhone);
      await spool.add({ kind: 'update', phone: memberPhone, line: msg.line, values, system, custom });
      continue;
    }

    newPhones.add(key);
    if (optOuts.has(key)) {
      // Consent comes first: a number that opted out of the sender code is never created or subscribed.
      counts.add('opted_out');
      continue;
    }
    counts.planned.new++;
    if (samples.new.length < 3) samples.new.push(phone);
    await spool.add({ kind: 'new', phone, line: msg.line, values });
  }
  return { tapState, samples };
}
