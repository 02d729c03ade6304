import { expect } from 'chai';
import type { ProfileField } from '../../src/listrak/sms.js';
import { LineKind, digestRecord, type DigestContext } from '../../src/contact/digest.js';
import { buildFieldPlan } from '../../src/contact/fields.js';
import { phoneContext } from '../../src/contact/phone.js';
import { RecordLineDigester, type DigestedLines } from '../../src/fast/record-lines.js';
import { splitBlock } from '../../src/singer/lines.js';
import { parseSingerLine } from '../../src/singer/reader.js';
import { Random } from '../support/random.js';

const PROFILE_FIELDS: ProfileField[] = [
  { segmentationFieldId: 31, segmentationFieldName: 'Favorite Store', dataType: 'Text', maxLength: 12 },
  { segmentationFieldId: 32, segmentationFieldName: 'Loyalty Points', dataType: 'Number', maxLength: 6 },
  { segmentationFieldId: 33, segmentationFieldName: 'VIP', dataType: 'Checkbox' },
  { segmentationFieldId: 34, segmentationFieldName: 'Joined', dataType: 'Date' },
  { segmentationFieldId: 35, segmentationFieldName: 'Notes', dataType: 'Text' },
  { segmentationFieldId: 36, segmentationFieldName: 'Constructor', dataType: 'Text' },
];
const OPTIONAL = ['email', 'first_name', 'last_name', 'birthday', 'zip', 'favorite_store', 'loyalty_points', 'vip', 'joined', 'notes'];

const US = phoneContext('US');
const DE = phoneContext('DE');
// The ways warehouses write phones, and ways they should not: each must digest exactly as the reference reads it.
const PHONES = [
  '12025550100', '+12025550101', '+1 (202) 555-0102', '2025550103', '(202) 555-0104', '202-555-0105', '202.555.0106', '1-202-555-0107',
  '+1 202 555 0108', ' 2025550109', '2025550110 ', '(200) 000-0000', '12000000000', '015123456789', '15123456789', '+49 151 23456789',
  '012025550100', '+442071838750', '1202555010', '+0123456789', '++12025550100', '+', '()', '202 555 0111 x12', '202/555/0112',
  `${' '.repeat(31)}2025550113`, '1234567890123456', 'x', '', 12025550100, null, true,
];
const VALUES = ['u1@example.com', 'u2@example.co', 'bad@', 'a b@c.de', 'Ann', ' Ann', 'Ann ', 'José', 'x\ty', 'a\u007fb', '', 'a'.repeat(13), 'a'.repeat(51), '7', '007', '-3', '1.5', '1234567', 'yes', 'off', '1990-02-03', '2/3/1990', '1990-02-30', 0, 42, 1234567, -1, 2.5, true, null, [], { a: 1 }];

const CLEAN: Record<string, unknown[]> = {
  email: ['u1@example.com', 'a.b@c.org', null, ''],
  first_name: ['Ann', 'Bo', 'José', 7],
  last_name: ['Lee', 'Ng', null],
  birthday: ['1990-02-03', null],
  zip: ['10001', 10001, ''],
  favorite_store: ['Store 7', 'Main', 12],
  loyalty_points: [0, 42, '42', 1234567],
  vip: [true, 'yes', null],
  joined: ['2020-01-31', null],
  notes: ['ok', 'a longer note', ''],
};

/** A JSON string literal, now and then with every character escaped. */
function str(r: Random, s: string): string {
  return r.chance(0.05) ? `"${[...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(s);
}

function val(r: Random, v: unknown): string {
  return typeof v === 'string' ? str(r, v) : JSON.stringify(v);
}

const sp = (r: Random) => (r.chance(0.9) ? '' : r.pick([' ', '\t', '  ']));

function object(r: Random, entries: [string, string][]): string {
  return `{${sp(r)}${entries.map(([k, v]) => `${str(r, k)}${sp(r)}:${sp(r)}${v}`).join(`${sp(r)},${sp(r)}`)}${sp(r)}}`;
}

function shuffled<T>(r: Random, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

function recordLine(r: Random): string {
  const rec: [string, string][] = [];
  if (r.chance(0.95)) rec.push(['phone', val(r, r.chance(0.6) ? '12025550' + String(100 + r.int(900)) : r.pick(PHONES))]);
  // Mostly values a warehouse would send, so that many records digest; now and then anything at all.
  for (const p of OPTIONAL) if (r.chance(0.7)) rec.push([p, val(r, r.chance(0.85) ? r.pick(CLEAN[p] ?? ['x']) : r.pick(VALUES))]);
  if (r.chance(0.1)) rec.push(['constructor', val(r, 'x')]);
  if (r.chance(0.08)) rec.push(['_sdc_deleted_at', val(r, r.pick(['2026-11-26T00:00:00Z', null, '', 0, false]))]);
  if (r.chance(0.05)) rec.push(['__proto__', val(r, 'x')]);
  if (r.chance(0.1)) rec.push(['other', '{"phone":"19999999999","nested":[1,{"a":null}]}']);
  if (r.chance(0.05)) rec.push(['phone', val(r, r.pick(PHONES))]);
  const top: [string, string][] = [
    ['type', val(r, r.chance(0.9) ? 'RECORD' : r.pick(['SCHEMA', 'STATE', 'record', 7]))],
    ['stream', val(r, r.chance(0.9) ? 'audience' : r.pick(['orders', '', 5, null]))],
    ['record', r.chance(0.97) ? object(r, shuffled(r, rec)) : r.pick(['[]', 'null', '"x"'])],
  ];
  if (r.chance(0.05)) top.push(['record', object(r, rec)]);
  if (r.chance(0.1)) top.push(['time_extracted', '"2026-11-26T00:00:00Z"']);
  return sp(r) + object(r, r.chance(0.8) ? top : shuffled(r, top)) + sp(r);
}

function line(r: Random): string {
  const roll = r.int(40);
  if (roll === 0) return '';
  if (roll === 1) return r.pick([' ', '\t ', '\u00a0']);
  if (roll === 2) return '{"type":"STATE","value":{"a":1}}';
  if (roll === 3) return r.pick(['{"type":"RECORD"', 'not json', '{"type":"RECORD","stream":"audience","record":{"phone":"12025550100"}} x', '[]']);
  return recordLine(r);
}

function block(r: Random): Buffer {
  const lines = Array.from({ length: 1 + r.int(30) }, () => line(r));
  let text = lines.map((l) => l + r.pick(['\n', '\n', '\n', '\r\n', '\r'])).join('');
  // The input's last line may have no ending.
  if (r.chance(0.2)) text = text.replace(/(\r\n|\n|\r)$/, '');
  return Buffer.from(text);
}

/** The reference: the block split into lines, each parsed and digested as the worker did before lines were scanned. */
function reference(bytes: Buffer, ctx: DigestContext): DigestedLines {
  const lines = splitBlock(bytes);
  const out = { kinds: new Uint8Array(lines.length), keys: new Float64Array(lines.length), systemFp: new Float64Array(lines.length), customFp: new Float64Array(lines.length) };
  lines.forEach((text, i) => {
    let kind: number = LineKind.Parse;
    try {
      const msg = parseSingerLine(text, 0);
      if (!msg) kind = LineKind.Blank;
      else if (msg.type === 'RECORD' && msg.stream === 'audience') {
        const d = digestRecord(msg.record, ctx);
        if (d) {
          kind = LineKind.Digest;
          out.keys[i] = d.key;
          out.systemFp[i] = d.systemFp;
          out.customFp[i] = d.customFp;
        }
      }
    } catch {
      kind = LineKind.Parse;
    }
    out.kinds[i] = kind;
  });
  return out;
}

function context(r: Random): DigestContext {
  const properties = ['phone', ...OPTIONAL.filter(() => r.chance(0.6)), ...(r.chance(0.1) ? ['constructor'] : [])];
  const plan = buildFieldPlan({ properties, profileFields: PROFILE_FIELDS, includeCustomFields: true });
  if ('error' in plan) throw new Error(plan.error);
  return { plan, phone: r.chance(0.8) ? US : DE };
}

const plain = (d: DigestedLines) => ({ kinds: [...d.kinds], keys: [...d.keys], systemFp: [...d.systemFp], customFp: [...d.customFp] });

describe('audience line digests from bytes', () => {
  it('give the same kinds and digests as parsing each line, on 2,000 random blocks', () => {
    const r = new Random(31);
    let digested = 0;
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = block(r);
      const ctx = context(r);
      const expected = plain(reference(bytes, ctx));
      expect(plain(new RecordLineDigester(ctx, 'audience').digestBlock(bytes)), bytes.toString()).to.deep.equal(expected);
      digested += expected.kinds.filter((k) => k === LineKind.Digest).length;
      parsed += expected.kinds.filter((k) => k === LineKind.Parse).length;
    }
    // Both outcomes must be common for the comparison to mean anything.
    expect(digested).to.be.greaterThan(3000);
    expect(parsed).to.be.greaterThan(3000);
  });

  it('digests a clean record from its bytes exactly as digestRecord does', () => {
    const plan = buildFieldPlan({ properties: ['phone', 'email', 'first_name', 'zip', 'favorite_store', 'loyalty_points'], profileFields: PROFILE_FIELDS, includeCustomFields: true });
    if ('error' in plan) throw new Error(plan.error);
    const ctx: DigestContext = { plan, phone: US };
    const rec = { phone: '12025550100', email: 'u1@example.com', first_name: 'Ann', zip: '10001', favorite_store: 'Store 7', loyalty_points: 42 };
    const bytes = Buffer.from(JSON.stringify({ type: 'RECORD', stream: 'audience', record: rec }) + '\n');
    const d = new RecordLineDigester(ctx, 'audience').digestBlock(bytes);
    expect([...d.kinds]).to.deep.equal([LineKind.Digest]);
    const reference = digestRecord(rec, ctx);
    expect(reference).to.not.equal(undefined);
    expect([d.keys[0], d.systemFp[0], d.customFp[0]]).to.deep.equal([reference?.key, reference?.systemFp, reference?.customFp]);
  });
});
