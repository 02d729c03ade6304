/**
 * Adding people to the list in the fewest calls: phones the sender code's other lists already hold are subscribed
 * outright, unknown ones created outright, and a sync whose unknown phones mostly exist after all turns to lookups.
 */
import { expect } from 'chai';
import type { Sandbox } from '../../src/sandbox/server.js';
import { LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { runTarget, sandboxWith } from '../support/harness.js';

describe('new contacts', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const creates = (s: Sandbox) => s.state.writes.filter((w) => w.op === 'create').map((w) => w.phone);

  it('subscribes phones known from other lists, creates the rest, and updates only differing fields', async () => {
    sandbox = await sandboxWith(
      baseSeed([
        ...range(1, 6).map((n) => member(n)),
        // On another list: 100-104 with an older email, the rest as the audience has them.
        ...range(100, 140).map((n) => member(n, { lists: [OTHER_LIST], ...(n < 105 ? { emailAddress: `old${n}@example.com` } : {}) })),
        // On the sender code but on no list: the create finds them.
        ...range(140, 145).map((n) => member(n, { lists: [] })),
      ]),
    );
    const run = await runTarget(sandbox, audience([...range(1, 6), ...range(100, 180)].map((n) => row(n))));
    expect(run.error).to.equal(undefined);

    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([...range(1, 6), ...range(100, 180)].map(phone).sort());
    expect(creates(sandbox).sort()).to.deep.equal(range(145, 180).map(phone).sort()); // each once
    expect(sandbox.calls.get('Contact_GetContactResource')).to.equal(5); // only the five no list held
    expect(sandbox.calls.get('ContactListSubscription_PostContactListSubscription')).to.equal(45);
    expect(sandbox.calls.get('Contact_PostContactListResource')).to.equal(40); // 35 made, 5 found
    expect(sandbox.calls.get('Contact_PutContactResource')).to.equal(5); // 100-104's email
    expect(sandbox.state.contact(SC, phone(100))?.emailAddress).to.equal('p100@example.com');
    const counts = run.result?.counts;
    expect(counts?.actions).to.include({ created: 35, subscribed: 45, updated: 5 });
    expect(counts?.readsForNew).to.deep.equal({ lookups: 5, list_pages: 4 });
    expect(run.log.join('\n')).to.match(/40 of 80 new phones found on the sender code's other lists \(4 reads\)/);
  });

  it('turns to lookups when most phones it creates turn out to exist', async () => {
    sandbox = await sandboxWith(baseSeed(range(200, 260).map((n) => member(n, { lists: [] }))));
    const run = await runTarget(sandbox, audience(range(200, 260).map((n) => row(n))), { max_concurrency: 1 });
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.have.length(60);
    expect(creates(sandbox)).to.deep.equal([]);
    const tried = sandbox.calls.get('Contact_PostContactListResource') ?? 0;
    expect(tried).to.be.within(10, 12); // ten found, then lookups (two calls may already be in flight)
    expect(sandbox.calls.get('Contact_GetContactResource')).to.equal(60);
    expect(sandbox.calls.get('ContactListSubscription_PostContactListSubscription')).to.equal(60);
  });

  it('looks up first when there are too few new phones for a bulk read to pay', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(7, { lists: [OTHER_LIST] })]));
    const run = await runTarget(sandbox, audience([row(1), row(7), row(8)]));
    expect(run.error).to.equal(undefined);
    expect(sandbox.calls.get('PhoneList_GetListCollection') ?? 0).to.equal(0);
    expect(sandbox.calls.get('Contact_GetContactResource')).to.equal(2);
    expect(sandbox.calls.get('Contact_PostContactListResource')).to.equal(1);
    expect(creates(sandbox)).to.deep.equal([phone(8)]);
  });
});
