/**
 * How each audience record is read: which stream it belongs to, which member its phone names (or whether it is a
 * new number that may be added), and what the sync reports and samples for it.
 */
import { expect } from 'chai';
import { InputError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { SeedContact } from '../../src/sandbox/model.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row, range } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls } from '../support/harness.js';

const lines = (...messages: object[]) => messages.map((m) => JSON.stringify(m) + '\n').join('');
const record = (r: object, stream = 'audience') => ({ type: 'RECORD', stream, record: r });

describe('audience records', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  describe('messages around the records', () => {
    it('takes a SCHEMA sent again, with its properties in any order, and ACTIVATE_VERSION messages', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
      const reordered = { ...AUDIENCE_SCHEMA, schema: { type: 'object', properties: Object.fromEntries(Object.entries(AUDIENCE_SCHEMA.schema.properties).reverse()) } };
      const run = await runTarget(
        sandbox,
        lines(AUDIENCE_SCHEMA, { type: 'ACTIVATE_VERSION', stream: 'audience', version: 1 }, record(row(1)), AUDIENCE_SCHEMA, reordered, record(row(2, { first_name: 'Two' }))),
      );
      expect(run.error).to.equal(undefined);
      expect(run.result?.counts.records).to.equal(2);
      expect(run.result?.counts.actions).to.include({ unchanged: 1, updated: 1 });
    });

    it("lets another stream's SCHEMA change, and fails on a RECORD of a stream that is not the audience", async () => {
      sandbox = await sandboxWith(baseSeed([member(1)]));
      const orders = (props: object) => ({ type: 'SCHEMA', stream: 'orders', schema: { properties: props } });
      const run = await runTarget(sandbox, lines(AUDIENCE_SCHEMA, record(row(1)), orders({ id: {} }), orders({ id: {}, total: {} }), record({ id: 1 }, 'orders')));
      expect(run.error).to.be.instanceOf(InputError);
      expect(run.error?.message).to.equal('input line 5: RECORD for stream "orders", but the audience stream is "audience" (set audience_stream, or send one stream)');
      expect(writeCalls(sandbox)).to.deep.equal({});
    });

    it('counts every audience record, deleted and rejected ones included', async () => {
      sandbox = await sandboxWith(baseSeed([member(1)]));
      const run = await runTarget(sandbox, audience([row(1), row(2, { _sdc_deleted_at: '2024-01-01' }), row(3, { email: 'bad' }), row(1)]));
      expect(run.result?.counts.records).to.equal(4);
      expect(run.result?.report).to.match(/audience records\s+4\n/);
    });
  });

  describe('which member a phone names', () => {
    it('names a member by its valid number when the digits as written name nobody', async () => {
      // Written with its trunk 0 after the country code: the digits are 4407911123456, the number 447911123456.
      const uk: SeedContact = { ...member(0), phoneNumber: '447911123456' };
      sandbox = await sandboxWith(baseSeed([uk, member(1)]));
      const run = await runTarget(sandbox, audience([row(1), { ...row(0), phone: '+44 (0)7911 123456' }]));
      expect(run.error).to.equal(undefined);
      expect(writeCalls(sandbox)).to.deep.equal({});
      expect(run.result?.counts.actions).to.include({ unchanged: 2, unsubscribed: 0 });
      expect(run.rejects).to.deep.equal([]);
    });

    it("names a member by a phone's international reading when its national reading names nobody", async () => {
      // A German sender code; a British number libphonenumber does not know, written without its +.
      const seed = baseSeed([{ ...member(0), phoneNumber: '447700900123' }, member(1)]);
      seed.senderCodes = [{ shortCodeId: SC, code: '55555', country: 'DE' }];
      sandbox = await sandboxWith(seed);
      const run = await runTarget(sandbox, audience([row(1), { ...row(0), phone: '44 7700 900123', first_name: 'Renamed' }]));
      expect(run.error).to.equal(undefined);
      expect(sandbox.state.writes).to.deep.equal([{ op: 'update', phone: '447700900123' }]);
      expect(sandbox.state.subscribedPhones(LIST)).to.include('447700900123');
    });
  });

  describe('new numbers', () => {
    it('keeps the first record of a member, rejecting its repeats as duplicates', async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
      const run = await runTarget(sandbox, audience([row(1, { first_name: 'First' }), row(2), row(1, { first_name: 'Second' })]));
      expect(run.error).to.equal(undefined);
      expect(run.rejects.map((r) => [r.line, r.reason, r.field, r.detail])).to.deep.equal([[4, 'duplicate', 'phone', 'the phone appears earlier in the audience']]);
      expect(sandbox.state.contact(SC, phone(1))?.firstName).to.equal('First');
    });

    it('adds a new number once, rejecting its repeats as duplicates', async () => {
      sandbox = await sandboxWith(baseSeed([member(1)]));
      const run = await runTarget(sandbox, audience([row(1), row(6), row(6, { first_name: 'Again' }), { ...row(6), phone: '(215) 555-0006' }]));
      expect(run.error).to.equal(undefined);
      expect(run.rejects.map((r) => [r.line, r.reason, r.detail])).to.deep.equal([
        [4, 'duplicate', 'the phone appears earlier in the audience'],
        [5, 'duplicate', 'the phone appears earlier in the audience'],
      ]);
      expect(sandbox.state.writes).to.deep.equal([{ op: 'create', phone: phone(6) }]);
      expect(sandbox.state.contact(SC, phone(6))?.firstName).to.equal('First6');
    });

    it('never adds a number the sender code cannot text: another country, toll-free', async () => {
      sandbox = await sandboxWith(baseSeed([member(1)]));
      const run = await runTarget(sandbox, audience([row(1), { ...row(6), phone: '+44 7400 123456' }, { ...row(7), phone: '1 800 555 0123' }]));
      expect(run.error).to.equal(undefined);
      expect(run.rejects.map((r) => [r.line, r.reason, r.field])).to.deep.equal([
        [3, 'wrong_country', 'phone'],
        [4, 'not_textable', 'phone'],
      ]);
      expect(writeCalls(sandbox)).to.deep.equal({});
    });

    it('adds a number from an allowed country', async () => {
      sandbox = await sandboxWith(baseSeed([member(1)]));
      const run = await runTarget(sandbox, audience([row(1), { ...row(6), phone: '+44 7400 123456' }]), { allowed_countries: ['GB'] });
      expect(run.error).to.equal(undefined);
      expect(sandbox.state.writes).to.deep.equal([{ op: 'create', phone: '447400123456' }]);
    });

    it('looks each of 39 new numbers up, and reads the other lists instead for 40', async () => {
      for (const [added, lookups] of [
        [39, 39],
        [40, 0],
      ] as const) {
        const s = await sandboxWith(baseSeed([member(1)]));
        try {
          const run = await runTarget(s, audience([row(1), ...range(100, 100 + added).map((n) => row(n))]));
          expect(run.error).to.equal(undefined);
          expect(run.result?.counts.readsForNew.lookups, `${added} new`).to.equal(lookups);
          expect((run.result?.counts.readsForNew.list_pages ?? 0) > 0, `${added} new`).to.equal(lookups === 0);
          expect(s.state.subscribedPhones(LIST)).to.have.length(added + 1);
        } finally {
          await s.close();
        }
      }
    });

    it('shows three masked samples of each kind of write in a dry run', async () => {
      sandbox = await sandboxWith(baseSeed([1, 2, 3, 4, 5].map((n) => member(n)).concat(member(9, { lists: [OTHER_LIST] }))));
      const run = await runTarget(sandbox, audience([...[1, 2, 3, 4].map((n) => row(n, { first_name: 'New' })), ...range(6, 10).map((n) => row(n))]), { max_unsubscribe_ratio: 1 }, { dryRun: true });
      expect(run.error).to.equal(undefined);
      expect(run.log.join('\n')).to.include(
        'samples: update *******0001 (fields_changed: emailAddress, firstName, lastName), update *******0002 (fields_changed: emailAddress, firstName, lastName), ' +
          'update *******0003 (fields_changed: emailAddress, firstName, lastName), create *******0006 (new_in_audience), create *******0007 (new_in_audience), ' +
          'create *******0008 (new_in_audience), unsubscribe *******0005 (absent_from_complete_audience)',
      );
    });
  });
});
