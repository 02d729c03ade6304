/**
 * The field-type table's byte tests: which values are already in the form Listrak stores, so the fast path may
 * fingerprint their bytes as they are. A test that says yes wrongly makes a changed contact look unchanged (its
 * update is never sent); one that says no only costs time, so each type is held to both: never wrong, and yes for
 * the plain values most audiences are made of.
 */
import { expect } from 'chai';
import { FIELD_TYPES, type FieldTypeName } from '../../src/contact/types.js';

/** A JSON value as the scanner picks it: a string's characters, or an integer's digits. */
function picked(value: string | number): { integer: boolean; bytes: Uint8Array } {
  return { integer: typeof value === 'number', bytes: Buffer.from(String(value), 'latin1') };
}

const SAMPLES: (string | number)[] = [
  'Ada',
  'Ada Lovelace',
  ' Ada',
  'Ada ',
  '',
  'a\u007fb',
  'a@b.co',
  'A.B+c@mail.example.co',
  'a@b',
  '@b.co',
  'a@@b.co',
  'a b@c.co',
  'a@.co',
  12,
  0,
  '12',
  '0',
  '012',
  '12.5',
  '1234567890123456',
  '1990-05-01',
  '1990-05-01T00:00:00',
  'true',
  'yes',
];

/** The samples each type's tests must say yes to. */
const SHORTCUT: Record<FieldTypeName, (string | number)[]> = {
  text: ['Ada', 'Ada Lovelace', 'a@b.co', 'A.B+c@mail.example.co', 'a@b', '@b.co', 'a@@b.co', 'a b@c.co', 'a@.co', 12, 0, '12', '0', '012', '12.5', '1234567890123456', '1990-05-01', '1990-05-01T00:00:00', 'true', 'yes'],
  email: ['a@b.co', 'A.B+c@mail.example.co'],
  number: [12, 0, '12', '0'],
  date: [],
  checkbox: [],
};

describe('values already in the form Listrak stores', () => {
  for (const name of Object.keys(FIELD_TYPES) as FieldTypeName[]) {
    const type = FIELD_TYPES[name];

    it(`${name}: says yes only to values its rules leave unchanged, for audience and stored values alike`, () => {
      for (const sample of SAMPLES) {
        const { integer, bytes } = picked(sample);
        for (const [side, test, rule] of [
          ['record', type.recordBytes, () => type.coerce(sample, null)],
          ['stored', type.storedBytes, () => ({ ok: true, value: type.stored(sample) })],
        ] as const) {
          const yes = test(integer, bytes, 0, bytes.length);
          expect(typeof yes, `${side} ${JSON.stringify(sample)}`).to.equal('boolean');
          if (!yes) continue;
          const r = rule();
          expect(r.ok && r.value, `${side} ${JSON.stringify(sample)}`).to.equal(String(sample));
        }
      }
    });

    it(`${name}: says yes to the plain values it can take as they are`, () => {
      const expected = SHORTCUT[name];
      for (const sample of [...SAMPLES, ...expected]) {
        const { integer, bytes } = picked(sample);
        const want = expected.includes(sample);
        expect(type.recordBytes(integer, bytes, 0, bytes.length), `record ${JSON.stringify(sample)}`).to.equal(want);
        expect(type.storedBytes(integer, bytes, 0, bytes.length), `stored ${JSON.stringify(sample)}`).to.equal(want);
      }
    });
  }

  it('writes a birthday as a date-time and every other system field as its text', () => {
    expect(FIELD_TYPES.date.systemWire?.('1990-05-01')).to.equal('1990-05-01T00:00:00');
    for (const name of ['text', 'email', 'number', 'checkbox'] as const) expect(FIELD_TYPES[name].systemWire, name).to.equal(undefined);
  });
});
