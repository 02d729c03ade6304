/**
 * The stale-text guard. A text that carries `event_time` (when its event happened: the order was placed, the
 * parcel shipped) and is older than `max_text_age` is rejected `stale`, never sent. It bounds what any lost
 * journal or tap state can cost: a tap that replays its whole history re-sends nothing older than the window.
 * A text without `event_time` is not checked.
 */
import { durationMs } from '../config/duration.js';

export type AgeCheck = { ok: true } | { ok: false; reason: 'stale' | 'invalid_date'; detail: string };

// A date and a time, as Singer taps write `date-time` values; no zone means UTC.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export function checkAge(eventTime: unknown, maxAge: string, now = Date.now()): AgeCheck {
  if (eventTime === undefined || eventTime === null) return { ok: true };
  const at = typeof eventTime === 'string' ? parseDateTime(eventTime.trim()) : undefined;
  if (at === undefined) return { ok: false, reason: 'invalid_date', detail: 'event_time must be an ISO 8601 date-time (2026-03-01T12:00:00Z)' };
  const limit = durationMs(maxAge) as number;
  const age = now - at;
  if (age <= limit) return { ok: true };
  return { ok: false, reason: 'stale', detail: `event_time is ${formatAge(age)} old, older than max_text_age ${maxAge}` };
}

function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const iso = text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const at = Date.parse(m[3] ? iso : `${iso}Z`);
  return Number.isNaN(at) ? undefined : at;
}

function formatAge(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.floor(hours / 24)} d` : hours >= 1 ? `${Math.floor(hours)} h` : `${Math.floor(ms / 60_000)} min`;
}
