import { expect } from 'chai';
import { coerceCheckbox, coerceDate, coerceEmail, coerceNumber, coerceText } from '../../src/contact/coerce.js';
import { profileFieldType } from '../../src/contact/types.js';

const coerceByType = (dataType: string, v: unknown, maxLength: number | null) => profileFieldType(dataType).coerce(v, maxLength);
const canonicalStored = (dataType: string, v: string | null) => profileFieldType(dataType).stored(v);

const value = (r: ReturnType<typeof coerceText>) => (r.ok ? r.value : `!${r.reason}`);

describe('value coercion', () => {
  it('text: trims, strips control characters, folds newlines, numbers to strings, enforces max length', () => {
    expect(value(coerceText('  Ada  ', 10))).to.equal('Ada');
    expect(value(coerceText('a\u0000b\u0007c', 10))).to.equal('abc');
    expect(value(coerceText('line1\r\nline2', 20))).to.equal('line1 line2');
    expect(value(coerceText(42, 10))).to.equal('42');
    expect(value(coerceText('', 10))).to.equal(null);
    expect(value(coerceText('Zoë 🎉', 10))).to.equal('Zoë 🎉');
    expect(value(coerceText('x'.repeat(11), 10))).to.equal('!too_long');
    expect(value(coerceText(['a'], 10))).to.equal('!invalid_type');
  });

  it('email: checked for shape', () => {
    expect(value(coerceEmail('a@b.co'))).to.equal('a@b.co');
    expect(value(coerceEmail('a@b'))).to.equal('!invalid_email');
    expect(value(coerceEmail(null))).to.equal(null);
  });

  it('numbers: numbers and numeric strings, canonical, nothing else', () => {
    expect(value(coerceNumber(12))).to.equal('12');
    expect(value(coerceNumber('12.50'))).to.equal('12.5');
    expect(value(coerceNumber('007'))).to.equal('7');
    expect(value(coerceNumber(' -3 '))).to.equal('-3');
    expect(value(coerceNumber(0.0000001))).to.equal('0.0000001');
    expect(value(coerceNumber('1e5'))).to.equal('!invalid_number');
    expect(value(coerceNumber('12 apples'))).to.equal('!invalid_number');
    expect(value(coerceNumber(Number.NaN))).to.equal('!invalid_number');
    expect(value(coerceNumber(1e20))).to.equal('!invalid_number');
  });

  it('checkboxes: the usual spellings of yes and no', () => {
    for (const t of [true, 'true', 'Yes', 'y', '1', 1, 'on']) expect(value(coerceCheckbox(t))).to.equal('true');
    for (const f of [false, 'FALSE', 'no', 'n', '0', 0, 'off']) expect(value(coerceCheckbox(f))).to.equal('false');
    expect(value(coerceCheckbox('maybe'))).to.equal('!invalid_checkbox');
    expect(value(coerceCheckbox(2))).to.equal('!invalid_checkbox');
  });

  it('dates: ISO, slashes, US and compact forms; impossible days rejected', () => {
    expect(value(coerceDate('1990-05-01'))).to.equal('1990-05-01');
    expect(value(coerceDate('1990-05-01T23:30:00-05:00'))).to.equal('1990-05-01');
    expect(value(coerceDate('1990-5-1'))).to.equal('1990-05-01');
    expect(value(coerceDate('1990/05/01'))).to.equal('1990-05-01');
    expect(value(coerceDate('5/1/1990'))).to.equal('1990-05-01');
    expect(value(coerceDate('19900501'))).to.equal('1990-05-01');
    expect(value(coerceDate('1990-02-30'))).to.equal('!invalid_date');
    // Every way a day or month can be out of range, and the edges that are not.
    for (const impossible of ['2023-02-29', '2023-04-31', '2023-01-00', '2023-13-05', '2023-00-10', '2023-01-32', '13/05/2023', '2101-01-01', '1899-12-31']) {
      expect(value(coerceDate(impossible)), impossible).to.equal('!invalid_date');
    }
    for (const [edge, day] of [['2024-02-29', '2024-02-29'], ['1900-01-01', '1900-01-01'], ['2100-12-31', '2100-12-31'], ['12/31/2099', '2099-12-31']]) {
      expect(value(coerceDate(edge)), edge).to.equal(day);
    }
    expect(value(coerceDate('01/05/90'))).to.equal('!invalid_date');
    expect(value(coerceDate('1850-01-01'))).to.equal('!invalid_date');
    expect(value(coerceDate('yesterday'))).to.equal('!invalid_date');
    expect(value(coerceDate(19900501))).to.equal('!invalid_date');
  });

  it('by profile-field type, with the max length checked after coercion', () => {
    expect(value(coerceByType('Number', '5', 1))).to.equal('5');
    expect(value(coerceByType('Number', '55', 1))).to.equal('!too_long');
    expect(value(coerceByType('Text', 'abc', null))).to.equal('abc');
  });

  it('reads stored values leniently into the same canonical form', () => {
    expect(canonicalStored('Number', '12.0')).to.equal('12');
    expect(canonicalStored('Checkbox', 'True')).to.equal('true');
    expect(canonicalStored('Date', '2020-01-02T00:00:00')).to.equal('2020-01-02');
    expect(canonicalStored('Text', null)).to.equal(null);
  });
});
