/**
 * One description of a change to a list: what is done to whom, with which values, and why. The dry run's samples,
 * the plan file (--plan) and the audit trail are all made of it, so the three cannot disagree about a person.
 *
 * The reasons: `new_in_audience` (a number to add), `fields_changed` (a member whose managed fields differ; `fields`
 * names the fields written, those of the group whose fingerprint differs, since the member index keeps one
 * fingerprint per group, not the values), `absent_from_complete_audience` (a member missing from an audience the
 * input proved whole), `consent_revoked` (a consent column said so), `managed_mark` (removal_scope "managed": the
 * contact is marked as this tool's), and `plan` (an apply found a planned create already on the list with other
 * values, and writes the values the plan promised).
 */
import type { ContactValues, FieldPlan } from '../contact/fields.js';
import { maskPhone } from '../redact.js';
import type { SyncPlan } from './plan.js';
import type { RevocationPlan } from './revocations.js';
import type { PlannedWrite } from './spool.js';

export type ChangeAction = 'create' | 'subscribe' | 'update' | 'import' | 'unsubscribe' | 'opt_out' | 'mark';
export type ChangeReason = 'new_in_audience' | 'fields_changed' | 'absent_from_complete_audience' | 'consent_revoked' | 'managed_mark' | 'plan';

/** Values by Listrak field: system fields by their API name, profile fields by their name. `null` clears one. */
export interface NamedValues {
  system: Record<string, string | null>;
  custom: Record<string, string | null>;
}

export interface Change {
  action: ChangeAction;
  /** The full phone, as Listrak stores it (canonical for a number to add). */
  phone: string;
  list: number;
  reason: ChangeReason;
  /** With `fields_changed`: the fields written. */
  fields?: string[];
  /** For creates and updates: the values written. */
  values?: NamedValues;
  /** The input line of the record behind it (a BATCH file's line with `file`), for a reject Listrak causes later. */
  line?: number;
  file?: string;
}

/** A planned write that changes a contact (not a text). */
export type ContactWrite = Extract<PlannedWrite, { kind: 'new' | 'update' | 'mark' }>;

/**
 * The change a planned write makes. A new number is a `create` here: whether the sender code already knows it (then
 * it is subscribed) is learnt only when it is written. A member whose system fields differ is an `update` (one PUT);
 * one whose only changes are profile fields is an `import` row.
 */
export function changeOfWrite(w: ContactWrite, fields: FieldPlan, list: number): Change {
  const where = { line: w.line, ...('file' in w && w.file !== undefined ? { file: w.file } : {}) };
  if (w.kind === 'mark') return { action: 'mark', phone: w.phone, list, reason: 'managed_mark', ...where };
  const values = namedValues(fields, w.values);
  if (w.kind === 'new') return { action: 'create', phone: w.phone, list, reason: w.reason ?? 'new_in_audience', values, ...where };
  return { action: w.system ? 'update' : 'import', phone: w.phone, list, reason: w.reason ?? 'fields_changed', fields: changedFields(fields, w), values, ...where };
}

/** A member missing from an audience the input proved whole. */
export function removalChange(phone: string, list: number): Change {
  return { action: 'unsubscribe', phone, list, reason: 'absent_from_complete_audience' };
}

/** A number whose consent the audience revokes: opted out of the sender code, or unsubscribed from the list (on_revoked). */
export function revocationChange(how: RevocationPlan['action'], phone: string, list: number): Change {
  return { action: how, phone, list, reason: 'consent_revoked' };
}

/** The fields an update writes: the system fields when they differ (a PUT carries them all), the profile fields when those do. */
export function changedFields(fields: FieldPlan, groups: { system: boolean; custom: boolean }): string[] {
  return [...(groups.system ? fields.system.map((f) => f.field) : []), ...(groups.custom ? fields.custom.map((f) => f.field.segmentationFieldName) : [])];
}

export function namedValues(fields: FieldPlan, values: ContactValues): NamedValues {
  return {
    system: Object.fromEntries(fields.system.map((f, i) => [f.field, values.system[i] ?? null])),
    custom: Object.fromEntries(fields.custom.map((f, i) => [f.field.segmentationFieldName, values.custom[i] ?? null])),
  };
}

/** Named values back in the field plan's order; a field the values do not name is empty. */
export function positionalValues(fields: FieldPlan, values: NamedValues | undefined): ContactValues {
  return {
    system: fields.system.map((f) => values?.system[f.field] ?? null),
    custom: fields.custom.map((f) => values?.custom[f.field.segmentationFieldName] ?? null),
  };
}

/** A change as people read it on stderr: the phone masked. */
export function describeChange(c: Pick<Change, 'action' | 'phone' | 'reason' | 'fields'>): string {
  return `${c.action} ${maskPhone(c.phone)} (${c.reason}${c.fields?.length ? `: ${c.fields.join(', ')}` : ''})`;
}

/**
 * Every change a plan makes, in the order the writes go out: updates, new contacts (never one whose consent is
 * revoked), managed marks, revocations, then the unsubscribes. A guard's refusal leaves its part out (the plan file
 * then says why in its header, and holds the rest) unless `refused` asks for it: the dry run shows what the guard
 * stops.
 */
export async function* planChanges(plan: SyncPlan, batchSize: number, opts: { refused?: boolean } = {}): AsyncGenerator<Change> {
  const list = plan.list.phoneListId;
  for (const kind of ['update', 'new', 'mark'] as const) {
    for await (const batch of plan.spool.batches(kind, batchSize)) {
      for (const w of batch) if (kind !== 'new' || !plan.revocations.revoked(Number(w.phone))) yield changeOfWrite(w, plan.fields, list);
    }
  }
  const { revocations, removals } = plan;
  if (!revocations.refused || opts.refused) for (const phone of [...revocations.members, ...revocations.others]) yield revocationChange(revocations.action, phone, list);
  if (!removals.refused || opts.refused) for (const phone of removals.phones()) yield removalChange(phone, list);
}

/** The first `n` changes of each action a plan makes, or would make but for a guard: the dry run's samples. */
export async function sampleChanges(plan: SyncPlan, n: number): Promise<Change[]> {
  const taken = new Map<ChangeAction, number>();
  const out: Change[] = [];
  for await (const c of planChanges(plan, n, { refused: true })) {
    const count = taken.get(c.action) ?? 0;
    if (count >= n) continue;
    taken.set(c.action, count + 1);
    out.push(c);
  }
  return out;
}
