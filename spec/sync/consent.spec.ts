/**
 * Consent comes first: a number that opted out of the sender code is never created or subscribed. Two guards hold
 * it, and each must hold alone: the opt-outs read when the sync prepares, and the lookup made just before a number
 * is subscribed (a person may opt out while the sync runs).
 */
import { expect } from 'chai';
import type { Sandbox } from '../../src/sandbox/server.js';
import { LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row, range } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls } from '../support/harness.js';
import { calledOnce } from '../support/timing.js';

describe('consent', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  it('plans no write for a number that opted out before the sync: the dry run counts it as opted out', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(8, { lists: [], optedOut: true })]));
    const run = await runTarget(sandbox, audience([row(1), row(8)]), {}, { dryRun: true });
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.planned).to.deep.include({ new: 0 });
    expect(run.result?.counts.actions.opted_out).to.equal(1);
    expect(run.log.join('\n')).to.match(/plan: 0 to create or subscribe, 0 to update, 1 unchanged, 0 to unsubscribe, 1 opted out/);
  });

  it('spends no call on a number that opted out before the sync', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(8, { lists: [], optedOut: true })]));
    const run = await runTarget(sandbox, audience([row(1), row(8)]));
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.actions.opted_out).to.equal(1);
    expect(sandbox.calls.get('Contact_GetContactResource')).to.equal(undefined);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(run.result?.counts.writes).to.deep.equal({ new: 0, update: 0, unsubscribe: 0, import: 0 });
  });

  it('never subscribes a number whose person opts out while the sync runs', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(9, { lists: [], emailAddress: 'old9@example.com' })]));
    const s = sandbox;
    // The members answer late: the opt-outs are read by then, the new number's lookup is still to come.
    s.faults.add({ operationId: 'Contact_GetContactCollection', delayMs: 150 });
    const optOut = calledOnce(s, 'Contact_GetContactCollection').then(() => {
      const nine = s.state.contact(SC, phone(9));
      if (nine) nine.optedOut = true;
    });
    const run = await runTarget(s, audience([row(1), row(9)]));
    await optOut;
    expect(run.error).to.equal(undefined);
    expect(s.state.subscribedPhones(LIST)).to.deep.equal([phone(1)]);
    expect(s.state.violations).to.deep.equal([]);
    expect(writeCalls(s)).to.deep.equal({});
    expect(s.state.contact(SC, phone(9))?.emailAddress).to.equal('old9@example.com');
    expect(run.result?.counts.actions).to.include({ opted_out: 1, subscribed: 0, created: 0 });
  });

  it('never subscribes a number that a create finds on the sender code after its person opted out', async () => {
    // Forty new numbers: the sync creates first; 150 exists on no list and opts out while the sync runs.
    sandbox = await sandboxWith(baseSeed([member(1), member(150, { lists: [] })]));
    const s = sandbox;
    s.faults.add({ operationId: 'Contact_GetContactCollection', delayMs: 150 });
    const optOut = calledOnce(s, 'Contact_GetContactCollection').then(() => {
      const c = s.state.contact(SC, phone(150));
      if (c) c.optedOut = true;
    });
    const run = await runTarget(s, audience([row(1), ...range(120, 160).map((n) => row(n))]));
    await optOut;
    expect(run.error).to.equal(undefined);
    expect(s.state.subscribedPhones(LIST)).to.not.include(phone(150));
    expect(s.state.subscribedPhones(LIST)).to.have.length(40);
    expect(s.state.violations).to.deep.equal([]);
    expect(run.result?.counts.actions).to.include({ opted_out: 1, created: 39 });
  });

  it('subscribes a number known from another list without creating it, and never one that opted out', async () => {
    sandbox = await sandboxWith(
      baseSeed([member(1), ...range(100, 140).map((n) => member(n, { lists: [OTHER_LIST] })), member(140, { lists: [OTHER_LIST], optedOut: true })]),
    );
    const run = await runTarget(sandbox, audience([row(1), ...range(100, 141).map((n) => row(n))]));
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.have.length(41);
    expect(sandbox.state.subscribedPhones(LIST)).to.not.include(phone(140));
    expect(sandbox.state.violations).to.deep.equal([]);
    expect(sandbox.state.writes.filter((w) => w.op === 'create')).to.deep.equal([]);
    expect(run.result?.counts.actions).to.include({ opted_out: 1, subscribed: 40 });
  });
});
