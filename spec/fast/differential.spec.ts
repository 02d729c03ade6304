/**
 * The fast path may change how fast, never what: whole syncs of random audiences, run once with the fast path
 * (byte-scanned member pages, audience lines digested on a worker, early digests settled against the index) and
 * once with the reference path alone, must end in the same list, the same write calls, the same rejects, the same
 * counts and the same STATE. The audiences write phones the ways warehouses do, and hold numbers libphonenumber
 * calls invalid that the list holds all the same.
 */
import { expect } from 'chai';
import type { SeedContact } from '../../src/sandbox/model.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FIELDS, LIST, OTHER_LIST, SC, baseSeed, type Row } from '../support/fixtures.js';
import { runTarget, sandboxWith, type SyncRun } from '../support/harness.js';
import { Random } from '../support/random.js';

const SCHEMA = {
  type: 'SCHEMA',
  stream: 'audience',
  key_properties: ['phone'],
  schema: {
    type: 'object',
    properties: Object.fromEntries(['phone', 'email', 'first_name', 'last_name', 'birthday', 'zip', 'favorite_store', 'loyalty_points', 'vip', 'last_order_date', '_sdc_deleted_at', 'sms_consent', 'sms_consent_at'].map((p) => [p, {}])),
  },
};

/** Ten digits of a US number: valid area codes, and now and then area code 200, which libphonenumber calls invalid. */
function national(r: Random, i: number): string {
  const area = r.chance(0.1) ? '200' : r.pick(['215', '267', '415', '312', '646']);
  return `${area}${String(200 + (i % 800)).padStart(3, '0')}${String(i % 10000).padStart(4, '0')}`;
}

/** The ways a warehouse writes a US phone. */
function written(r: Random, d: string): unknown {
  const [a, b, c] = [d.slice(0, 3), d.slice(3, 6), d.slice(6)];
  return r.pick<unknown>([`1${d}`, `+1${d}`, d, `(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `${a}.${b}.${c}`, `+1 ${a} ${b} ${c}`, `1-${a}-${b}-${c}`, ` ${d} `, `+1 (${a}) ${b}-${c}`, Number(`1${d}`)]);
}

const VALUES: Record<string, unknown[]> = {
  email: ['a@example.com', 'b@example.org', null, '', 'not-an-email', ' c@example.com '],
  first_name: ['Ann', 'Bo', null, '', 'José', ' Pad ', 7, true, 'x'.repeat(51)],
  last_name: ['Lee', null, 'Ng'],
  birthday: ['1990-05-01', '5/1/1990', '19900501', '1990-05-01T00:00:00Z', null, '1899-12-31', '2100-12-31', ' 1990-05-01 '],
  zip: ['19103', 19103, null, ''],
  favorite_store: ['Main', 'Store 7', null, 'y'.repeat(21)],
  loyalty_points: [0, 12, '12', '12.0', null, 'lots'],
  vip: [true, false, 'yes', ' no ', null, 'maybe'],
  last_order_date: ['2026-01-31', '1/31/2026', null, '2026-02-30'],
};

/** Consent as warehouses write it: granted, revoked, unknown and unreadable; times present, absent and bad. */
const CONSENT: Record<string, unknown[]> = {
  sms_consent: [true, false, 'yes', 'STOP', ' opted_out ', 'Granted', 1, 0, null, '', '  ', 'maybe'],
  sms_consent_at: ['2026-03-01T00:00:00Z', '2026-03-02', '2026-03-01 00:00:00', null, '', 'last week'],
};

/** Now and then a consent value, with or without a time. */
function withConsent(r: Random, row: Row, chance: number): Row {
  if (r.chance(chance)) row.sms_consent = r.pick(CONSENT.sms_consent as unknown[]);
  if (r.chance(chance)) row.sms_consent_at = r.pick(CONSENT.sms_consent_at as unknown[]);
  return row;
}

/** A record with the member's own values: unchanged, however its phone is written. */
function sameAs(c: SeedContact): Row {
  const f = c.fields ?? {};
  return {
    email: c.emailAddress,
    first_name: c.firstName,
    last_name: c.lastName,
    birthday: c.birthday?.slice(0, 10) ?? null,
    zip: c.postalCode,
    favorite_store: f[FIELDS.store] ?? null,
    loyalty_points: f[FIELDS.points] === undefined ? null : Number(f[FIELDS.points]),
    vip: f[FIELDS.vip] === undefined ? null : f[FIELDS.vip] === 'true',
    last_order_date: f[FIELDS.lastOrder] ?? null,
  };
}

/**
 * How the input ends, as real taps end it (README "How removal works"): with the final STATE, an ACTIVATE_VERSION
 * after the last record, cut at a line (after a STATE mid-stream or with none), cut mid-line, or as an incremental
 * delta. Only the first two prove the audience whole.
 */
const ENDINGS = ['final_state', 'activate_version', 'cut', 'cut_after_state', 'partial_line', 'incremental'] as const;
type Ending = (typeof ENDINGS)[number];

interface Scenario {
  members: SeedContact[];
  input: string;
  /** removal_scope "managed" (then some members carry the managed field), or the list scope. */
  managedScope: boolean;
  /** require_consent: new numbers only with granted consent. */
  requireConsent: boolean;
}

const MANAGED_FIELD = 39;

function scenario(seed: number, ending: Ending = 'final_state'): Scenario {
  const r = new Random(seed);
  const managedScope = seed % 2 === 0;
  const requireConsent = seed % 3 === 0;
  const members: SeedContact[] = [];
  const rows: Row[] = [];
  const pick = (key: string) => r.pick(VALUES[key] ?? [null]);
  for (let i = 0; i < 240; i++) {
    const d = national(r, i);
    const onList = r.chance(0.75);
    const contact: SeedContact = {
      senderCodeId: SC,
      phoneNumber: `1${d}`,
      emailAddress: r.pick(['a@example.com', null]),
      firstName: r.pick(['Ann', 'Bo', null]),
      lastName: r.pick(['Lee', null]),
      birthday: r.pick(['1990-05-01T00:00:00', null]),
      postalCode: r.pick(['19103', null]),
      optedOut: r.chance(0.05),
      fields: {
        ...(r.chance(0.5) ? { [FIELDS.store]: 'Main', [FIELDS.points]: '12', [FIELDS.vip]: 'true', [FIELDS.lastOrder]: '2026-01-31' } : {}),
        ...(managedScope && r.chance(0.6) ? { [MANAGED_FIELD]: r.pick(['true', 'True', 'false', '1']) } : {}),
      },
      lists: onList ? [LIST] : r.chance(0.5) ? [OTHER_LIST] : [],
    };
    if (onList || r.chance(0.5)) members.push(contact);
    if (!r.chance(0.8)) continue;
    const row: Row = r.chance(0.5) ? sameAs(contact) : { phone: null };
    row.phone = written(r, d);
    for (const key of Object.keys(VALUES)) if (r.chance(0.15)) row[key] = pick(key);
    if (r.chance(0.04)) row._sdc_deleted_at = '2026-11-27T00:00:00Z';
    rows.push(withConsent(r, row, 0.3));
    // Rows for one phone that disagree about consent: the latest event must win either way.
    if (r.chance(0.06)) rows.push(withConsent(r, { ...row, phone: written(r, d) }, 0.7));
  }
  // People to add, and numbers that must never be added.
  for (let i = 0; i < 40; i++) rows.push(withConsent(r, { phone: written(r, national(r, 5000 + i)), first_name: pick('first_name') }, 0.5));
  for (const p of ['+49 151 23456789', '+44 7700 900123', '+1 800 555 0123', '911', '', null, 'call me']) rows.push({ phone: p });
  // Shuffle, so early digests, late records and duplicates mix.
  for (let i = rows.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [rows[i], rows[j]] = [rows[j] as Row, rows[i] as Row];
  }
  const records: object[] = rows.map((record) => ({ type: 'RECORD', stream: 'audience', record }));
  const state = { type: 'STATE', value: { bookmarks: { audience: ending === 'incremental' ? { replication_key: 'updated_at', replication_key_value: seed } : seed } } };
  const schema = ending === 'incremental' ? { ...SCHEMA, bookmark_properties: ['updated_at'] } : SCHEMA;
  const middle = Math.floor(records.length / 2);
  const lines: object[] =
    ending === 'activate_version'
      ? [schema, ...records, { type: 'ACTIVATE_VERSION', stream: 'audience', version: seed }]
      : ending === 'cut'
        ? [schema, ...records]
        : ending === 'cut_after_state'
          ? [schema, ...records.slice(0, middle), state, ...records.slice(middle)]
          : [schema, ...records, ...(ending === 'partial_line' ? [] : [state])];
  const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  return { members, managedScope, requireConsent, input: ending === 'partial_line' ? text + JSON.stringify(records[0]).slice(0, 30) : text };
}

/** Everything a sync's outcome is made of, in a form two runs can be compared by. */
function outcome(sandbox: Sandbox, run: SyncRun) {
  const book = sandbox.state.contactsOf(SC);
  const contacts = [...book.values()]
    .map((c) => ({ ...c, fields: Object.fromEntries(c.fields), json: undefined, subscribeDate: c.subscribeDate !== null, optOutDate: c.optOutDate !== null }))
    .sort((a, b) => a.phoneNumber.localeCompare(b.phoneNumber));
  const counts = run.result?.counts.toJSON() as Record<string, unknown> | undefined;
  const state = run.states.at(-1);
  return {
    error: run.error?.message,
    list: sandbox.state.subscribedPhones(LIST).sort(),
    contacts,
    writes: sandbox.state.writes.map((w) => `${w.op} ${w.phone}`).sort(),
    rejects: run.rejects.map((x) => `${String(x.line)} ${String(x.reason)} ${String(x.field)}`).sort(),
    counts: counts && { ...counts, phase_seconds: undefined },
    state: state && { ...state, listrak_sms: { ...(state.listrak_sms as object), run_id: undefined, counts: undefined } },
  };
}

describe('fast path against the reference path, whole syncs', function () {
  this.timeout(120_000);

  const cases: [number, Ending][] = [1, 2, 3, 4, 5, 6].map((seed) => [seed, 'final_state']);
  ENDINGS.slice(1).forEach((ending, i) => cases.push([7 + i, ending]));
  for (const [seed, ending] of cases) {
    it(`random audience ${seed}, ending ${ending}: the same list, writes, rejects, counts and STATE`, async () => {
      const s = scenario(seed, ending);
      const complete = ending === 'final_state' || ending === 'activate_version';
      const results = [];
      let early = 0;
      for (const fastPath of [true, false]) {
        // Small pages with latency: the audience is read while the members still are, so early digests are taken.
        const seedData = baseSeed(s.members);
        seedData.profileFields?.push({ segmentationFieldId: MANAGED_FIELD, segmentationFieldName: 'Managed', dataType: 'Checkbox' });
        const sandbox = await sandboxWith(seedData, { latencyMs: 15 });
        try {
          const scope = s.managedScope ? { removal_scope: 'managed', managed_field: 'Managed' } : {};
          const consent = { max_opt_out_ratio: 1, require_consent: s.requireConsent };
          const run = await runTarget(sandbox, s.input, { page_size: 10, max_unsubscribe_ratio: 1, ...scope, ...consent }, { fastPath, chunkChars: 4096 });
          results.push(outcome(sandbox, run));
          if (fastPath) early = run.result?.reading[0]?.early.records ?? 0;
        } finally {
          await sandbox.close();
        }
      }
      const [fast, reference] = results;
      expect(reference?.error, 'the reference run failed').to.equal(undefined);
      expect(fast).to.deep.equal(reference);
      // The scenario must exercise what it claims: early digests, writes of every kind, rejects, members unchanged.
      expect(early, 'records digested before the member index was complete').to.be.greaterThan(20);
      expect(reference?.writes.some((w) => w.startsWith('unsubscribe')), 'unsubscribes only from a complete audience').to.equal(complete);
      expect((reference?.counts as unknown as { removal: { withheld?: string } }).removal.withheld === undefined).to.equal(complete);
      expect(reference?.writes.some((w) => w.startsWith('create') || w.startsWith('subscribe'))).to.equal(true);
      expect(reference?.rejects.length).to.be.greaterThan(5);
      expect((reference?.counts as unknown as { unchanged: number }).unchanged).to.be.greaterThan(10);
      // Consent in every form: revocations honoured, unreadable values rejected, records of unknown consent.
      const consent = (reference?.counts as unknown as { consent: Record<string, number> }).consent;
      expect(consent.honoured, 'revocations honoured').to.be.greaterThan(0);
      expect(consent.unknown, 'records of unknown consent').to.be.greaterThan(50);
      expect(reference?.rejects.some((x) => x.endsWith('bad_consent sms_consent'))).to.equal(true);
    });
  }
});
