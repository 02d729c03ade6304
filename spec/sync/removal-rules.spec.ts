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
      const [schema, ...records] = audience([row(1), row(2, { first_name: 'Renamed' }), row(6)]).split(/(?<=\n)/);
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
        "3 member(s) missing from the audience were not unsubscribed: the input carries STATE messages but none followed the audience's last record, " +
          'so it may have been cut short; rerun with the whole audience (or set require_final_state false for a tap that never writes a final STATE)',
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
      const [schema, ...records] = audience([1, 2, 3, 4, 5].map((n) => row(n))).split(/(?<=\n)/);
      const run = await runTarget(s, [schema, STATE({ bookmarks: {} }), ...records].join(''));
      expect(run.error).to.equal(undefined);
      expect(run.result?.counts.removalsWithheld).to.equal(undefined);
      expect(run.result?.counts.actions.unchanged).to.equal(5);
    });

    it('checks the guard only on a complete audience: a cut-short one withholds instead of refusing', async () => {
      const s = await fiveMembers();
      const [schema, ...records] = audience([row(1)]).split(/(?<=\n)/);
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
});
