/**
 * Who a record's phone names, and whether a new number may be added. Identity decides which member a write goes
 * to (and so who is kept); validation and textability decide who is never added.
 */
import { expect } from 'chai';
import { canonicalKey, identityDigits, isCanonicalShape, normalizePhone, phoneCandidates, phoneContext, untextable, MAX_PHONE_CHARS } from '../../src/contact/phone.js';

const US = phoneContext('US');
const GB = phoneContext('GB');
const DE = phoneContext('DE');

describe('phone identity and textability', () => {
  describe('the canonical shape Listrak stores', () => {
    it('is 8 to 15 digits, no leading zero', () => {
      expect(isCanonicalShape('29051234')).to.equal(true); // 8 digits: Saint Helena
      expect(isCanonicalShape('2905123')).to.equal(false);
      expect(isCanonicalShape('123456789012345')).to.equal(true);
      expect(isCanonicalShape('1234567890123456')).to.equal(false);
      expect(isCanonicalShape('01234567')).to.equal(false);
      expect(isCanonicalShape('1234567a')).to.equal(false);
      expect(isCanonicalShape('+12155550123')).to.equal(false);
    });

    it('keys a stored phone as it is when canonical, else by its normalized form, else not at all', () => {
      expect(canonicalKey('12155550123', 'US')).to.equal(12155550123);
      expect(canonicalKey('29051234', 'US')).to.equal(29051234);
      expect(canonicalKey('+1 (215) 555-0123', 'US')).to.equal(12155550123);
      expect(canonicalKey('(215) 555-0123', 'US')).to.equal(12155550123);
      expect(canonicalKey('02155550123', 'US')).to.equal(undefined);
      // A number libphonenumber does not know (a new area code) keeps its key: it may be a member, or an opt-out.
      expect(canonicalKey('12005550100', 'US')).to.equal(12005550100);
      expect(canonicalKey('not a phone', 'US')).to.equal(undefined);
    });
  });

  describe('the sender code context', () => {
    it("knows the region's calling code and national number lengths", () => {
      expect(US).to.deep.equal({ region: 'US', callingCode: '1', nationalLengths: [10], allowedRegions: [] });
      expect(GB).to.deep.include({ callingCode: '44', nationalLengths: [10] });
      expect(DE).to.deep.include({ callingCode: '49', nationalLengths: [10, 11] });
      expect(phoneContext('US', ['CA', 'GB']).allowedRegions).to.deep.equal(['CA', 'GB']);
    });

    it('takes the general number lengths of a region whose plan has no mobile numbers', () => {
      expect(phoneContext('TA')).to.deep.include({ callingCode: '290', nationalLengths: [4] });
    });
  });

  describe('identity digits', () => {
    it('strips formatting and puts the calling code before a national-length number', () => {
      expect(identityDigits('(215) 555-0123', US)).to.equal('12155550123');
      expect(identityDigits('215.555.0123', US)).to.equal('12155550123');
      expect(identityDigits(' 215 555 0123\n', US)).to.equal('12155550123');
      expect(identityDigits('15112345678', DE)).to.equal('4915112345678');
      expect(identityDigits('1511234567', DE)).to.equal('491511234567');
    });

    it('keeps a number already carrying the calling code, and one written with a leading +', () => {
      expect(identityDigits('1 215 555 0123', US)).to.equal('12155550123');
      expect(identityDigits('4915112345678', DE)).to.equal('4915112345678');
      expect(identityDigits('  +44 7911 123456', US)).to.equal('447911123456');
      expect(identityDigits('+1 200 555 0100', US)).to.equal('12005550100');
    });

    it('reads a national-length number as national even when it starts like the calling code', () => {
      expect(identityDigits('1215555012', US)).to.equal('11215555012');
    });

    it('leaves to libphonenumber what is not plain digits: letters, extensions, a trunk 0, a slash', () => {
      for (const raw of ['215 555 0123 x4', '07911 123456', '0215555012', '215/555/0123', '1-800-FLOWERS', '+', '']) expect(identityDigits(raw, US), raw).to.equal(undefined);
    });

    it('gives nothing that is not of canonical shape', () => {
      expect(identityDigits('+0215555012', US)).to.equal(undefined);
      expect(identityDigits('+1234567', US)).to.equal(undefined);
      expect(identityDigits('+1234567890123456', US)).to.equal(undefined);
      expect(identityDigits('555 0123', US)).to.equal(undefined);
      expect(identityDigits('44 215 555 0123', US)).to.equal(undefined);
      expect(identityDigits('44791112345', US)).to.equal(undefined);
    });
  });

  describe('the members a phone may name', () => {
    it('is exactly the identity digits when they read the phone', () => {
      expect(phoneCandidates('(215) 555-0123', US)).to.deep.equal([12155550123]);
      expect(phoneCandidates(12155550123, US)).to.deep.equal([12155550123]);
      expect(phoneCandidates(2155550123, US)).to.deep.equal([12155550123]);
    });

    it("otherwise libphonenumber's reading in the region, then as an international number", () => {
      expect(phoneCandidates('07911 123456', GB)).to.deep.equal([447911123456]);
      expect(phoneCandidates('215-555-0123 ext. 4', US)).to.deep.equal([12155550123]);
      expect(phoneCandidates('0044 7911 123456', US)).to.deep.equal([447911123456]);
      expect(phoneCandidates('(44) 7911 123456', US)).to.deep.equal([447911123456]);
      expect(phoneCandidates('29051234', US)).to.deep.equal([29051234]);
    });

    it('is empty for what cannot be a phone', () => {
      for (const raw of [null, undefined, true, {}, -12155550123, 0, 1.5, 12155550123.5, 2 ** 53, 'abc', '', 'x'.repeat(MAX_PHONE_CHARS + 1)]) {
        expect(phoneCandidates(raw, US), String(raw)).to.deep.equal([]);
      }
    });

    it('reads a phone of exactly 40 characters, and none longer', () => {
      const at40 = `+1 (215)${' '.repeat(24)}555-0123`;
      expect(at40).to.have.length(MAX_PHONE_CHARS);
      expect(phoneCandidates(at40, US)).to.deep.equal([12155550123]);
      expect(phoneCandidates(` ${at40}`, US)).to.deep.equal([]);
      expect(normalizePhone(at40, 'US')).to.deep.equal({ ok: true, phone: '12155550123' });
      expect(normalizePhone(`+1 (215)${' '.repeat(25)}555-0123`, 'US')).to.deep.equal({ ok: false, reason: 'invalid_phone', detail: 'phone is longer than 40 characters' });
    });
  });

  describe('numbers to add', () => {
    it('takes an 8-digit international number written without +, and nothing shorter', () => {
      expect(normalizePhone('29051234', 'US')).to.deep.equal({ ok: true, phone: '29051234' });
      expect(normalizePhone('00 290 51234', 'US')).to.deep.equal({ ok: true, phone: '29051234' });
      expect(normalizePhone('683 4002', 'US')).to.deep.equal({ ok: false, reason: 'invalid_phone', detail: 'not a valid phone number for region US' });
      expect(normalizePhone('0044 7911 123456', 'US')).to.deep.equal({ ok: true, phone: '447911123456' });
      expect(normalizePhone('0044 7911 123456 ext. 5', 'US')).to.deep.include({ ok: false, reason: 'invalid_phone' });
    });

    it('says why a phone is refused', () => {
      expect(normalizePhone(0, 'US')).to.deep.equal({ ok: false, reason: 'invalid_phone', detail: 'phone is not a whole number' });
      expect(normalizePhone(-12155550123, 'US')).to.deep.include({ ok: false, reason: 'invalid_phone' });
      expect(normalizePhone(2 ** 53, 'US')).to.deep.include({ ok: false, reason: 'invalid_phone' });
      expect(normalizePhone(true, 'US')).to.deep.equal({ ok: false, reason: 'invalid_phone', detail: 'phone must be a string, got boolean' });
      expect(normalizePhone('', 'US')).to.deep.equal({ ok: false, reason: 'missing_phone', detail: 'phone is empty' });
      expect(normalizePhone('  ', 'US')).to.deep.equal({ ok: false, reason: 'missing_phone', detail: 'phone is blank' });
      expect(normalizePhone('12005550100', 'US')).to.deep.equal({ ok: false, reason: 'invalid_phone', detail: 'not a valid phone number for region US' });
    });

    it('adds numbers of the sender code country that can receive texts', () => {
      expect(untextable('12155550123', US)).to.equal(undefined);
      expect(untextable('447911123456', GB)).to.equal(undefined);
    });

    it("refuses another country's number unless its country is allowed", () => {
      expect(untextable('447911123456', US)).to.deep.equal({
        reason: 'wrong_country',
        detail: 'a +44 number (GG); the sender code texts +1 (allowed_countries widens it)',
      });
      expect(untextable('447400123456', phoneContext('US', ['CA', 'MX']))).to.deep.equal({
        reason: 'wrong_country',
        detail: 'a +44 number (GB); the sender code texts +1 and CA, MX numbers (allowed_countries widens it)',
      });
      expect(untextable('447700900123', phoneContext('US', ['GB']))).to.deep.equal({
        reason: 'wrong_country',
        detail: 'a +44 number (no country); the sender code texts +1 and GB numbers (allowed_countries widens it)',
      });
      expect(untextable('447400123456', phoneContext('US', ['GB']))).to.equal(undefined);
      expect(untextable('12155550123', GB)).to.deep.include({ reason: 'wrong_country' });
    });

    it('refuses toll-free, premium-rate, shared-cost and landline numbers', () => {
      expect(untextable('18005550123', US)).to.deep.equal({ reason: 'not_textable', detail: 'a toll-free number cannot receive texts' });
      expect(untextable('19005550123', US)).to.deep.equal({ reason: 'not_textable', detail: 'a premium-rate number cannot receive texts' });
      expect(untextable('33810123456', phoneContext('FR'))).to.deep.equal({ reason: 'not_textable', detail: 'a shared-cost number cannot receive texts' });
      expect(untextable('442079460000', GB)).to.deep.equal({ reason: 'not_textable', detail: 'a fixed-line number cannot receive texts' });
    });

    it('refuses what libphonenumber cannot read at all', () => {
      expect(untextable('0', US)).to.deep.equal({ reason: 'not_textable', detail: 'not a number libphonenumber can read' });
    });
  });
});
