/**
 * The unsubscribe phase: members missing from the audience are unsubscribed, answers that mean "already off the
 * list" count as done, and a real failure stops the run instead of being counted as an unsubscribe.
 */
import { expect } from 'chai';
import { ListrakError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { LIST, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { runTarget, sandboxWith } from '../support/harness.js';

const UNSUBSCRIBE = 'ContactListSubscription_DeleteUnsubscribeContactListSubscription';

describe('unsubscribing members who left the audience', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  /** Members 1..10; the audience keeps 1..8, so 9 and 10 leave. */
  async function twoLeave() {
    sandbox = await sandboxWith(baseSeed(Array.from({ length: 10 }, (_, i) => member(i + 1))));
    return sandbox;
  }
  const stayers = () => audience([1, 2, 3, 4, 5, 6, 7, 8].map((n) => row(n)));

  it('unsubscribes each member missing from the audience once, in batches, and counts the calls', async () => {
    const s = await twoLeave();
    const run = await runTarget(s, stayers(), { batch_size: 1 });
    expect(run.error).to.equal(undefined);
    expect(s.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8].map(phone));
    expect(s.state.writes).to.deep.equal([
      { op: 'unsubscribe', phone: phone(9) },
      { op: 'unsubscribe', phone: phone(10) },
    ]);
    expect(run.result?.counts.actions.unsubscribed).to.equal(2);
    expect(run.result?.counts.writes).to.deep.equal({ new: 0, update: 0, unsubscribe: 2, import: 0 });
  });

  it('counts a member already off the list, or gone from the sender code, as unsubscribed', async () => {
    const s = await twoLeave();
    s.faults.add({ operationId: UNSUBSCRIBE, status: 400, error: 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED' });
    s.faults.add({ operationId: UNSUBSCRIBE, status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE' });
    const run = await runTarget(s, stayers());
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.actions.unsubscribed).to.equal(2);
    expect(run.result?.counts.writes.unsubscribe).to.equal(2);
  });

  it('stops after the batch a failure happens in: the rest of that batch goes through, no later batch starts', async () => {
    sandbox = await sandboxWith(baseSeed(Array.from({ length: 10 }, (_, i) => member(i + 1))));
    const s = sandbox;
    s.faults.add({ operationId: UNSUBSCRIBE, status: 400, error: 'ERROR_INVALID_PARAMETER' });
    // 8, 9 and 10 leave; batches of two, with room for more calls in flight than a batch holds (so a batch of
    // three would start the third call before the failure is known).
    const run = await runTarget(s, audience([1, 2, 3, 4, 5, 6, 7].map((n) => row(n))), { batch_size: 2, max_concurrency: 2, max_unsubscribe_ratio: 0.5 });
    expect(run.error).to.be.instanceOf(ListrakError);
    // The call already queued in the failed batch still ends; give it the time to.
    for (let waited = 0; s.calls.get(UNSUBSCRIBE) !== 2 && waited < 2_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(s.calls.get(UNSUBSCRIBE)).to.equal(2);
    expect(s.state.subscribedPhones(LIST)).to.include(phone(10));
    expect(s.state.subscribedPhones(LIST).filter((p) => p === phone(8) || p === phone(9))).to.have.length(1);
  });

  for (const [what, fault] of [
    ['Listrak keeps failing (5xx after every retry)', { status: 503, times: 100 }],
    ['the credentials stop working', { status: 401, error: 'ERROR_UNAUTHORIZED', times: 100 }],
    ['Listrak refuses the call', { status: 400, error: 'ERROR_INVALID_PARAMETER', times: 100 }],
  ] as const) {
    it(`stops the run when ${what}, and leaves the members on the list`, async () => {
      const s = await twoLeave();
      s.faults.add({ operationId: UNSUBSCRIBE, ...fault });
      const run = await runTarget(s, stayers(), { max_retries: 1 });
      expect(run.error).to.be.instanceOf(ListrakError);
      expect((run.error as ListrakError).status).to.equal(fault.status);
      expect(s.state.subscribedPhones(LIST)).to.include.members([phone(9), phone(10)]);
      expect(run.result).to.equal(undefined);
      expect(run.states.map((st) => (st.listrak_sms as { phase: string }).phase)).to.not.include('unsubscribe');
    });
  }
});
