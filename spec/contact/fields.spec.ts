import { expect } from 'chai';
import { buildFieldPlan, contactBody, isManagedContact, isManagedValue, mapRecord, storedValues, type FieldPlan } from '../../src/contact/fields.js';
import type { ProfileField } from '../../src/listrak/sms.js';

const fields: ProfileField[] = [
  { segmentationFieldId: 31, segmentationFieldName: 'Favorite Store', dataType: 'Text', maxLength: 20 },
  { segmentationFieldId: 32, segmentationFieldName: 'Loyalty Points', dataType: 'Number' },
  { segmentationFieldId: 35, segmentationFieldName: 'Old Field', dataType: 'Text', statusFlag: 'Disabled' },
];

function plan(properties: string[], includeCustomFields = true): FieldPlan {
  const p = buildFieldPlan({ properties, profileFields: fields, includeCustomFields });
  if ('error' in p) throw new Error(p.error);
  return p;
}

describe('field plan and record mapping', () => {
  it('maps system fields by alias and custom fields by name, ignoring case and punctuation', () => {
    const p = plan(['Phone', 'email', 'FirstName', 'last_name', 'birthdate', 'zip', 'FAVORITE-STORE', 'loyalty points', 'old_field', 'shoe_size']);
    expect(p.phoneProperty).to.equal('Phone');
    expect(p.system.map((f) => [f.property, f.field])).to.deep.equal([
      ['email', 'emailAddress'],
      ['FirstName', 'firstName'],
      ['last_name', 'lastName'],
      ['birthdate', 'birthday'],
      ['zip', 'postalCode'],
    ]);
    expect(p.custom.map((f) => [f.property, f.field.segmentationFieldId])).to.deep.equal([
      ['FAVORITE-STORE', 31],
      ['loyalty points', 32],
    ]);
    expect(p.unmatched).to.deep.equal(['shoe_size']);
    expect(p.disabled).to.deep.equal(['old_field']);
  });

  it('manages no custom field when include_custom_fields is false', () => {
    expect(plan(['phone', 'favorite_store'], false).custom).to.deep.equal([]);
  });

  it('requires a phone property', () => {
    expect(buildFieldPlan({ properties: ['email'], profileFields: fields, includeCustomFields: true })).to.have.property('error');
  });

  it('builds Listrak bodies: birthday as a date-time, empties as null or omitted', () => {
    const p = plan(['phone', 'first_name', 'birthday', 'favorite_store', 'loyalty_points']);
    const m = mapRecord(p, { phone: 'x', first_name: 'Ada', birthday: '1990-05-01', favorite_store: null, loyalty_points: '7' });
    expect(m.ok).to.equal(true);
    if (!m.ok) return;
    expect(contactBody(p, '12155550123', m.values, { system: true, custom: true, omitEmpty: true })).to.deep.equal({
      phoneNumber: '12155550123',
      firstName: 'Ada',
      birthday: '1990-05-01T00:00:00',
      segmentationFieldValues: [{ segmentationFieldId: 32, value: '7' }],
    });
    expect(contactBody(p, '12155550123', m.values, { system: false, custom: true, omitEmpty: false }).segmentationFieldValues).to.deep.equal([
      { segmentationFieldId: 31, value: '' },
      { segmentationFieldId: 32, value: '7' },
    ]);
  });

  it('reads a stored contact into the same canonical values as the record that produced it', () => {
    const p = plan(['phone', 'first_name', 'birthday', 'loyalty_points']);
    const m = mapRecord(p, { phone: 'x', first_name: ' Ada ', birthday: '05/01/1990', loyalty_points: 7 });
    const stored = storedValues(p, { phoneNumber: '1', firstName: 'Ada', birthday: '1990-05-01T00:00:00', segmentationFieldValues: [{ segmentationFieldId: 32, value: '7.0' }] });
    expect(m.ok && m.values).to.deep.equal(stored);
  });
});

describe('the managed field (removal_scope "managed")', () => {
  const MANAGED = 36;
  const managedPlan = (): FieldPlan => ({ ...plan(['phone']), managedFieldId: MANAGED });
  const contact = (values: { segmentationFieldId: number; value: string }[] | undefined) => ({ phoneNumber: '12155550001', segmentationFieldValues: values });

  it('reads a stored value as managed only when it is a checked Checkbox value, however it is spelled', () => {
    for (const checked of ['true', 'True', ' Yes ', 'on', '1', true, 1]) expect(isManagedValue(checked), String(checked)).to.equal(true);
    for (const other of ['false', 'no', 'off', '0', false, 0, '', null, undefined, 'maybe', 'true-ish']) expect(isManagedValue(other), String(other)).to.equal(false);
  });

  it("finds a contact managed by its last value of the managed field, and never by another field's", () => {
    const p = managedPlan();
    expect(isManagedContact(p, contact([{ segmentationFieldId: MANAGED, value: 'true' }]))).to.equal(true);
    expect(isManagedContact(p, contact([{ segmentationFieldId: MANAGED, value: 'false' }, { segmentationFieldId: MANAGED, value: 'yes' }]))).to.equal(true);
    expect(isManagedContact(p, contact([{ segmentationFieldId: MANAGED, value: 'true' }, { segmentationFieldId: MANAGED, value: 'false' }]))).to.equal(false);
    expect(isManagedContact(p, contact([{ segmentationFieldId: 37, value: 'true' }]))).to.equal(false);
    expect(isManagedContact(p, contact([]))).to.equal(false);
    expect(isManagedContact(p, contact(undefined))).to.equal(false);
  });

  it('finds nobody managed by a plan without a managed field, whatever the contact holds', () => {
    const valueWithoutField = [{ value: 'true' } as unknown as { segmentationFieldId: number; value: string }];
    expect(isManagedContact(plan(['phone']), contact(valueWithoutField))).to.equal(false);
    expect(isManagedContact(plan(['phone']), contact([{ segmentationFieldId: MANAGED, value: 'true' }]))).to.equal(false);
  });
});

describe('a group property written to a profile field of another name (group_property, group_field)', () => {
  const group = [...fields, { segmentationFieldId: 41, segmentationFieldName: 'Campaign Group', dataType: 'Text', maxLength: 40, statusFlag: 'Active' }];
  const withGroup = (properties: string[], field = 'campaign group', profileFields: ProfileField[] = group) =>
    buildFieldPlan({ properties, profileFields, includeCustomFields: true, renamed: { property: 'treatment', field } });

  it('maps the property to the named Text field, matched as names are (case and punctuation aside)', () => {
    const p = withGroup(['phone', 'treatment', 'favorite_store']);
    if ('error' in p) throw new Error(p.error);
    expect(p.custom.map((f) => [f.property, f.field.segmentationFieldId, f.maxLength])).to.deep.equal([
      ['treatment', 41, 40],
      ['favorite_store', 31, 20],
    ]);
    expect(p.unmatched).to.deep.equal([]);
    expect(mapRecord(p, { phone: '1', treatment: 'offer_10', favorite_store: 'Main' })).to.deep.include({ ok: true });
  });

  it('takes the field even when another property would match it by name, and the name match no longer does', () => {
    const p = withGroup(['phone', 'treatment', 'Campaign Group']);
    if ('error' in p) throw new Error(p.error);
    expect(p.custom.map((f) => f.property)).to.deep.equal(['treatment']);
  });

  it('leaves the plan as it was when the property is not declared', () => {
    const p = withGroup(['phone', 'favorite_store']);
    if ('error' in p) throw new Error(p.error);
    expect(p.custom.map((f) => f.property)).to.deep.equal(['favorite_store']);
  });

  it('refuses, naming group_field, a field that is missing, not Text, or not enabled', () => {
    expect(withGroup(['phone', 'treatment'], 'No Such Field')).to.deep.equal({ error: '"No Such Field" must be an enabled Text profile field (there is none)', setting: 'group_field' });
    expect(withGroup(['phone', 'treatment'], 'Loyalty Points')).to.deep.equal({ error: '"Loyalty Points" must be an enabled Text profile field (it is Number)', setting: 'group_field' });
    expect(withGroup(['phone', 'treatment'], 'Old Field')).to.deep.equal({ error: '"Old Field" must be an enabled Text profile field (it is Disabled)', setting: 'group_field' });
    const lowerCase = [{ segmentationFieldId: 42, segmentationFieldName: 'Grp', dataType: 'text', statusFlag: 'active' }];
    expect(withGroup(['phone', 'treatment'], 'grp', lowerCase)).to.not.have.property('error');
  });
});
