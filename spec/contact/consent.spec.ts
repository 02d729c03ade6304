/**
 * The consent rule (contact/consent.ts), in process: what a value says, when an event happened, and which of a
 * phone's events stands.
 */
import { expect } from 'chai';
import { ConsentLedger, eventRank, readConsentTime, readConsentValue, recordConsent } from '../../src/contact/consent.js';

const PROPS = { property: 'sms_consent', timeProperty: 'sms_consent_at' };
const state = (v: unknown) => {
  const r = readConsentValue(v);
  return r.ok ? r.state : r.reason;
};

describe('consent values', () => {
  it('reads every granted spelling, in any case and with white space around it', () => {
    for (const v of [true, 'true', 'granted', 'opted_in', 'yes', 'y', '1', 1, 'TRUE', ' Granted ', 'Opted_In', 'YES', 'Y', 'opted in', 'opted-in', 'Opted  In']) {
      expect(state(v), JSON.stringify(v)).to.equal('granted');
    }
  });

  it('reads every revoked spelling, in any case and with white space around it', () => {
    for (const v of [false, 'false', 'revoked', 'opted_out', 'no', 'n', '0', 0, 'stop', 'STOP', ' False ', 'Revoked', 'OPTED_OUT', 'No', 'N', 'opted out', 'opted-out']) {
      expect(state(v), JSON.stringify(v)).to.equal('revoked');
    }
  });

  it('reads null, a missing value and blank text as unknown, never as revoked', () => {
    for (const v of [null, undefined, '', '   ', '\t']) expect(state(v), JSON.stringify(v)).to.equal('unknown');
  });

  it('rejects anything else as bad_consent, saying what it got and what it takes', () => {
    for (const v of ['maybe', 'granted!', 'optedin', 'yess', '2', 2, -1, 0.5, 'true false', 'ye', 'o']) expect(state(v), JSON.stringify(v)).to.equal('bad_consent');
    const obj = readConsentValue({ status: 'granted' });
    expect(obj).to.deep.include({ ok: false, reason: 'bad_consent' });
    expect(obj.ok ? '' : obj.detail).to.equal('expected a consent status, got an object');
    const arr = readConsentValue(['yes']);
    expect(arr.ok ? '' : arr.detail).to.equal('expected a consent status, got an array');
    const word = readConsentValue('maybe');
    expect(word.ok ? '' : word.detail).to.equal('"maybe" is no consent status (granted: true, yes, opted_in; revoked: false, no, opted_out, stop)');
    const long = readConsentValue('x'.repeat(60));
    expect(long.ok ? '' : long.detail).to.match(/^"x{40}" is no consent status/);
  });
});

describe('consent times', () => {
  it('reads no time from null, a missing value or blank text', () => {
    for (const v of [null, undefined, '', '  ']) expect(readConsentTime(v), JSON.stringify(v)).to.equal(undefined);
  });

  it('reads dates and date-times as taps write them: no zone means UTC, zones as Z or offsets, a space for T', () => {
    expect(readConsentTime('2026-03-01')).to.equal(Date.UTC(2026, 2, 1));
    expect(readConsentTime('2026-03-01T12:30')).to.equal(Date.UTC(2026, 2, 1, 12, 30));
    expect(readConsentTime('2026-03-01T12:30:15')).to.equal(Date.UTC(2026, 2, 1, 12, 30, 15));
    expect(readConsentTime('2026-03-01 12:30:15.250')).to.equal(Date.UTC(2026, 2, 1, 12, 30, 15, 250));
    expect(readConsentTime(' 2026-03-01T12:30:15Z ')).to.equal(Date.UTC(2026, 2, 1, 12, 30, 15));
    expect(readConsentTime('2026-03-01t12:30:15z')).to.equal(Date.UTC(2026, 2, 1, 12, 30, 15));
    expect(readConsentTime('2026-03-01T12:30:15+02:00')).to.equal(Date.UTC(2026, 2, 1, 10, 30, 15));
    expect(readConsentTime('2026-03-01T12:30:15-0500')).to.equal(Date.UTC(2026, 2, 1, 17, 30, 15));
  });

  it('reads a time without a zone as UTC wherever the machine is', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(readConsentTime('2026-03-01T12:30')).to.equal(Date.UTC(2026, 2, 1, 12, 30));
      expect(readConsentTime('2026-03-01')).to.equal(Date.UTC(2026, 2, 1));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('knows the days of each month, leap years included', () => {
    expect(readConsentTime('2024-02-29')).to.equal(Date.UTC(2024, 1, 29));
    expect(readConsentTime('2000-02-29')).to.equal(Date.UTC(2000, 1, 29));
    expect(readConsentTime('2026-01-31')).to.equal(Date.UTC(2026, 0, 31));
    expect(readConsentTime('2026-04-30')).to.equal(Date.UTC(2026, 3, 30));
    for (const v of ['2026-02-29', '1900-02-29', '2100-02-29', '2024-02-30', '2026-04-31', '2026-06-31', '2026-09-31', '2026-11-31', '2026-01-32']) {
      expect(readConsentTime(v), v).to.satisfy(Number.isNaN);
    }
  });

  it('says NaN for anything that is not a date or date-time', () => {
    for (const v of ['yesterday', '2026-13-01', '2026-03-01T25:00', '03/01/2026', '2026-3-1', 'x2026-03-01', '2026-03-01x', '2026-03-01T12', 1767225600000, true, {}, []]) {
      expect(readConsentTime(v), JSON.stringify(v)).to.satisfy(Number.isNaN);
    }
  });
});

describe('a record consent', () => {
  it('gives granted and revoked an event with its time, unknown none', () => {
    expect(recordConsent('yes', '2026-03-01', PROPS)).to.deep.equal({ ok: true, state: 'granted', event: { revoked: false, at: Date.UTC(2026, 2, 1) } });
    expect(recordConsent('stop', undefined, PROPS)).to.deep.equal({ ok: true, state: 'revoked', event: { revoked: true, at: undefined } });
    expect(recordConsent(null, '2026-03-01', PROPS)).to.deep.equal({ ok: true, state: 'unknown' });
    // A time without a value says nothing, and is not checked.
    expect(recordConsent('', 'not a time', PROPS)).to.deep.equal({ ok: true, state: 'unknown' });
  });

  it('rejects a bad value on the consent property, and a bad time on the time property', () => {
    expect(recordConsent('maybe', '2026-03-01', PROPS)).to.deep.include({ ok: false, reason: 'bad_consent', field: 'sms_consent' });
    expect(recordConsent('yes', 'last week', PROPS)).to.deep.equal({
      ok: false,
      reason: 'invalid_date',
      field: 'sms_consent_at',
      detail: 'the consent time must be an ISO 8601 date or date-time (2026-03-01T12:00:00Z)',
    });
  });
});

describe('the latest consent event wins', () => {
  const at = (iso: string) => Date.parse(iso);
  const granted = (t?: string) => ({ revoked: false, at: t === undefined ? undefined : at(t) });
  const revoked = (t?: string) => ({ revoked: true, at: t === undefined ? undefined : at(t) });

  it('ranks later over earlier, timed over untimed, and a revocation over a grant of the same time', () => {
    expect(eventRank(granted('2026-03-02T00:00Z'))).to.be.greaterThan(eventRank(revoked('2026-03-01T00:00Z')));
    expect(eventRank(revoked('2026-03-02T00:00Z'))).to.be.greaterThan(eventRank(granted('2026-03-01T00:00Z')));
    expect(eventRank(revoked('2026-03-01T00:00Z'))).to.equal(eventRank(granted('2026-03-01T00:00Z')) + 1);
    expect(eventRank(granted('0000-01-01T00:00Z'))).to.be.greaterThan(eventRank(revoked()));
    expect(eventRank(revoked())).to.equal(eventRank(granted()) + 1);
    expect(eventRank(granted())).to.equal(-(2 ** 52));
  });

  it('resolves a phone by its standing event, in whatever order the rows come', () => {
    const orders: [string, ReturnType<typeof granted>[], 'granted' | 'revoked'][] = [
      ['a later grant', [revoked('2026-03-01T00:00Z'), granted('2026-03-02T00:00Z')], 'granted'],
      ['a later revocation', [granted('2026-03-01T00:00Z'), revoked('2026-03-02T00:00Z')], 'revoked'],
      ['an untimed revocation loses to a timed grant', [revoked(), granted('2026-03-01T00:00Z')], 'granted'],
      ['an untimed grant loses to a timed revocation', [granted(), revoked('1999-01-01T00:00Z')], 'revoked'],
      ['a grant one millisecond later', [revoked('2026-03-01T00:00:00.000Z'), granted('2026-03-01T00:00:00.001Z')], 'granted'],
      ['a tie goes to the revocation', [granted('2026-03-01T00:00Z'), revoked('2026-03-01T00:00Z')], 'revoked'],
      ['two untimed rows: the revocation', [granted(), revoked()], 'revoked'],
      ['before 1970 still orders', [revoked('1960-01-01T00:00Z'), granted('1965-01-01T00:00Z')], 'granted'],
    ];
    for (const [what, events, expected] of orders) {
      for (const order of [events, [...events].reverse()]) {
        const ledger = new ConsentLedger();
        for (const e of order) ledger.note(7, e);
        expect(ledger.state(7), what).to.equal(expected);
        expect(ledger.revoked(7), what).to.equal(expected === 'revoked');
        expect([...ledger.revokedKeys()], what).to.deep.equal(expected === 'revoked' ? [7] : []);
      }
    }
  });

  it('keeps one standing event a phone, and knows nothing of phones without one', () => {
    const ledger = new ConsentLedger();
    ledger.note(1, revoked('2026-03-01T00:00Z'));
    ledger.note(1, granted('2026-02-01T00:00Z'));
    ledger.note(2, granted());
    ledger.note(3, revoked('1960-01-01T00:00Z'));
    expect(ledger.size).to.equal(3);
    expect(ledger.state(4)).to.equal('unknown');
    expect(ledger.revoked(4)).to.equal(false);
    expect(ledger.state(2)).to.equal('granted');
    expect([...ledger.revokedKeys()].sort()).to.deep.equal([1, 3]);
  });
});
