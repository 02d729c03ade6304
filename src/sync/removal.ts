/**
 * Who may be unsubscribed: the careful part of the sync, decided here, before any write. An unsubscribe cannot be
 * taken back (the person stops getting texts they opted in to), so every rule errs toward keeping a member:
 *  - identity before validation, and a present member is never removed (diff.ts: a record that names a member
 *    marks it seen, even when the record itself is rejected);
 *  - only an audience the input proves whole removes (`completeness`): a STATE or an ACTIVATE_VERSION after the
 *    stream's last record, in a stream that is not incremental, and no partial last line. Else nobody is
 *    unsubscribed: a tap cut short would otherwise unsubscribe everyone after the cut, and a delta everyone
 *    who did not change;
 *  - the scope: with removal_scope "managed", only members carrying the managed field may go; the others (who
 *    subscribed by keyword, web form or checkout) are counted and left alone;
 *  - the guard: a sync that would remove more than `max_unsubscribe_ratio` of the members in scope is refused whole.
 */
import type { TargetConfig } from '../config/target.js';
import type { SyncCounts } from '../report/counts.js';
import { fmt } from '../report/counts.js';
import type { StreamEvidence } from '../singer/evidence.js';
import type { MemberIndex } from '../tables/member-index.js';

/** Whether removals are allowed, and the evidence that says so or what was missing (with how to give it). */
export type Completeness = { complete: true; because: string } | { complete: false; missing: string; fix: string };

export interface AudienceEvidence {
  stream: string;
  facts: StreamEvidence;
  /** The input's partial last line, set aside (a tap killed mid-write). */
  cutLine?: number;
}

/** What removal evidence a run asks for: `removal_evidence`, or the deprecated `require_final_state: false`. */
export function evidenceMode(config: Pick<TargetConfig, 'removal_evidence' | 'require_final_state'>): 'final_message' | 'end_of_input' {
  return config.removal_evidence ?? (config.require_final_state === false ? 'end_of_input' : 'final_message');
}

/** The rule of removal evidence, for every input. */
export function completeness(e: AudienceEvidence, mode: 'final_message' | 'end_of_input'): Completeness {
  const { facts, stream } = e;
  if (e.cutLine !== undefined) {
    return {
      complete: false,
      missing: `the input ends in a partial line (line ${e.cutLine}), as a tap killed mid-write leaves it`,
      fix: 'rerun once the tap runs to its end',
    };
  }
  if (facts.incremental) {
    return {
      complete: false,
      missing: `stream "${stream}" is incremental (${facts.incremental}): its records are the rows changed since the tap's bookmark, not the whole audience`,
      fix: `have the tap sync it FULL_TABLE (in Meltano: metadata: {${stream}: {replication-method: FULL_TABLE}}); a mirror needs the whole audience every run`,
    };
  }
  if (mode === 'end_of_input') return { complete: true, because: 'removal_evidence is "end_of_input": the input was read to its clean end' };
  const { closedBy } = facts;
  if (closedBy) return { complete: true, because: `${closedBy.type === 'STATE' ? 'a' : 'an'} ${closedBy.type} (line ${closedBy.line}) follows the last record of stream "${stream}"` };
  const last = facts.lastRecordLine === undefined ? '' : ` (line ${facts.lastRecordLine})`;
  return {
    complete: false,
    missing: `no STATE or ACTIVATE_VERSION follows the last record of stream "${stream}"${last}, so the input may have been cut short`,
    fix: 'end the input with a STATE line, as a tap does when its stream is whole, or set removal_evidence "end_of_input" for an input that never carries state',
  };
}

export interface RemovalPlan {
  /** How many members will be unsubscribed. */
  count: number;
  /** The members to unsubscribe (canonical phones). */
  phones: () => Iterable<string>;
  /** Why nobody is unsubscribed though members are missing from the audience (the run then exits 5). */
  withheld?: string;
  /** Why the guard refuses the whole sync (exit 4), checked before any write. */
  refused?: string;
}

export function planRemovals(
  index: MemberIndex,
  evidence: Completeness,
  config: Pick<TargetConfig, 'max_unsubscribe_ratio' | 'removal_scope'>,
  counts: SyncCounts,
): RemovalPlan {
  const managedScope = config.removal_scope === 'managed';
  const unseenAll = index.unseenCount();
  const unseen = managedScope ? index.unseenManagedCount() : unseenAll;
  const inScope = managedScope ? index.managedCount() : counts.members;
  counts.removal.kept_unmanaged = unseenAll - unseen; // 0 outside the managed scope
  if (unseen > 0 && !evidence.complete) {
    return { count: 0, phones: () => [], withheld: `${fmt(unseen)} member(s) missing from the audience were not unsubscribed: ${evidence.missing}; ${evidence.fix}` };
  }
  const ratio = inScope > 0 ? unseen / inScope : 0;
  const refused =
    ratio > config.max_unsubscribe_ratio
      ? `refusing to unsubscribe ${fmt(unseen)} of ${fmt(inScope)}${managedScope ? ' managed' : ''} members (${(ratio * 100).toFixed(1)}%), ` +
        `more than max_unsubscribe_ratio ${config.max_unsubscribe_ratio}; if the audience really shrank, raise max_unsubscribe_ratio for this run`
      : undefined;
  return { count: unseen, phones: () => (managedScope ? index.unseenManaged() : index.unseen()), refused };
}
