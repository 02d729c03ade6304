/** Counts of what a sync did, and the end-of-run table on stderr. */
import type { RejectReason } from '../contact/coerce.js';

export type Action = 'created' | 'subscribed' | 'updated' | 'unchanged' | 'unsubscribed' | 'opted_out' | 'pending' | 'import_rows';

/** The groups of counters a tally holds: SyncCounts.sum adds each of them up (a spec checks none is left out). */
export const TALLY_GROUPS = ['actions', 'planned', 'writes', 'readsForNew', 'transactional', 'removal', 'consent'] as const;

export class SyncCounts {
  records = 0;
  readonly actions: Record<Action, number> = { created: 0, subscribed: 0, updated: 0, unchanged: 0, unsubscribed: 0, opted_out: 0, pending: 0, import_rows: 0 };
  readonly rejected = new Map<RejectReason, number>();
  /** Planned work (known after the audience is read). */
  readonly planned = { new: 0, changedSystem: 0, changedCustomOnly: 0, unsubscribe: 0 };
  /** Write calls made, by what they were for: the figure that says how frugal the sync is. */
  readonly writes = { new: 0, update: 0, unsubscribe: 0, import: 0 };
  /**
   * Reads made to add new contacts: per-contact lookups, and pages of the sender code's other lists read to spare
   * them (known-numbers.ts). With writes.new, all a new contact costs.
   */
  readonly readsForNew = { lookups: 0, list_pages: 0 };
  /** Transactional sends. */
  readonly transactional = { sent: 0, already_sent: 0, unknown: 0, pending: 0, subscribed_first: 0, multi_segment: 0 };
  /** Seconds spent in each finished phase. */
  readonly phaseSeconds: Record<string, number> = {};
  members = 0;
  /**
   * What the removal rules decided: rows the source marked deleted (not audience members), members kept because
   * their record identified them though it was rejected, members out of the managed scope left alone, contacts
   * given the managed field, and why removals were withheld altogether, if they were.
   */
  readonly removal = { deleted_in_source: 0, kept_rejected_record: 0, kept_unmanaged: 0, marked_managed: 0 };
  removalsWithheld: string | undefined = undefined;
  /**
   * Consent (contact/consent.ts): revocations honoured by a call, revocations already in force (opted out of the
   * sender code, or off the list with on_revoked "unsubscribe"), revoked numbers the sender code does not hold or
   * Listrak refused, new numbers refused without granted consent (require_consent), and records of unknown consent
   * (when the schema declares the consent property).
   */
  readonly consent = { honoured: 0, already_honoured: 0, not_on_sender_code: 0, refused_by_listrak: 0, refused_new: 0, unknown: 0 };
  imports: { id: number; status: string; rows: number }[] = [];

  /** The sum of several tallies (the lists of a run, and the run's own texts), for the report and the metrics. */
  static sum(parts: readonly SyncCounts[]): SyncCounts {
    const total = new SyncCounts();
    const addAll = <T extends Record<string, number>>(into: T, from: T) => {
      for (const k of Object.keys(from) as (keyof T)[]) (into[k] as number) += from[k] as number;
    };
    for (const p of parts) {
      total.records += p.records;
      total.members += p.members;
      for (const group of TALLY_GROUPS) addAll(total[group] as Record<string, number>, p[group] as Record<string, number>);
      for (const [reason, n] of p.rejected) total.rejected.set(reason, (total.rejected.get(reason) ?? 0) + n);
      Object.assign(total.phaseSeconds, p.phaseSeconds);
      total.imports.push(...p.imports);
    }
    const withheld = parts.map((p) => p.removalsWithheld).filter((w) => w !== undefined);
    total.removalsWithheld = withheld.length ? withheld.join('; ') : undefined;
    return total;
  }

  add(action: Action, n = 1) {
    this.actions[action] += n;
  }

  reject(reason: RejectReason) {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  rejectedTotal(): number {
    let n = 0;
    for (const v of this.rejected.values()) n += v;
    return n;
  }

  toJSON() {
    return {
      records: this.records,
      members: this.members,
      ...this.actions,
      rejected: this.rejectedTotal(),
      rejected_by_reason: Object.fromEntries(this.rejected),
      planned: this.planned,
      removal: { ...this.removal, withheld: this.removalsWithheld },
      consent: this.consent,
      write_calls: this.writes,
      reads_for_new: this.readsForNew,
      transactional: this.transactional,
      phase_seconds: this.phaseSeconds,
    };
  }
}

const CONSENT_ROWS: Record<keyof SyncCounts['consent'], string> = {
  honoured: 'consent revocations honoured',
  already_honoured: 'consent revocations already in force',
  not_on_sender_code: 'revoked, not on the sender code',
  refused_by_listrak: 'revoked, refused by Listrak',
  refused_new: 'new numbers without consent',
  unknown: 'records of unknown consent',
};

export const fmt = (n: number) => n.toLocaleString('en-US');

/** One list's counts on one line of the report. */
function listLine(c: SyncCounts, dryRun: boolean): string {
  const a = c.actions;
  const done = dryRun
    ? `${fmt(c.planned.new)} to add, ${fmt(c.planned.changedSystem + c.planned.changedCustomOnly)} to update, ${fmt(c.planned.unsubscribe)} to unsubscribe`
    : `${fmt(a.created)} created, ${fmt(a.subscribed)} subscribed, ${fmt(a.pending)} pending, ${fmt(a.updated)} updated, ${fmt(a.unsubscribed)} unsubscribed`;
  const calls = c.writes.new + c.writes.update + c.writes.unsubscribe + c.writes.import;
  const withheld = c.removalsWithheld ? ', removals withheld' : '';
  return `${fmt(c.records)} records, ${fmt(c.members)} members before: ${done}, ${fmt(a.unchanged)} unchanged, ${fmt(c.rejectedTotal())} rejected${dryRun ? '' : `; ${fmt(calls)} write calls`}${withheld}`;
}

/** Reject reasons shown by name in the report; the rest are summed in one row. */
const TOP_REASONS = 5;

export function formatReport(
  counts: SyncCounts,
  calls: Map<string, number>,
  retries: Map<string, number>,
  elapsedMs: number,
  dryRun: boolean,
  where: { rejectsFile?: string; lists?: { title: string; counts: SyncCounts }[]; rate?: string } = {},
): string {
  const rows: [string, string][] = [];
  // Several lists: a line for each, then the run's totals.
  for (const { title, counts: c } of where.lists ?? []) rows.push([title, listLine(c, dryRun)]);
  rows.push(['audience records', fmt(counts.records)]);
  rows.push(['list members before', fmt(counts.members)]);
  if (dryRun) {
    rows.push(['would create or subscribe', fmt(counts.planned.new)]);
    rows.push(['would update (system fields)', fmt(counts.planned.changedSystem)]);
    rows.push(['would update (custom fields only)', fmt(counts.planned.changedCustomOnly)]);
    rows.push(['would unsubscribe', fmt(counts.planned.unsubscribe)]);
  }
  for (const [k, v] of Object.entries(counts.actions)) if (!dryRun || k === 'unchanged' || k === 'opted_out') rows.push([k.replace('_', ' '), fmt(v)]);
  const t = counts.transactional;
  if (Object.values(t).some((n) => n > 0)) {
    rows.push(['texts sent', fmt(t.sent)]);
    rows.push(['texts already sent (journal)', fmt(t.already_sent)]);
    rows.push(['texts with unknown outcome', fmt(t.unknown)]);
    if (t.pending) rows.push(['texts waiting for opt-in', fmt(t.pending)]);
    if (t.subscribed_first) rows.push(['contacts subscribed to send', fmt(t.subscribed_first)]);
    rows.push(['texts over one segment', fmt(t.multi_segment)]);
  }
  const rm = counts.removal;
  if (rm.deleted_in_source) rows.push(['deleted in source', fmt(rm.deleted_in_source)]);
  if (rm.kept_rejected_record) rows.push(['kept (record rejected)', fmt(rm.kept_rejected_record)]);
  if (rm.kept_unmanaged) rows.push(['kept unmanaged', fmt(rm.kept_unmanaged)]);
  if (rm.marked_managed) rows.push(['marked managed', fmt(rm.marked_managed)]);
  if (counts.removalsWithheld) rows.push(['removals withheld', counts.removalsWithheld]);
  for (const [k, v] of Object.entries(counts.consent)) if (v) rows.push([CONSENT_ROWS[k as keyof SyncCounts['consent']], fmt(v)]);
  rows.push(['rejected', fmt(counts.rejectedTotal())]);
  // The commonest reasons first: what to fix first.
  const reasons = [...counts.rejected].sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
  for (const [reason, n] of reasons.slice(0, TOP_REASONS)) rows.push([`  ${reason}`, fmt(n)]);
  const others = reasons.slice(TOP_REASONS);
  if (others.length) rows.push([`  ${others.length} other reasons`, fmt(others.reduce((sum, [, n]) => sum + n, 0))]);
  if (counts.rejectedTotal() > 0 && where.rejectsFile) rows.push(['rejects file', where.rejectsFile]);
  for (const imp of counts.imports) rows.push([`import ${imp.id}`, `${imp.status}, ${fmt(imp.rows)} rows`]);
  const callRows = [...calls].sort(([a], [b]) => a.localeCompare(b));
  let total = 0;
  for (const [route, n] of callRows) {
    total += n;
    const r = retries.get(route);
    rows.push([`calls ${route}`, `${fmt(n)}${r ? ` (${fmt(r)} retries)` : ''}`]);
  }
  rows.push(['calls total', fmt(total)]);
  if (where.rate) rows.push(['request rate', where.rate]);
  const w = counts.writes;
  if (!dryRun) rows.push(['write calls', `${fmt(w.new)} for new contacts, ${fmt(w.update)} updates, ${fmt(w.unsubscribe)} unsubscribes, ${fmt(w.import)} imports`]);
  const r = counts.readsForNew;
  if (!dryRun && counts.planned.new > 0) {
    const perNew = (w.new + r.lookups + r.list_pages) / counts.planned.new;
    rows.push(['calls per new contact', `${perNew.toFixed(2)} (${fmt(w.new)} writes, ${fmt(r.lookups)} lookups, ${fmt(r.list_pages)} list pages read)`]);
  }
  rows.push(['elapsed', `${(elapsedMs / 1000).toFixed(2)} s`]);
  rows.push(['peak memory (RSS)', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}
