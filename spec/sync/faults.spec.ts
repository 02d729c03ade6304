import { expect } from 'chai';
import { ListrakError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FIELDS, LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls } from '../support/harness.js';

describe('audience sync under faults', () => {
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.close());

  /** Members 1..10; 11 exists on another list; the audience drops 10, changes 1 and 2, adds 11 and 12. */
  async function setup() {
    sandbox = await sandboxWith(baseSeed([...Array.from({ length: 10 }, (_, i) => member(i + 1)), member(11, { lists: [OTHER_LIST] })]));
  }
  const input = () =>
    audience([
      row(1, { first_name: 'Renamed' }),
      row(2, { favorite_store: 'Fishtown' }),
      ...[3, 4, 5, 6, 7, 8, 9].map((n) => row(n)),
      row(11),
      row(12, { loyalty_points: 4 }),
    ]);

  function expectConverged() {
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12].map(phone));
    expect(sandbox.state.contact(SC, phone(1))?.firstName).to.equal('Renamed');
    expect(sandbox.state.contact(SC, phone(2))?.fields.get(FIELDS.store)).to.equal('Fishtown');
    expect(sandbox.state.contact(SC, phone(12))?.fields.get(FIELDS.points)).to.equal('4');
    expect(sandbox.state.violations).to.deep.equal([]);
  }

  it('rides out 429s (with Retry-After) and 5xx on every route', async () => {
    await setup();
    for (const operationId of [
      'PhoneList_GetListResource',
      'Contact_GetContactCollection',
      'Contact_GetContactResource',
      'Contact_PostContactListResource',
      'Contact_PutContactResource',
      'ContactListSubscription_PostContactListSubscription',
      'ContactListSubscription_DeleteUnsubscribeContactListSubscription',
      'Contact_PostImportFileResource',
      'Contact_GetImportFileResource',
    ]) {
      sandbox.faults.add({ operationId, status: 429, retryAfterS: 0 });
      sandbox.faults.add({ operationId, status: 503 });
    }
    sandbox.faults.add({ operationId: 'token', status: 500 });
    const run = await runTarget(sandbox, input());
    expect(run.error).to.equal(undefined);
    expectConverged();
    expect(sandbox.faults.pending()).to.equal(0);
    let retries = 0;
    for (const n of run.http.counter.retries.values()) retries += n;
    expect(retries).to.equal(18);
  });

  it('retries dropped connections and timeouts', async () => {
    await setup();
    sandbox.faults.add({ operationId: 'Contact_PutContactResource', drop: true });
    sandbox.faults.add({ operationId: 'Contact_GetContactCollection', delayMs: 600 });
    const run = await runTarget(sandbox, input(), { request_timeout_ms: 300 });
    expect(run.error).to.equal(undefined);
    expectConverged();
  });

  it('turns a create whose answer was lost into a subscribe, never a second contact', async () => {
    await setup();
    sandbox.faults.add({ operationId: 'Contact_PostContactListResource', status: 502, afterHandler: true });
    const run = await runTarget(sandbox, input());
    expect(run.error).to.equal(undefined);
    expectConverged();
    expect(sandbox.state.writes.filter((w) => w.op === 'create').map((w) => w.phone)).to.deep.equal([phone(12)]);
    expect(sandbox.calls.get('Contact_PostContactListResource')).to.equal(2); // the retry answered ERROR_PHONE_NUMBER_FOUND
  });

  it('counts a subscribe or unsubscribe whose answer was lost as done', async () => {
    await setup();
    sandbox.faults.add({ operationId: 'ContactListSubscription_PostContactListSubscription', status: 500, afterHandler: true });
    sandbox.faults.add({ operationId: 'ContactListSubscription_DeleteUnsubscribeContactListSubscription', status: 500, afterHandler: true });
    const run = await runTarget(sandbox, input());
    expect(run.error).to.equal(undefined);
    expectConverged();
    expect(run.result?.counts.actions).to.include({ subscribed: 1, unsubscribed: 1 });
  });

  it('renews a token that expires mid-run and carries on', async () => {
    await setup();
    sandbox.faults.add({ operationId: 'Contact_GetContactCollection', delayMs: 50 });
    setTimeout(() => sandbox.expireTokens(), 25);
    const run = await runTarget(sandbox, input());
    expect(run.error).to.equal(undefined);
    expect(sandbox.calls.get('token')).to.equal(2);
    expectConverged();
  });

  it('rejects contacts Listrak refuses (banned, suspended) and carries on', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3, { lists: [], banned: true }), member(4, { lists: [], suspended: true })]));
    const run = await runTarget(sandbox, audience([row(1), row(2), row(3), row(4), row(5)]));
    expect(run.error).to.equal(undefined);
    expect(run.rejects.map((r) => r.listrak_code)).to.have.members(['ERROR_BANNED_PHONE_NUMBER', 'ERROR_PHONE_NUMBER_SUSPENDED']); // in the order the concurrent writes ended
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 5].map(phone));
  });

  for (const [code, message] of [
    ['ERROR_LIST_INACTIVE', /list 2002 is inactive in Listrak/],
    ['ERROR_INVALID_LIST_ID', /list 2002 does not exist under sender code 1001/],
    ['ERROR_SENDER_CODE_DISABLED', /sender code 1001 is disabled/],
  ] as const) {
    it(`stops the run with a clear message on ${code}`, async () => {
      await setup();
      sandbox.faults.add({ operationId: 'Contact_PostContactListResource', status: 400, error: code });
      const run = await runTarget(sandbox, input());
      expect(run.error).to.be.instanceOf(ListrakError);
      expect(run.error?.message).to.match(message);
      expect(writeCalls(sandbox)).to.not.have.property('ContactListSubscription_DeleteUnsubscribeContactListSubscription');
    });
  }

  it('stops, before any write, when Listrak hands back a members cursor it already gave', async () => {
    await setup();
    // Pages of 3: the second page's answer names its own cursor as the next one.
    sandbox.faults.add({ operationId: 'Contact_GetContactCollection', repeatCursor: true, skip: 1 });
    const run = await runTarget(sandbox, input(), { page_size: 3 });
    expect(run.error?.message).to.match(/paging: Listrak returned the cursor \S+ twice/);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(sandbox.faults.pending()).to.equal(0);
  });

  it('never logs a secret, a token or a full phone, even while retrying', async () => {
    await setup();
    sandbox.faults.add({ operationId: 'Contact_PutContactResource', status: 503, message: `upstream failed for ${phone(1)}` });
    sandbox.faults.add({ operationId: 'Contact_PostContactListResource', status: 400, error: 'ERROR_INVALID_PARAMETER', message: `bad phone ${phone(12)}` });
    const run = await runTarget(sandbox, input());
    const text = [...run.log, run.result?.report ?? '', String(run.error ?? '')].join('\n');
    expect(text).to.match(/updateContact: retry 1 of 5 after HTTP 503; waiting \d+\.\d s/);
    for (const secret of ['test-secret-value', ...sandbox.issuedTokens()]) expect(text).to.not.include(secret);
    for (let n = 1; n <= 12; n++) expect(text).to.not.include(phone(n));
  });
});
