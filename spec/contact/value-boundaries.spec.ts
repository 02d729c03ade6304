/**
 * Values at the edges of what a field takes: what is written to Listrak, and what is rejected instead. A record
 * rejected by mistake never reaches Listrak; one accepted by mistake is refused there or stored wrong.
 */
import { expect } from 'chai';
import { coerceCheckbox, coerceDate, coerceEmail, coerceNumber, coerceText, EMAIL_MAX_LENGTH, type Coerced } from '../../src/contact/coerce.js';
import { FIELD_TYPES, profileFieldType } from '../../src/contact/types.js';

const value = (r: Coerced) => (r.ok ? r.value : `!${r.reason}`);

describe('values at the edges of what a field takes', () => {
  describe('length', () => {
    it('takes a text exactly at the max length and rejects one character more', () => {
      expect(value(coerceText('x'.repeat(20), 20))).to.equal('x'.repeat(20));
      expect(value(coerceText('x'.repeat(21), 20))).to.equal('!too_long');
      expect(coerceText('x'.repeat(21), 20)).to.deep.equal({ ok: false, reason: 'too_long', detail: '21 characters, the field allows 20' });
    });

    it('measures the length after trimming, so padding never makes a value too long', () => {
      expect(value(coerceText(`  ${'x'.repeat(20)}  `, 20))).to.equal('x'.repeat(20));
    });

    it('takes any length when the field has no max length', () => {
      expect(value(coerceText('x'.repeat(5000), null))).to.equal('x'.repeat(5000));
      expect(value(FIELD_TYPES.text.coerce('x'.repeat(5000), undefined))).to.equal('x'.repeat(5000));
    });

    it('holds numbers, dates and checkboxes to the max length after coercion', () => {
      expect(value(profileFieldType('Number').coerce('12345', 5))).to.equal('12345');
      expect(profileFieldType('Number').coerce('123456', 5)).to.deep.equal({ ok: false, reason: 'too_long', detail: '6 characters, the field allows 5' });
      expect(value(profileFieldType('Number').coerce('0012345', 5))).to.equal('12345');
      expect(value(profileFieldType('Date').coerce('1990-05-01', 10))).to.equal('1990-05-01');
      expect(value(profileFieldType('Date').coerce('1990-05-01', 9))).to.equal('!too_long');
      expect(value(profileFieldType('Checkbox').coerce('yes', 4))).to.equal('true');
      expect(value(profileFieldType('Checkbox').coerce('no', 4))).to.equal('!too_long');
      expect(value(profileFieldType('Number').coerce(null, 1))).to.equal(null);
    });

    it('takes an email address of exactly 100 characters and rejects 101', () => {
      const at100 = `${'a'.repeat(EMAIL_MAX_LENGTH - '@example.com'.length)}@example.com`;
      expect(at100).to.have.length(100);
      expect(value(coerceEmail(at100))).to.equal(at100);
      expect(value(coerceEmail(`a${at100}`))).to.equal('!too_long');
      expect(value(FIELD_TYPES.email.coerce(at100, 100))).to.equal(at100);
    });
  });

  describe('text', () => {
    it('writes booleans and numbers into a text field as their text', () => {
      expect(value(coerceText(true, 10))).to.equal('true');
      expect(value(coerceText(false, 10))).to.equal('false');
      expect(value(coerceText(0, 10))).to.equal('0');
      expect(value(coerceText(12n, 10))).to.equal('12');
      expect(value(FIELD_TYPES.text.coerce(true, 50))).to.equal('true');
    });

    it('treats whitespace and control characters alone as no value', () => {
      expect(value(coerceText('   ', 10))).to.equal(null);
      expect(value(coerceText('\u0000\u0007', 10))).to.equal(null);
      expect(value(coerceText('\r\n\t', 10))).to.equal(null);
      expect(value(coerceText(undefined, 10))).to.equal(null);
    });

    it('cleans only what needs it: inner spaces stay, C1 controls and DEL go, a line break becomes one space', () => {
      expect(value(coerceText('Ada  Lovelace', 50))).to.equal('Ada  Lovelace');
      expect(value(coerceText('a\u007Fb\u0085c\u009Fd', 50))).to.equal('abcd');
      expect(value(coerceText('a\n\n\nb', 50))).to.equal('a b');
      expect(value(coerceText('a\tb ', 50))).to.equal('a b');
      expect(value(coerceText('Ada ', 50))).to.equal('Ada');
      expect(value(coerceText('a\u000Bb\u000Cc\u000Ed\u001Fe ', 50))).to.equal('abcde');
      expect(value(coerceText('\u00A0Zoë', 50))).to.equal('Zoë');
    });

    it('names what it got when a value is no text', () => {
      expect(coerceText({ a: 1 }, 10)).to.deep.equal({ ok: false, reason: 'invalid_type', detail: 'expected text, got an object' });
      expect(coerceText([1], 10)).to.deep.equal({ ok: false, reason: 'invalid_type', detail: 'expected text, got an array' });
    });
  });

  describe('email', () => {
    it('takes the shape name@domain.tld only', () => {
      expect(value(coerceEmail(' a.b+c@mail.example.co '))).to.equal('a.b+c@mail.example.co');
      for (const bad of ['a@b', '@b.co', 'a@.co', 'a@b.', 'a b@c.co', 'a@b c.co', 'a@@b.co', 'x a@b.co', 'a@b.co x']) {
        expect(value(coerceEmail(bad)), bad).to.equal('!invalid_email');
      }
      expect(coerceEmail('a@b')).to.deep.equal({ ok: false, reason: 'invalid_email', detail: 'not an email address' });
      expect(value(coerceEmail(''))).to.equal(null);
    });
  });

  describe('dates', () => {
    it('takes years 1900 to 2100 and rejects the years either side', () => {
      expect(value(coerceDate('1900-01-01'))).to.equal('1900-01-01');
      expect(value(coerceDate('2100-12-31'))).to.equal('2100-12-31');
      expect(coerceDate('1899-12-31')).to.deep.equal({ ok: false, reason: 'invalid_date', detail: 'year 1899 is out of range' });
      expect(coerceDate('2101-01-01')).to.deep.equal({ ok: false, reason: 'invalid_date', detail: 'year 2101 is out of range' });
    });

    it('reads a padded date, in every accepted form, as the same day', () => {
      for (const padded of [' 1990-05-01 ', '\t1990/05/01', '5/1/1990 ', ' 19900501', ' 1990-05-01T08:00:00Z ']) {
        expect(value(coerceDate(padded)), padded).to.equal('1990-05-01');
      }
    });

    it('reads date-times with or without seconds, fractions and zones as the day written', () => {
      for (const s of ['1990-05-01 08:00', '1990-05-01T08:00:00.123', '1990-05-01T23:59:59+0200', '1990-05-01T00:00:00-05:00', '1990-05-01T00:00Z']) {
        expect(value(coerceDate(s)), s).to.equal('1990-05-01');
      }
    });

    it('rejects impossible days and months, and half-written dates', () => {
      for (const bad of ['1990-13-01', '1990-00-10', '1990-04-31', '1990-02-29', '1990-05-00', '1990-05', '05/01/90', '1990-05-01T8:00', '1990-05-01X', 'x1990-05-01']) {
        expect(value(coerceDate(bad)), bad).to.equal('!invalid_date');
      }
      // Nothing before or after the date in any form.
      for (const bad of ['1990/05/01x', 'x1990/05/01', '5/1/1990x', 'x5/1/1990', '19900501x', 'x19900501', '199005011']) {
        expect(value(coerceDate(bad)), bad).to.equal('!invalid_date');
      }
      expect(value(coerceDate('2000-02-29'))).to.equal('2000-02-29');
      expect(coerceDate('1990-02-30')).to.deep.equal({ ok: false, reason: 'invalid_date', detail: 'no such day' });
      expect(coerceDate('tomorrow')).to.deep.equal({ ok: false, reason: 'invalid_date', detail: 'not a recognised date (use YYYY-MM-DD)' });
      expect(coerceDate(true)).to.deep.equal({ ok: false, reason: 'invalid_date', detail: 'expected a date string, got boolean' });
    });

    it('reads US dates month first', () => {
      expect(value(coerceDate('12/1/1990'))).to.equal('1990-12-01');
      expect(value(coerceDate('1/12/1990'))).to.equal('1990-01-12');
      expect(value(coerceDate('13/1/1990'))).to.equal('!invalid_date');
    });

    it('treats an empty date as no value', () => {
      expect(value(coerceDate(''))).to.equal(null);
      expect(value(coerceDate(null))).to.equal(null);
      expect(value(coerceDate(undefined))).to.equal(null);
    });
  });

  describe('checkboxes', () => {
    it('reads padded and capitalised spellings', () => {
      for (const t of [' yes ', 'TRUE', 'T', ' Y', 'On', 'checked', ' 1 ']) expect(value(coerceCheckbox(t)), t).to.equal('true');
      for (const f of [' no ', 'False', 'F', 'N ', 'OFF', 'unchecked', ' 0']) expect(value(coerceCheckbox(f)), f).to.equal('false');
    });

    it('treats an empty checkbox as no value and anything else as an error', () => {
      expect(value(coerceCheckbox(''))).to.equal(null);
      expect(value(coerceCheckbox(null))).to.equal(null);
      expect(value(coerceCheckbox(undefined))).to.equal(null);
      for (const bad of ['  ', 'maybe', 'yess', -1, 0.5, {}]) expect(value(coerceCheckbox(bad)), String(bad)).to.equal('!invalid_checkbox');
      expect(coerceCheckbox('maybe')).to.deep.equal({ ok: false, reason: 'invalid_checkbox', detail: 'expected true/false, yes/no, 1/0 or on/off' });
    });
  });

  describe('numbers', () => {
    it('takes magnitudes below 10^15 and rejects 10^15 and beyond', () => {
      expect(value(coerceNumber(999_999_999_999_999))).to.equal('999999999999999');
      expect(value(coerceNumber(-999_999_999_999_999))).to.equal('-999999999999999');
      expect(coerceNumber(1e15)).to.deep.equal({ ok: false, reason: 'invalid_number', detail: 'number out of range' });
      expect(value(coerceNumber(-1e15))).to.equal('!invalid_number');
      expect(value(coerceNumber(Number.POSITIVE_INFINITY))).to.equal('!invalid_number');
    });

    it('writes plain decimals, never exponents', () => {
      expect(value(coerceNumber(1e-7))).to.equal('0.0000001');
      expect(value(coerceNumber(-2.5e-7))).to.equal('-0.00000025');
      expect(value(coerceNumber(' 12.50 '))).to.equal('12.5');
      expect(value(coerceNumber('-0.5'))).to.equal('-0.5');
      expect(value(coerceNumber(3))).to.equal('3');
      expect(value(coerceNumber(1e-13))).to.equal('0'); // past 12 decimal places
    });

    it('rejects what is no plain decimal', () => {
      for (const bad of ['1.', '.5', '1,000', '+1', '0x10', '1e3', 'one', true, {}]) expect(value(coerceNumber(bad)), String(bad)).to.equal('!invalid_number');
      expect(coerceNumber('one')).to.deep.equal({ ok: false, reason: 'invalid_number', detail: 'not a plain decimal number' });
      expect(value(coerceNumber(''))).to.equal(null);
      expect(value(coerceNumber(undefined))).to.equal(null);
    });
  });
});
