/**
 * The contact bodies sent to Listrak, and the values read back from what Listrak holds. A wrong body writes a
 * value to the wrong field, leaves a cleared one in place, or sends what Listrak refuses; a wrong reading makes a
 * member look changed on every run, or unchanged when it is not.
 */
import { expect } from 'chai';
import { buildFieldPlan, contactBody, mapRecord, storedFingerprints, storedValues, type ContactValues, type FieldPlan } from '../../src/contact/fields.js';
import type { ProfileField, SmsContact } from '../../src/listrak/sms.js';

const FIELDS: ProfileField[] = [
  { segmentationFieldId: 31, segmentationFieldName: 'Favorite Store', dataType: 'Text', maxLength: 20 },
  { segmentationFieldId: 32, segmentationFieldName: 'Loyalty Points', dataType: 'Number' },
  { segmentationFieldId: 33, segmentationFieldName: 'VIP', dataType: 'Checkbox' },
];

function planOf(properties: string[]): FieldPlan {
  const p = buildFieldPlan({ properties, profileFields: FIELDS, includeCustomFields: true });
  if ('error' in p) throw new Error(p.error);
  return p;
}

function valuesOf(plan: FieldPlan, record: Record<string, unknown>): ContactValues {
  const m = mapRecord(plan, record);
  if (!m.ok) throw new Error(`${m.reason}: ${m.detail}`);
  return m.values;
}

const PHONE = '12155550123';

/** Ada's contact as Listrak holds it: no last name (an empty string), a birthday, and these profile values. */
const heldByListrak = (values: [number, string][]): SmsContact => ({
  phoneNumber: PHONE,
  firstName: 'Ada',
  lastName: '',
  birthday: '1990-05-01T00:00:00',
  segmentationFieldValues: values.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value })),
});

/** The plan of an audience with names, a birthday and three profile fields, and Ada's record in it. */
function ada(): { plan: FieldPlan; values: ContactValues } {
  const plan = planOf(['phone', 'first_name', 'last_name', 'birthday', 'favorite_store', 'loyalty_points', 'vip']);
  return { plan, values: valuesOf(plan, { phone: PHONE, first_name: 'Ada', last_name: null, birthday: null, favorite_store: null, loyalty_points: 7, vip: 'yes' }) };
}

describe('contact bodies and stored values', () => {
  it('sends every managed field in an update, a cleared one as null (a cleared profile field as "")', () => {
    const { plan, values } = ada();
    expect(contactBody(plan, PHONE, values, { system: true, custom: true, omitEmpty: false })).to.deep.equal({
      phoneNumber: PHONE,
      firstName: 'Ada',
      lastName: null,
      birthday: null,
      segmentationFieldValues: [
        { segmentationFieldId: 31, value: '' },
        { segmentationFieldId: 32, value: '7' },
        { segmentationFieldId: 33, value: 'true' },
      ],
    });
  });

  it('leaves empty fields out of a create', () => {
    const { plan, values } = ada();
    expect(contactBody(plan, PHONE, values, { system: true, custom: true, omitEmpty: true })).to.deep.equal({
      phoneNumber: PHONE,
      firstName: 'Ada',
      segmentationFieldValues: [
        { segmentationFieldId: 32, value: '7' },
        { segmentationFieldId: 33, value: 'true' },
      ],
    });
  });

  it('sends only the parts asked for', () => {
    const { plan, values } = ada();
    expect(contactBody(plan, PHONE, values, { system: true, custom: false, omitEmpty: false })).to.deep.equal({ phoneNumber: PHONE, firstName: 'Ada', lastName: null, birthday: null });
    expect(contactBody(plan, PHONE, values, { system: false, custom: true, omitEmpty: true })).to.deep.equal({
      phoneNumber: PHONE,
      segmentationFieldValues: [
        { segmentationFieldId: 32, value: '7' },
        { segmentationFieldId: 33, value: 'true' },
      ],
    });
  });

  it('sends no profile field list when there is no profile value to send', () => {
    const { plan } = ada();
    const empty = valuesOf(plan, { phone: PHONE, first_name: 'Ada' });
    expect(contactBody(plan, PHONE, empty, { system: true, custom: true, omitEmpty: true })).to.deep.equal({ phoneNumber: PHONE, firstName: 'Ada' });
    const systemOnly = planOf(['phone', 'email']);
    expect(contactBody(systemOnly, PHONE, valuesOf(systemOnly, { email: 'a@b.co' }), { system: true, custom: true, omitEmpty: false })).to.deep.equal({
      phoneNumber: PHONE,
      emailAddress: 'a@b.co',
    });
  });

  it('reads each profile field from its own stored value, the last one given when Listrak repeats it', () => {
    const { plan } = ada();
    const stored = storedValues(
      plan,
      heldByListrak([
        [33, 'False'],
        [31, 'Old City'],
        [32, '7.0'],
        [31, ' Fishtown '],
        [99, 'not managed'],
      ]),
    );
    expect(stored).to.deep.equal({ system: ['Ada', null, '1990-05-01'], custom: ['Fishtown', '7', 'false'] });
  });

  it('fingerprints a stored contact as the record that would write it, empty strings as no value', () => {
    const { plan } = ada();
    const record = valuesOf(plan, { phone: PHONE, first_name: 'Ada', birthday: '5/1/1990', loyalty_points: '7', vip: true });
    const stored = storedFingerprints(
      plan,
      heldByListrak([
        [31, ''],
        [32, '7'],
        [33, 'true'],
      ]),
    );
    const again = storedFingerprints(plan, contactBody(plan, PHONE, record, { system: true, custom: true, omitEmpty: false }));
    expect(again).to.deep.equal(stored);
    expect(
      storedFingerprints(
        plan,
        heldByListrak([
          [32, '8'],
          [33, 'true'],
        ]),
      ),
    ).to.not.deep.equal(stored);
  });

  it('reads a stored value its type would reject as it is, so it compares unequal to any audience value', () => {
    expect(storedValues(planOf(['phone', 'loyalty_points', 'birthday']), { phoneNumber: PHONE, birthday: 'someday', segmentationFieldValues: [{ segmentationFieldId: 32, value: 'lots' }] })).to.deep.equal({
      system: ['someday'],
      custom: ['lots'],
    });
  });
});
