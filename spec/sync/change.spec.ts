import { expect } from 'chai';
import { buildFieldPlan, type FieldPlan } from '../../src/contact/fields.js';
import type { ProfileField } from '../../src/listrak/sms.js';
import { changedFields, changeOfWrite, describeChange, namedValues, positionalValues, removalChange, revocationChange } from '../../src/sync/change.js';

const PROFILE: ProfileField[] = [
  { segmentationFieldId: 31, segmentationFieldName: 'Favorite Store', dataType: 'Text', maxLength: 20 },
  { segmentationFieldId: 32, segmentationFieldName: 'Loyalty Points', dataType: 'Number' },
];

function fieldPlan(): FieldPlan {
  const p = buildFieldPlan({ properties: ['phone', 'first_name', 'email', 'favorite_store', 'loyalty_points'], profileFields: PROFILE, includeCustomFields: true });
  if ('error' in p) throw new Error(p.error);
  return p;
}

describe('one description of a change', () => {
  const fields = fieldPlan();
  const values = { system: ['Ann', null], custom: ['Main St', '12'] };

  it('names values by Listrak field, and puts them back in the field plan order', () => {
    const named = namedValues(fields, values);
    expect(named).to.deep.equal({ system: { firstName: 'Ann', emailAddress: null }, custom: { 'Favorite Store': 'Main St', 'Loyalty Points': '12' } });
    expect(positionalValues(fields, named)).to.deep.equal(values);
    // A field the values do not name is empty; no values at all, every field empty.
    expect(positionalValues(fields, { system: { firstName: 'Bo' }, custom: {} })).to.deep.equal({ system: ['Bo', null], custom: [null, null] });
    expect(positionalValues(fields, undefined)).to.deep.equal({ system: [null, null], custom: [null, null] });
  });

  it('describes each planned write with its action and reason', () => {
    expect(changeOfWrite({ kind: 'new', phone: '12155550001', line: 4, values }, fields, 2002)).to.deep.equal({
      action: 'create',
      phone: '12155550001',
      list: 2002,
      reason: 'new_in_audience',
      values: namedValues(fields, values),
      line: 4,
    });
    const update = changeOfWrite({ kind: 'update', phone: '12155550002', line: 5, file: 'b.jsonl', values, system: true, custom: false }, fields, 2002);
    expect(update).to.include({ action: 'update', reason: 'fields_changed', file: 'b.jsonl', line: 5 });
    expect(update.fields).to.deep.equal(['firstName', 'emailAddress']);
    const imported = changeOfWrite({ kind: 'update', phone: '12155550003', line: 6, values, system: false, custom: true }, fields, 2002);
    expect(imported).to.include({ action: 'import', reason: 'fields_changed' });
    expect(imported.fields).to.deep.equal(['Favorite Store', 'Loyalty Points']);
    expect(changeOfWrite({ kind: 'new', phone: '1', line: 1, values, reason: 'plan' }, fields, 2002).reason).to.equal('plan');
    expect(changeOfWrite({ kind: 'mark', phone: '12155550004', line: 7 }, fields, 2002)).to.deep.equal({ action: 'mark', phone: '12155550004', list: 2002, reason: 'managed_mark', line: 7 });
    expect(removalChange('12155550005', 2002)).to.deep.equal({ action: 'unsubscribe', phone: '12155550005', list: 2002, reason: 'absent_from_complete_audience' });
    expect(revocationChange('opt_out', '12155550006', 2002)).to.deep.equal({ action: 'opt_out', phone: '12155550006', list: 2002, reason: 'consent_revoked' });
    expect(revocationChange('unsubscribe', '12155550006', 2002)).to.deep.equal({ action: 'unsubscribe', phone: '12155550006', list: 2002, reason: 'consent_revoked' });
  });

  it('names the fields of both groups when both differ', () => {
    expect(changedFields(fields, { system: true, custom: true })).to.deep.equal(['firstName', 'emailAddress', 'Favorite Store', 'Loyalty Points']);
    expect(changedFields(fields, { system: false, custom: false })).to.deep.equal([]);
  });

  it('masks the phone where people read it', () => {
    expect(describeChange({ action: 'update', phone: '12155550002', reason: 'fields_changed', fields: ['firstName'] })).to.equal('update *******0002 (fields_changed: firstName)');
    expect(describeChange(removalChange('12155550005', 2002))).to.equal('unsubscribe *******0005 (absent_from_complete_audience)');
  });
});
