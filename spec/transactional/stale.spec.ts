import { expect } from 'chai';
import { durationMs } from '../../src/config/duration.js';
import { checkAge } from '../../src/transactional/stale.js';

describe('the stale-text guard', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');

  it('passes a text without event_time, and one within max_text_age', () => {
    expect(checkAge(undefined, '24h', now)).to.deep.equal({ ok: true });
    expect(checkAge(null, '24h', now)).to.deep.equal({ ok: true });
    expect(checkAge('2026-03-09T12:00:00Z', '24h', now)).to.deep.equal({ ok: true });
    expect(checkAge('2026-03-11T12:00:00Z', '24h', now), 'a clock ahead of ours').to.deep.equal({ ok: true });
  });

  it('rejects an older text as stale, saying how old', () => {
    expect(checkAge('2026-03-09T11:59:00Z', '24h', now)).to.deep.equal({ ok: false, reason: 'stale', detail: 'event_time is 24 h old, older than max_text_age 24h' });
    expect(checkAge('2026-03-01T12:00:00Z', '2d', now)).to.deep.include({ reason: 'stale', detail: 'event_time is 9 d old, older than max_text_age 2d' });
    expect(checkAge('2026-03-10T11:00:00Z', '30m', now)).to.deep.include({ reason: 'stale' });
  });

  it('reads the date-times taps write: zones as Z or offsets, a space for T, and no zone as UTC', () => {
    expect(checkAge('2026-03-10T13:30:00+02:00', '1h', now)).to.deep.equal({ ok: true });
    expect(checkAge('2026-03-10T13:30:00+0200', '1h', now)).to.deep.equal({ ok: true });
    expect(checkAge('2026-03-10 11:30:00.123456', '1h', now)).to.deep.equal({ ok: true });
    expect(checkAge('2026-03-10T10:30:00', '1h', now)).to.deep.include({ reason: 'stale' });
  });

  it('rejects an event_time that is not a date-time', () => {
    for (const bad of ['yesterday', '2026-03-10', 1773144000000, '2026-13-45T99:00:00Z']) {
      expect(checkAge(bad, '24h', now), String(bad)).to.deep.include({ ok: false, reason: 'invalid_date' });
    }
  });

  it('reads durations with a unit', () => {
    expect(durationMs('90m')).to.equal(5_400_000);
    expect(durationMs('1.5h')).to.equal(5_400_000);
    expect(durationMs('500ms')).to.equal(500);
    expect(durationMs('24')).to.equal(undefined);
    expect(durationMs('1 week')).to.equal(undefined);
  });
});
