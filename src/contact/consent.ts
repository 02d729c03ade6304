/**
 * Consent as data: what a record's consent value says, and which of several events for one phone stands.
 *
 * A consent value is granted, revoked or unknown (null, missing or blank: the record says nothing about consent,
 * which is not a revocation). Anything else is a reject (`bad_consent`): a value nobody can read must not be
 * guessed either way. Several rows for one phone resolve by their times (`consent_time_property`): the latest
 * event wins, a row without a time loses to one with a time, and of equal times (or none) the revocation wins,
 * since texting someone who withdrew consent is the costlier mistake.
 */
import type { RejectReason } from './coerce.js';

export type ConsentState = 'granted' | 'revoked' | 'unknown';

/** The record properties consent is read from (settings consent_property and consent_time_property). */
export interface ConsentProperties {
  property: string;
  timeProperty: string;
}

const GRANTED = new Set(['true', 'granted', 'opted_in', 'yes', 'y', '1']);
const REVOKED = new Set(['false', 'revoked', 'opted_out', 'no', 'n', '0', 'stop']);
/** `opted-in`, `Opted In`: the separators warehouses use between the words of a status. */
const SEPARATORS = /[\s-]+/g;

export type ConsentRead = { ok: true; state: ConsentState } | { ok: false; reason: RejectReason; detail: string };

/** What one consent value says: granted, revoked, unknown, or a reject. */
export function readConsentValue(v: unknown): ConsentRead {
  if (v === null || v === undefined) return { ok: true, state: 'unknown' };
  if (typeof v === 'boolean') return { ok: true, state: v ? 'granted' : 'revoked' };
  if (typeof v !== 'string' && typeof v !== 'number') return bad(`expected a consent status, got ${Array.isArray(v) ? 'an array' : 'an object'}`);
  const word = String(v).trim().toLowerCase().replace(SEPARATORS, '_');
  if (word === '') return { ok: true, state: 'unknown' };
  if (GRANTED.has(word)) return { ok: true, state: 'granted' };
  if (REVOKED.has(word)) return { ok: true, state: 'revoked' };
  return bad(`"${String(v).slice(0, 40)}" is no consent status (granted: true, yes, opted_in; revoked: false, no, opted_out, stop)`);
}

function bad(detail: string): ConsentRead {
  return { ok: false, reason: 'bad_consent', detail };
}

// A date, or a date and a time as Singer taps write `date-time` values; no zone means UTC.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A consent event's time in ms, undefined when there is none, or NaN when the value is not a date-time. */
export function readConsentTime(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') return NaN;
  const text = v.trim();
  if (text === '') return undefined;
  const m = DATE_TIME.exec(text);
  if (!m) return NaN;
  // Date.parse rolls 2026-02-30 over into March: a day its month lacks makes no date.
  const [y, mo, d] = (m[1] as string).split('-').map(Number) as [number, number, number];
  if (d > daysIn(y, mo)) return NaN;
  // Date.parse reads a zone as Z, z, +hh:mm or +hhmm; without one it would take the machine's local time.
  return Date.parse(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? 'Z'}`);
}

function daysIn(y: number, month: number): number {
  if (month === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** One row's consent event: what it says, and when (undefined: no time given). */
export interface ConsentEvent {
  revoked: boolean;
  at: number | undefined;
}

export type RecordConsent = { ok: true; state: ConsentState; event?: ConsentEvent } | { ok: false; reason: RejectReason; field: string; detail: string };

/** A record's consent: its state, and the event to weigh against the phone's other rows (none when unknown). */
export function recordConsent(value: unknown, time: unknown, props: ConsentProperties): RecordConsent {
  const read = readConsentValue(value);
  if (!read.ok) return { ok: false, reason: read.reason, field: props.property, detail: read.detail };
  if (read.state === 'unknown') return { ok: true, state: 'unknown' };
  const at = readConsentTime(time);
  if (Number.isNaN(at)) return { ok: false, reason: 'invalid_date', field: props.timeProperty, detail: 'the consent time must be an ISO 8601 date or date-time (2026-03-01T12:00:00Z)' };
  return { ok: true, state: read.state, event: { revoked: read.state === 'revoked', at } };
}

/**
 * An event as one number that orders events as the rule does: later beats earlier, timed beats untimed, and the
 * revocation beats the grant of the same time (the low bit). Times are whole ms of years 0000 to 9999, so twice
 * them stays exact and above UNTIMED.
 */
const UNTIMED = -(2 ** 52);

export function eventRank(e: ConsentEvent): number {
  const bit = e.revoked ? 1 : 0;
  return e.at === undefined ? UNTIMED + bit : e.at * 2 + bit;
}

/**
 * The consent events of one audience, by phone key: only the standing one is kept (one number a phone that
 * carried a consent value), so any number of rows for a phone resolve in one pass, in any order.
 */
export class ConsentLedger {
  private readonly ranks = new Map<number, number>();

  note(key: number, e: ConsentEvent): void {
    const rank = eventRank(e);
    const held = this.ranks.get(key);
    // Stryker disable next-line EqualityOperator: equivalent, an equal rank is the same event
    if (held === undefined || rank > held) this.ranks.set(key, rank);
  }

  /** The phone's standing consent: granted, revoked, or unknown when none of its rows said. */
  state(key: number): ConsentState {
    const rank = this.ranks.get(key);
    if (rank === undefined) return 'unknown';
    return Math.abs(rank % 2) === 1 ? 'revoked' : 'granted';
  }

  revoked(key: number): boolean {
    return this.state(key) === 'revoked';
  }

  /** The phones whose standing consent is revoked, in no particular order. */
  *revokedKeys(): Iterable<number> {
    for (const [key, rank] of this.ranks) if (Math.abs(rank % 2) === 1) yield key;
  }

  get size(): number {
    return this.ranks.size;
  }
}
