/**
 * Who may be unsubscribed: only members missing from a complete audience, and only when the guard lets the sync
 * through. Rows the source deleted are not audience members.
 */
import { expect } from 'chai';
import { GuardError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { LIST, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { phases, runTarget, sandboxWith, writeCalls } from '../support/harness.js';

const UNSUBSCRIBE = 'ContactListSubscription_DeleteUnsubscribeContactListSubscription';
const STATE = (value: unknown) => JSON.stringify({ type: 'STATE', value }) + '\n';

describe('removal rules', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  /** Members 1..5. */
  async function fiveMembers() {
    sandbox = await sandboxWith(baseSeed([1, 2, 3, 4, 5].map((n) => member(n))));
    return sandbox;
  }

  describe('only a complete audience removes', () => {
    /** A tap that wrote a STATE, then records 1, 2 (renamed) and 6, and died before its final STATE. */
    const cutShort = () => {
      const [schema, ...records] = audience([row(1), row(2, { first_name: 'Renamed' }), row(6)], { cut: true }).split(/(?<=\n)/);
      return [schema, STATE({ bookmarks: { audience: 1 } }), ...records].join('');
    };

    it('withholds every removal when no STATE follows the last record, and applies adds and updates', async () => {
      const s = await fiveMembers();
      const run = await runTarget(s, cutShort());
      expect(run.error).to.equal(undefined);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5, 6].map(phone));
      expect(s.state.contact(SC, phone(2))?.firstName).to.equal('Renamed');
      expect(s.calls.get(UNSUBSCRIBE)).to.equal(undefined);
      expect(run.result?.counts.removalsWithheld).to.equal(
        '3 member(s) missing from the audience were not unsubscribed: no STATE or ACTIVATE_VERSION follows the last record of stream "audience" (line 5), ' +
          'so the input may have been cut short; end the input with a STATE line, as a tap does when its stream is whole, or set removal_evidence "end_of_input" ' +
          'for an input that never carries state',
      );
      expect(run.result?.counts.planned.unsubscribe).to.equal(0);
    });

    it('removes the members missing from an audience a STATE closes', async () => {
      const s = await fiveMembers();
      // In pieces, as a pipe delivers it: the last STATE is read on the worker thread's side.
      const run = await runTarget(s, cutShort() + STATE({ bookmarks: { audience: 2 } }), { max_unsubscribe_ratio: 0.6 }, { chunkChars: 100 });
      expect(run.error).to.equal(undefined);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 6].map(phone));
      expect(run.result?.counts.removalsWithheld).to.equal(undefined);
      expect(run.states.at(-1)).to.deep.include({ bookmarks: { audience: 2 } });
    });

    it('removes without a final STATE when require_final_state is off', async () => {
      const s = await fiveMembers();
      const run = await runTarget(s, cutShort(), { require_final_state: false, max_unsubscribe_ratio: 0.6 });
      expect(run.error).to.equal(undefined);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 6].map(phone));
      expect(run.result?.counts.removalsWithheld).to.equal(undefined);
    });

    it('withholds nothing when nobody is missing, even without a final STATE', async () => {
      const s = await fiveMembers();
      const [schema, ...records] = audience([1, 2, 3, 4, 5].map((n) => row(n)), { cut: true }).split(/(?<=\n)/);
      const run = await runTarget(s, [schema, STATE({ bookmarks: {} }), ...records].join(''));
      expect(run.error).to.equal(undefined);
      expect(run.result?.counts.removalsWithheld).to.equal(undefined);
      expect(run.result?.counts.actions.unchanged).to.equal(5);
    });

    it('checks the guard only on a complete audience: a cut-short one withholds instead of refusing', async () => {
      const s = await fiveMembers();
      const [schema, ...records] = audience([row(1)], { cut: true }).split(/(?<=\n)/);
      const run = await runTarget(s, [schema, STATE({}), ...records].join(''));
      expect(run.error).to.equal(undefined);
      expect(run.result?.counts.removalsWithheld).to.match(/^4 member\(s\) missing/);
      expect(s.state.subscribedPhones(LIST)).to.have.length(5);
    });
  });

  describe('the guard', () => {
    it('lets through a sync that unsubscribes exactly max_unsubscribe_ratio of the list, and refuses one more', async () => {
      const s = await fiveMembers();
      const refused = await runTarget(s, audience([row(1), row(2), row(3)]), { max_unsubscribe_ratio: 0.39 });
      expect(refused.error).to.be.instanceOf(GuardError);
      expect(refused.error?.message).to.equal(
        'refusing to unsubscribe 2 of 5 members (40.0%), more than max_unsubscribe_ratio 0.39; if the audience really shrank, raise max_unsubscribe_ratio for this run',
      );
      expect(writeCalls(s)).to.deep.equal({});
      const allowed = await runTarget(s, audience([row(1), row(2), row(3)]), { max_unsubscribe_ratio: 0.4 });
      expect(allowed.error).to.equal(undefined);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3].map(phone));
    });

    it('fills an empty list without the guard standing in the way', async () => {
      sandbox = await sandboxWith(baseSeed([]));
      const run = await runTarget(sandbox, audience([row(1), row(2)]), { max_unsubscribe_ratio: 0 });
      expect(run.error).to.equal(undefined);
      expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1), phone(2)]);
    });
  });

  describe('rows the source deleted', () => {
    it('unsubscribes a member whose only row the source deleted, and never adds a deleted new row', async () => {
      const s = await fiveMembers();
      const rows = [row(1), row(2), row(3), row(4), row(5, { _sdc_deleted_at: '2024-05-01T00:00:00Z' }), row(6, { _sdc_deleted_at: 1714521600 })];
      const run = await runTarget(s, audience(rows));
      expect(run.error).to.equal(undefined);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4].map(phone));
      expect(run.result?.counts.removal.deleted_in_source).to.equal(2);
      expect(run.rejects).to.deep.equal([]);
    });

    it('keeps a member whose row carries an empty deletion mark', async () => {
      const s = await fiveMembers();
      const rows = [row(1), row(2), row(3, { _sdc_deleted_at: null }), row(4, { _sdc_deleted_at: '' }), row(5, { _sdc_deleted_at: '  ' })];
      const run = await runTarget(s, audience(rows));
      expect(run.error).to.equal(undefined);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5].map(phone));
      expect(run.result?.counts.removal.deleted_in_source).to.equal(0);
      expect(phases(run)).to.include('unsubscribe');
    });
  });

  describe('the managed scope', () => {
    const MANAGED = 36;
    const managedScope = { removal_scope: 'managed', managed_field: 'Managed By Warehouse', max_unsubscribe_ratio: 0.5 };
    /** Members 1 and 2 carry the managed field; 3 and 4 came from elsewhere; 6 is on another list. */
    async function mixedList() {
      const seed = baseSeed([member(1, { fields: { [MANAGED]: 'true' } }), member(2, { fields: { [MANAGED]: ' Yes ' } }), member(3), member(4, { fields: { [MANAGED]: 'false' } }), member(6, { lists: [2003] })]);
      seed.profileFields = [...(seed.profileFields ?? []), { segmentationFieldId: MANAGED, segmentationFieldName: 'Managed By Warehouse', dataType: 'Checkbox' }];
      sandbox = await sandboxWith(seed);
      return sandbox;
    }
    const flag = (s: Sandbox, n: number) => s.state.contact(SC, phone(n))?.fields.get(MANAGED);

    it('unsubscribes only managed members who left, keeps the others, and marks everyone it adds or finds', async () => {
      const s = await mixedList();
      const run = await runTarget(s, audience([row(1), row(3), row(5), row(6)]), managedScope);
      expect(run.error).to.equal(undefined);
      expect(s.state.writes.filter((w) => w.op === 'unsubscribe').map((w) => w.phone)).to.deep.equal([phone(2)]);
      expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 3, 4, 5, 6].map(phone));
      expect([flag(s, 1), flag(s, 3), flag(s, 4), flag(s, 5), flag(s, 6)]).to.deep.equal(['true', 'true', 'false', 'true', 'true']);
      const counts = run.result?.counts;
      expect(counts?.removal.kept_unmanaged, 'member 4 left, but is not managed').to.equal(1);
      expect(counts?.removal.marked_managed, '3 found in the audience, 5 created, 6 subscribed').to.equal(3);
      expect(counts?.planned.unsubscribe).to.equal(1);
    });

    it('marks a member only once: a managed member whose values changed is updated, not marked again', async () => {
      const s = await mixedList();
      // Members 4 and 2 unchanged: 4 is not managed yet, so it is marked; 2 is, so its digest settles it. In pieces,
      // as a pipe delivers it, so most records are digested on the worker thread.
      const input = audience([row(1, { first_name: 'Renamed' }), row(4), row(2), row(3, { first_name: 'Also renamed' })]);
      const run = await runTarget(s, input, managedScope, { chunkChars: 64 });
      expect(run.error).to.equal(undefined);
      expect(run.result?.reading[0]?.settledFromDigest).to.equal(1);
      expect(s.state.contact(SC, phone(1))?.firstName).to.equal('Renamed');
      expect(s.state.contact(SC, phone(3))?.firstName).to.equal('Also renamed');
      expect(run.result?.counts.removal.marked_managed, 'only members 3 and 4, who were not managed').to.equal(2);
      expect([flag(s, 1), flag(s, 2), flag(s, 3), flag(s, 4)]).to.deep.equal(['true', ' Yes ', 'true', 'true']);
    });

    it('takes the guard over the managed members, and writes nothing when it refuses', async () => {
      const s = await mixedList();
      const run = await runTarget(s, audience([row(3), row(4)]), managedScope);
      expect(run.error).to.be.instanceOf(GuardError);
      expect(run.error?.message).to.match(/^refusing to unsubscribe 2 of 2 managed members \(100\.0%\)/);
      expect(writeCalls(s)).to.deep.equal({});
    });

    it('lets the same share through at the ratio exactly', async () => {
      const s = await mixedList();
      const run = await runTarget(s, audience([row(1), row(3), row(4)]), managedScope);
      expect(run.error).to.equal(undefined);
      expect(s.state.writes.filter((w) => w.op === 'unsubscribe').map((w) => w.phone)).to.deep.equal([phone(2)]);
    });

    it('never lets the audience set or clear the managed field itself', async () => {
      const s = await mixedList();
      const schema = { type: 'SCHEMA', stream: 'audience', key_properties: ['phone'], schema: { properties: { phone: {}, first_name: {}, managed_by_warehouse: {} } } };
      const run = await runTarget(s, audience([row(1, { managed_by_warehouse: false }), row(2, { managed_by_warehouse: false })], { schema }), managedScope);
      expect(run.error).to.equal(undefined);
      expect([flag(s, 1), flag(s, 2)]).to.deep.equal(['true', ' Yes ']);
      expect(run.log.join('\n')).to.match(/matching the managed field, which only this tool sets \(ignored\): managed_by_warehouse/);
    });
  });
});
