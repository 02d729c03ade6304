import { expect } from 'chai';
import { isCanonicalShape, normalizePhone } from '../../src/contact/phone.js';

describe('phone normalization', () => {
  const good: [unknown, string, string][] = [
    ['+1 (215) 555-0123', 'US', '12155550123'],
    ['(215) 555-0123', 'US', '12155550123'],
    ['215.555.0123', 'US', '12155550123'],
    ['215 555 0123', 'US', '12155550123'],
    ['2155550123', 'US', '12155550123'],
    ['12155550123', 'US', '12155550123'],
    ['1-215-555-0123', 'US', '12155550123'],
    [12155550123, 'US', '12155550123'],
    ['  +1 215 555 0123  ', 'US', '12155550123'],
    ['+44 7911 123456', 'US', '447911123456'],
    ['07911 123456', 'GB', '447911123456'],
    ['447911123456', 'US', '447911123456'],
    ['0044 7911 123456', 'US', '447911123456'],
    ['(416) 555-0199', 'CA', '14165550199'],
  ];
  for (const [raw, region, out] of good) {
    it(`${JSON.stringify(raw)} in ${region} → ${out}`, () => {
      expect(normalizePhone(raw, region)).to.deep.equal({ ok: true, phone: out });
    });
  }

  const bad: [unknown, string][] = [
    ['555-0123', 'invalid_phone'],
    ['215-555-01', 'invalid_phone'],
    ['not a phone', 'invalid_phone'],
    ['+1 215 555 0123 ext 4'.repeat(3), 'invalid_phone'],
    ['0000000000', 'invalid_phone'],
    [true, 'invalid_phone'],
    [{ n: 1 }, 'invalid_phone'],
    [1.5, 'invalid_phone'],
    ['', 'missing_phone'],
    ['   ', 'missing_phone'],
    [null, 'missing_phone'],
    [undefined, 'missing_phone'],
  ];
  for (const [raw, reason] of bad) {
    it(`${JSON.stringify(raw)} is rejected as ${reason}`, () => {
      const r = normalizePhone(raw, 'US');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.reason).to.equal(reason);
    });
  }

  it('recognises the canonical shape (digits, 8–15 long, no leading zero)', () => {
    expect(isCanonicalShape('12155550123')).to.equal(true);
    expect(isCanonicalShape('02155550123')).to.equal(false);
    expect(isCanonicalShape('1215555012x')).to.equal(false);
    expect(isCanonicalShape('1234567890123456')).to.equal(false);
  });
});
