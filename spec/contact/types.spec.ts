/**
 * The field-type table, held to its promise type by type: bytes a type calls canonical are exactly what its rule
 * makes of the value, and each type's values give the same digests and member fingerprints on the fast path as on
 * the reference path. FIELD_UNDER_TEST is keyed by every type name, so a new type does not compile until it is here.
 */
import { expect } from 'chai';
import { digestRecord } from '../../src/contact/digest.js';
import { buildFieldPlan, type FieldPlan } from '../../src/contact/fields.js';
import { phoneContext } from '../../src/contact/phone.js';
import { FIELD_TYPES, profileFieldType, type FieldTypeName } from '../../src/contact/types.js';
import { MembersPageReader, indexContacts } from '../../src/fast/members-page.js';
import { RecordLineDigester } from '../../src/fast/record-lines.js';
import type { ProfileField } from '../../src/listrak/sms.js';
import { MemberIndexBuilder } from '../../src/tables/member-index.js';
import { Random } from '../support/random.js';

/** For each type: an audience property managed as a field of that type (a profile field, or a system field). */
const FIELD_UNDER_TEST: Record<FieldTypeName, { property: string; profileField?: ProfileField }> = {
  text: { property: 'notes', profileField: { segmentationFieldId: 41, segmentationFieldName: 'Notes', dataType: 'Text', maxLength: 12 } },
  email: { property: 'email' },
  date: { property: 'joined', profileField: { segmentationFieldId: 42, segmentationFieldName: 'Joined', dataType: 'Date' } },
  number: { property: 'points', profileField: { segmentationFieldId: 43, segmentationFieldName: 'Points', dataType: 'Number', maxLength: 6 } },
  checkbox: { property: 'vip', profileField: { segmentationFieldId: 44, segmentationFieldName: 'VIP', dataType: 'Checkbox' } },
};

const VALUES: unknown[] = [
  'Ann', ' Ann', 'Ann ', 'a\u007fb', 'José', '', 'x'.repeat(12), 'x'.repeat(13), 'u@example.com', 'u@example', 'a b@c.de', '@b.c', 'u@.c', '7', '007', '-3', '1.5', '12.0',
  '123456', '1234567', '1e3', 'yes', 'NO', ' on ', 'true', '1990-02-03', ' 1990-02-03 ', '2/3/1990', '19900203', '1990-02-30', '1900-01-01', '1899-12-31', '2100-12-31',
  '2101-01-01', '1990-02-03T10:00:00Z', 0, 1, 7, 42, 123456, 1234567, -1, 2.5, true, false, null, [], { a: 1 },
];

const ascii = (s: string) => Buffer.from(s, 'latin1');

describe('the field-type table', () => {
  for (const type of Object.values(FIELD_TYPES)) {
    describe(`type ${type.name}`, () => {
      it('calls bytes canonical only where its rule returns them unchanged (audience and stored values)', () => {
        for (const v of VALUES) {
          const integer = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
          const text = integer ? String(v) : typeof v === 'string' && /^[\x20-\x7e]*$/.test(v) ? v : undefined;
          if (text === undefined || text === '') continue;
          if (type.recordBytes(integer, ascii(text), 0, text.length)) expect(type.coerce(v, null), JSON.stringify(v)).to.deep.equal({ ok: true, value: text });
          if (type.storedBytes(integer, ascii(text), 0, text.length)) expect(type.stored(v), JSON.stringify(v)).to.equal(text);
        }
      });

      it('reads a stored empty value as no value, and a stored value it refuses as stored', () => {
        for (const empty of [null, undefined, '']) expect(type.stored(empty)).to.equal(null);
        for (const v of VALUES) {
          const r = type.coerce(v, null);
          if (typeof v === 'string' && !r.ok) expect(type.stored(v)).to.equal(v);
        }
      });

      const { property, profileField } = FIELD_UNDER_TEST[type.name];
      const plan = buildFieldPlan({ properties: ['phone', property], profileFields: profileField ? [profileField] : [], includeCustomFields: true }) as FieldPlan;

      it('is the type the field plan gives its field', () => {
        const managed = [...plan.system, ...plan.custom];
        expect(managed.map((f) => f.type.name)).to.deep.equal([type.name]);
        if (profileField) expect(profileFieldType(profileField.dataType)).to.equal(type);
      });

      it('digests each value the same from bytes as by the reference, in audience lines', () => {
        const ctx = { plan, phone: phoneContext('US') };
        const digester = new RecordLineDigester(ctx, 'audience');
        for (const v of VALUES) {
          const record = { phone: '+1 (215) 555-0100', [property]: v };
          const d = digester.digestBlock(Buffer.from(JSON.stringify({ type: 'RECORD', stream: 'audience', record }) + '\n'));
          const ref = digestRecord(record, ctx);
          const got = d.kinds[0] === 1 ? { key: d.keys[0], systemFp: d.systemFp[0], customFp: d.customFp[0] } : undefined;
          expect(got, JSON.stringify(v)).to.deep.equal(ref);
        }
      });

      it('fingerprints each stored value the same from page bytes as from the parsed page', () => {
        const r = new Random(7);
        const contacts = VALUES.map((v, i) => {
          const c: Record<string, unknown> = { phoneNumber: String(12155550100 + i) };
          if (profileField) c.segmentationFieldValues = [{ segmentationFieldId: profileField.segmentationFieldId, value: v }];
          else c[plan.system[0]?.field ?? 'emailAddress'] = v;
          if (r.chance(0.3)) c.optedOut = false;
          return c;
        });
        const bytes = Buffer.from(JSON.stringify({ status: 200, nextPageCursor: null, data: contacts }));
        const fast = new MemberIndexBuilder();
        new MembersPageReader(plan, 'US').read(bytes, fast);
        const reference = new MemberIndexBuilder();
        indexContacts(reference, (JSON.parse(bytes.toString()) as { data: never[] }).data, plan, 'US');
        expect(fast.parts()).to.deep.equal(reference.parts());
      });
    });
  }
});
