import { expect } from 'chai';
import type { ProfileField } from '../../src/listrak/sms.js';
import { page, type SmsContact } from '../../src/listrak/sms.js';
import { buildFieldPlan, type FieldPlan } from '../../src/contact/fields.js';
import { MembersPageReader, indexContacts } from '../../src/fast/members-page.js';
import { MemberIndexBuilder } from '../../src/tables/member-index.js';
import { Random } from '../support/random.js';

const PROFILE_FIELDS: ProfileField[] = [
  { segmentationFieldId: 31, segmentationFieldName: 'Favorite Store', dataType: 'Text', maxLength: 40 },
  { segmentationFieldId: 32, segmentationFieldName: 'Loyalty Points', dataType: 'Number' },
  { segmentationFieldId: 33, segmentationFieldName: 'VIP', dataType: 'Checkbox' },
  { segmentationFieldId: 34, segmentationFieldName: 'Joined', dataType: 'Date' },
];
const PROPERTIES = ['email', 'first_name', 'last_name', 'birthday', 'postal_code', 'favorite_store', 'loyalty_points', 'vip', 'joined'];

/** A JSON text written with random spacing and, now and then, strings spelled with \u escapes. */
type Json = string | number | boolean | null | Json[] | { entries: [string, Json][] };

function write(r: Random, v: Json): string {
  const sp = () => (r.chance(0.9) ? '' : r.pick([' ', '\n', '\t ']));
  if (typeof v === 'string') return r.chance(0.05) ? `"${[...v].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${sp()}${v.map((x) => write(r, x)).join(`${sp()},${sp()}`)}${sp()}]`;
  return `{${sp()}${v.entries.map(([k, x]) => `${JSON.stringify(k)}${sp()}:${sp()}${write(r, x)}`).join(`${sp()},${sp()}`)}${sp()}}`;
}

const PHONES: Json[] = ['12025550100', '12025550101', '14155550123', '+1 (202) 555-0142', '202-555-0199', '012025550100', 'not a phone', 12025550100, null];
const TEXTS: Json[] = ['u1@example.com', 'Ann', ' padded ', 'trail ', ' lead', 'José', '', null, 'a\u007fb', 'x\ty', 5, 0, true, 'no-at-sign', '1990-02-03', '2/3/1990', '19900203', '1990-02-30', 'u@b.c d'];
const STORED: Json[] = ['7', '007', '-0', '-3', '1.50', '0', '123456789012345', '1234567890123456', 'yes', 'true', 'off', '1990-02-03', '03/04/2001', 'Store 1', ' x ', 'x ', '', null, 12, 0, 1.5, -2, true, 'é', 'a\u007f'];

function contact(r: Random): Json {
  if (r.chance(0.02)) return r.pick<Json>([null, 5, 'x', []]);
  const entries: [string, Json][] = [];
  if (r.chance(0.95)) entries.push(['phoneNumber', r.pick(PHONES)]);
  for (const f of ['emailAddress', 'firstName', 'lastName', 'birthday', 'postalCode']) if (r.chance(0.8)) entries.push([f, r.pick(TEXTS)]);
  if (r.chance(0.5)) entries.push(['optedOut', r.chance(0.5)]);
  if (r.chance(0.1)) entries.push(['extra', { entries: [['phoneNumber', '19999999999'], ['nested', [1, { entries: [] }]]] }]);
  if (r.chance(0.9)) {
    const segs: Json[] = Array.from({ length: r.int(5) }, () => {
      const e: [string, Json][] = [];
      if (r.chance(0.95)) e.push(['segmentationFieldId', r.pick<Json>([31, 32, 33, 34, 34, '31', null])]);
      if (r.chance(0.95)) e.push(['value', r.pick(STORED)]);
      return { entries: r.chance(0.5) ? e : e.reverse() };
    });
    entries.push(['segmentationFieldValues', r.chance(0.03) ? r.pick<Json>(['x', { entries: [] }, [null]]) : r.chance(0.1) ? null : segs]);
  }
  // A key given twice: JSON.parse keeps the last.
  if (r.chance(0.05)) entries.push(['phoneNumber', r.pick(PHONES)]);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [entries[i], entries[j]] = [entries[j] as [string, Json], entries[i] as [string, Json]];
  }
  return { entries };
}

function pageText(r: Random): string {
  const entries: [string, Json][] = [
    ['status', 200],
    ['nextPageCursor', r.pick<Json>(['cDo1MDAw', null, ''])],
    ['data', Array.from({ length: r.int(40) }, () => contact(r))],
  ];
  if (r.chance(0.3)) entries.reverse();
  return write(r, { entries });
}

function plan(r: Random): FieldPlan {
  const properties = ['phone', ...PROPERTIES.filter(() => r.chance(0.6))];
  const p = buildFieldPlan({ properties, profileFields: PROFILE_FIELDS, includeCustomFields: true });
  if ('error' in p) throw new Error(p.error);
  return p;
}

type Outcome = { ok: true; index: unknown; cursor: string | null; members: number } | { ok: false; error: string };

function collected(builder: MemberIndexBuilder) {
  const parts = builder.parts();
  return { keys: [...parts.keys], systemFp: [...parts.systemFp], customFp: [...parts.customFp], rawPhones: [...parts.rawPhones], unmatchable: parts.unmatchable };
}

function scanned(text: string, p: FieldPlan): Outcome {
  const builder = new MemberIndexBuilder();
  try {
    const page = new MembersPageReader(p, 'US').read(Buffer.from(text), builder);
    return { ok: true, index: collected(builder), ...page };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

/** The reference: JSON.parse, page() and the contacts indexed one by one. */
function parsed(text: string, p: FieldPlan): Outcome {
  const builder = new MemberIndexBuilder();
  try {
    const pg = page<SmsContact>(JSON.parse(text));
    indexContacts(builder, pg.data, p, 'US');
    return { ok: true, index: collected(builder), cursor: pg.nextPageCursor, members: pg.data.length };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

describe('members page reader', () => {
  it('indexes exactly what JSON.parse and the reference path index, on 1,500 random pages', () => {
    const r = new Random(21);
    let contacts = 0;
    for (let i = 0; i < 1500; i++) {
      const text = pageText(r);
      const p = plan(r);
      const reference = parsed(text, p);
      expect(scanned(text, p), text).to.deep.equal(reference);
      if (reference.ok) contacts += reference.members;
    }
    expect(contacts).to.be.greaterThan(15_000);
  });

  it('fails a page that is not JSON with JSON.parse’s own error, and adds nothing of it', () => {
    const builder = new MemberIndexBuilder();
    const p = plan(new Random(1));
    expect(() => new MembersPageReader(p, 'US').read(Buffer.from('{"data":[{"phoneNumber":"12025550100"}'), builder)).to.throw(SyntaxError);
    expect(builder.count).to.equal(0);
  });

  it('reads a page whose data comes twice as JSON.parse does (the last one)', () => {
    const p = plan(new Random(2));
    const text = '{"data":[{"phoneNumber":"12025550100"}],"nextPageCursor":"c","data":[{"phoneNumber":"12025550101"},{"phoneNumber":"12025550102"}]}';
    const ours = scanned(text, p);
    expect(ours).to.deep.equal(parsed(text, p));
    expect(ours.ok && ours.members).to.equal(2);
  });
});
