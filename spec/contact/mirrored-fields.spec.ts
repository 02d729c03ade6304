/**
 * Which record property is the phone, and which fields the sync manages: a wrong choice here writes to the wrong
 * contact or writes a field Listrak has switched off.
 */
import { expect } from 'chai';
import { buildFieldPlan, PHONE_ALIASES, type FieldPlan } from '../../src/contact/fields.js';
import type { ProfileField } from '../../src/listrak/sms.js';

const field = (segmentationFieldId: number, segmentationFieldName: string, extra: Partial<ProfileField> = {}): ProfileField => ({
  segmentationFieldId,
  segmentationFieldName,
  dataType: 'Text',
  ...extra,
});

function plan(properties: string[], profileFields: ProfileField[] = [], includeCustomFields = true): FieldPlan {
  const p = buildFieldPlan({ properties, profileFields, includeCustomFields });
  if ('error' in p) throw new Error(p.error);
  return p;
}

describe('the phone column and the mirrored fields', () => {
  it('keys the audience on `phone` when the schema also declares `mobile`, in either order', () => {
    expect(plan(['mobile', 'phone']).phoneProperty).to.equal('phone');
    expect(plan(['phone', 'mobile']).phoneProperty).to.equal('phone');
    expect(plan(['Phone', 'mobile_phone']).phoneProperty).to.equal('Phone');
  });

  it('keys the audience on the first phone alias when none is `phone`', () => {
    expect(plan(['mobile_number', 'cell_phone', 'mobile']).phoneProperty).to.equal('mobile_number');
  });

  it('reads every documented phone alias as the phone, never as a profile field', () => {
    for (const alias of ['phone', 'phone_number', 'mobile_phone', 'mobile', 'mobile_number', 'cell_phone']) {
      const p = plan([alias], [field(40, alias)]);
      expect(p.phoneProperty, alias).to.equal(alias);
      expect(p.custom, alias).to.deep.equal([]);
    }
    expect(PHONE_ALIASES).to.have.length(6);
  });

  it('names the phone aliases when the schema has none', () => {
    const p = buildFieldPlan({ properties: ['email', 'telephone'], profileFields: [], includeCustomFields: true });
    expect(p).to.deep.equal({ error: 'the audience schema has no phone property (one of: phone, phonenumber, mobilephone, mobile, mobilenumber, cellphone)' });
  });

  it('maps every system field alias, each with its max length', () => {
    const aliases: [string, string, number | null][] = [
      ['email', 'emailAddress', 100],
      ['email_address', 'emailAddress', 100],
      ['first_name', 'firstName', 50],
      ['given_name', 'firstName', 50],
      ['last_name', 'lastName', 50],
      ['surname', 'lastName', 50],
      ['family_name', 'lastName', 50],
      ['birthday', 'birthday', null],
      ['birthdate', 'birthday', null],
      ['date_of_birth', 'birthday', null],
      ['dob', 'birthday', null],
      ['postal_code', 'postalCode', 20],
      ['zip', 'postalCode', 20],
      ['zip_code', 'postalCode', 20],
      ['postcode', 'postalCode', 20],
    ];
    for (const [property, systemField, maxLength] of aliases) {
      const p = plan(['phone', property]);
      expect(p.system.map((f) => [f.property, f.field, f.maxLength, f.type.name]), property).to.deep.equal([
        [property, systemField, maxLength, systemField === 'birthday' ? 'date' : systemField === 'emailAddress' ? 'email' : 'text'],
      ]);
    }
  });

  it('manages a system field once when two of its aliases are declared: the first one', () => {
    const p = plan(['phone', 'birthdate', 'birthday', 'zip', 'postal_code']);
    expect(p.system.map((f) => [f.property, f.field])).to.deep.equal([
      ['birthdate', 'birthday'],
      ['zip', 'postalCode'],
    ]);
  });

  it('writes only profile fields whose status is Active (any case); Inactive and Disabled ones are reported', () => {
    const p = plan(
      ['phone', 'store', 'tier', 'region', 'legacy', 'old', 'soon', 'plain'],
      [
        field(1, 'Store', { statusFlag: 'Active' }),
        field(2, 'Tier', { statusFlag: 'ACTIVE' }),
        field(3, 'Region', { statusFlag: 'Inactive' }),
        field(4, 'Legacy', { statusFlag: 'Disabled' }),
        field(5, 'Old', { statusFlag: 'Not active' }),
        field(7, 'Soon', { statusFlag: 'Active-archived' }),
        field(6, 'Plain'),
      ],
    );
    expect(p.custom.map((f) => f.property)).to.deep.equal(['store', 'tier', 'plain']);
    expect(p.disabled).to.deep.equal(['region', 'legacy', 'old', 'soon']);
  });

  it('manages a profile field once when two properties name it', () => {
    const p = plan(['phone', 'favorite_store', 'FavoriteStore'], [field(31, 'Favorite Store')]);
    expect(p.custom.map((f) => f.property)).to.deep.equal(['favorite_store']);
    expect(p.unmatched).to.deep.equal([]);
  });

  it("never manages the Singer SDK's metadata columns, even when a profile field has their name", () => {
    const p = plan(['phone', '_sdc_extracted_at', '_sdc_deleted_at'], [field(50, 'sdc extracted at')]);
    expect(p.custom).to.deep.equal([]);
    expect(p.unmatched).to.deep.equal([]);
  });

  it('reports properties matching no profile field, also when custom fields are not managed', () => {
    const fields = [field(31, 'Favorite Store')];
    const withCustom = plan(['phone', 'favorite_store', 'shoe_size'], fields);
    expect(withCustom.unmatched).to.deep.equal(['shoe_size']);
    const without = plan(['phone', 'favorite_store', 'shoe_size'], fields, false);
    expect(without.custom).to.deep.equal([]);
    expect(without.unmatched).to.deep.equal(['shoe_size']);
  });

  it('coerces each profile field by its data type, unknown types as text', () => {
    const p = plan(
      ['phone', 'a', 'b', 'c', 'd', 'e'],
      [field(1, 'A', { dataType: 'Number' }), field(2, 'B', { dataType: 'Checkbox' }), field(3, 'C', { dataType: 'Date' }), field(4, 'D', { dataType: 'Text' }), field(5, 'E', { dataType: 'Dropdown' })],
    );
    expect(p.custom.map((f) => f.type.name)).to.deep.equal(['number', 'checkbox', 'date', 'text', 'text']);
  });
});
