/**
 * Every way a new phone reaches the list, and what Listrak may answer on the way: the contact ends up subscribed
 * with the audience's values, or its row alone is rejected; the run goes on either way.
 */
import { expect } from 'chai';
import type { Sandbox } from '../../src/sandbox/server.js';
import { DOI_LIST, LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row, range } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls } from '../support/harness.js';
import { ListrakError } from '../../src/errors.js';

const CREATE = 'Contact_PostContactListResource';
const SUBSCRIBE = 'ContactListSubscription_PostContactListSubscription';
const LOOKUP = 'Contact_GetContactResource';

describe('adding contacts', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  it('writes the fields of a contact that a create finds already on the sender code', async () => {
    // Forty new numbers make the sync create first; 150 is on the sender code, on no list, with older values.
    sandbox = await sandboxWith(baseSeed([member(1), member(150, { lists: [], emailAddress: 'old150@example.com', firstName: null })]));
    const run = await runTarget(sandbox, audience([row(1), ...range(120, 160).map((n) => row(n))]));
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(150));
    expect(sandbox.state.contact(SC, phone(150))).to.include({ emailAddress: 'p150@example.com', firstName: 'First150' });
    expect(sandbox.state.writes).to.not.deep.include({ op: 'create', phone: phone(150) });
    expect(run.result?.counts.actions).to.include({ created: 39, subscribed: 1, updated: 1 });
    expect(run.result?.counts.removal.marked_managed, 'no managed scope, nobody marked').to.equal(0);
    // 40 creates (one found the contact), then its subscribe and its update.
    expect(run.result?.counts.writes).to.deep.equal({ new: 42, update: 0, unsubscribe: 0, import: 0 });
    expect(run.result?.counts.readsForNew.lookups).to.equal(1);
  });

  it('writes only the profile fields, by import, of a found contact whose system fields match', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(150, { lists: [], fields: { 31: 'Old City' } })]));
    const run = await runTarget(sandbox, audience([row(1), ...range(120, 160).map((n) => row(n, { favorite_store: 'Fishtown' }))]));
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.contact(SC, phone(150))?.fields.get(31)).to.equal('Fishtown');
    expect(sandbox.calls.get('Contact_PutContactResource')).to.equal(undefined);
    expect(run.result?.counts.actions).to.include({ created: 39, subscribed: 1, import_rows: 1 });
  });

  it('rejects only the row of a contact Listrak refuses to create, and creates the others', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    sandbox.faults.add({ operationId: CREATE, status: 400, error: 'ERROR_INVALID_EMAIL_ADDRESS' });
    const run = await runTarget(sandbox, audience([row(1), row(6), row(7)]), { max_concurrency: 1 });
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1), phone(7)]);
    expect(run.rejects).to.have.length(1);
    expect(run.rejects[0]).to.deep.include({ line: 3, reason: 'listrak_rejected', field: 'phone', detail: 'create: ERROR_INVALID_EMAIL_ADDRESS', listrak_code: 'ERROR_INVALID_EMAIL_ADDRESS' });
    expect(run.rejects[0]?.record).to.deep.include({ phoneNumber: phone(6), emailAddress: 'p6@example.com', firstName: 'First6' });
    expect(run.result?.counts.actions).to.include({ created: 1 });
    expect(run.result?.counts.writes.new).to.equal(2);
  });

  it('rejects only the row of a member Listrak refuses to update, and updates the others', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3)]));
    sandbox.faults.add({ operationId: 'Contact_PutContactResource', status: 400, error: 'ERROR_INVALID_PARAMETER' });
    const run = await runTarget(sandbox, audience([row(1, { first_name: 'A' }), row(2, { first_name: 'B' }), row(3)]), { max_concurrency: 1 });
    expect(run.error).to.equal(undefined);
    expect(run.rejects.map((r) => [r.reason, r.detail, r.listrak_code])).to.deep.equal([['listrak_rejected', 'update: ERROR_INVALID_PARAMETER', 'ERROR_INVALID_PARAMETER']]);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3].map(phone));
    expect(run.result?.counts.actions).to.include({ updated: 1, unchanged: 1 });
    expect(run.result?.counts.writes).to.deep.equal({ new: 0, update: 2, unsubscribe: 0, import: 0 });
  });

  it('counts a contact already waiting for its opt-in on the list as pending, without a create', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(9, { lists: [], pendingLists: [LIST] })]));
    const run = await runTarget(sandbox, audience([row(1), row(9)]));
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.actions).to.include({ pending: 1, subscribed: 0, created: 0 });
    expect(sandbox.calls.get(CREATE)).to.equal(undefined);
    expect(run.rejects).to.deep.equal([]);
  });

  it('counts a number Listrak says is already subscribed as subscribed', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(9, { lists: [OTHER_LIST] })]));
    sandbox.faults.add({ operationId: SUBSCRIBE, status: 400, error: 'ERROR_SUBSCRIBED_PHONE_NUMBER' });
    const run = await runTarget(sandbox, audience([row(1), row(9)]));
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.actions).to.include({ subscribed: 1, created: 0 });
    expect(run.rejects).to.deep.equal([]);
  });

  it('creates a contact that left the sender code after its other list was read', async () => {
    // Forty new numbers known from another list; the subscribe of 100 finds it gone.
    sandbox = await sandboxWith(baseSeed([member(1), ...range(100, 140).map((n) => member(n, { lists: [OTHER_LIST] }))]));
    sandbox.faults.add({ operationId: SUBSCRIBE, status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE' });
    const run = await runTarget(sandbox, audience([row(1), ...range(100, 140).map((n) => row(n))]), { max_concurrency: 1 });
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.have.length(41);
    // It was there after all: the create found it, and it was subscribed.
    expect(sandbox.calls.get(CREATE)).to.equal(1);
    expect(sandbox.calls.get(SUBSCRIBE)).to.equal(41);
    expect(run.result?.counts.actions).to.include({ subscribed: 40, created: 0 });
  });

  it('stops with a clear error when a contact it just looked up is gone when subscribed', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(9, { lists: [] })]));
    sandbox.faults.add({ operationId: SUBSCRIBE, status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE' });
    const run = await runTarget(sandbox, audience([row(1), row(9)]));
    expect(run.error?.message).to.equal('subscribe *******0009: Listrak no longer finds the contact it just showed');
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1)]);
  });

  it('rejects only the row of a contact whose subscribe Listrak refuses after a lookup, and never updates it', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(9, { lists: [], suspended: true, emailAddress: 'old9@example.com' })]));
    const run = await runTarget(sandbox, audience([row(1), row(9)]));
    expect(run.error).to.equal(undefined);
    expect(run.rejects.map((r) => [r.reason, r.detail])).to.deep.equal([['listrak_rejected', 'subscribe: ERROR_PHONE_NUMBER_SUSPENDED']]);
    expect(writeCalls(sandbox)).to.deep.equal({ [SUBSCRIBE]: 1 });
    expect(run.result?.counts.actions).to.include({ subscribed: 0, updated: 0 });
    expect(sandbox.calls.get('ContactListSubscription_GetContactListCollection')).to.equal(undefined);
  });

  it('never updates a contact known from another list whose subscribe Listrak refuses', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), ...range(100, 140).map((n) => member(n, { lists: [OTHER_LIST], ...(n === 100 ? { emailAddress: 'old100@example.com' } : {}) }))]));
    sandbox.faults.add({ operationId: SUBSCRIBE, status: 400, error: 'ERROR_PHONE_NUMBER_SUSPENDED' });
    const run = await runTarget(sandbox, audience([row(1), ...range(100, 140).map((n) => row(n))]), { max_concurrency: 1 });
    expect(run.error).to.equal(undefined);
    expect(run.rejects.map((r) => r.listrak_code)).to.deep.equal(['ERROR_PHONE_NUMBER_SUSPENDED']);
    expect(sandbox.calls.get('Contact_PutContactResource')).to.equal(undefined);
    expect(sandbox.state.contact(SC, phone(100))?.emailAddress).to.equal('old100@example.com');
    expect(run.result?.counts.actions).to.include({ subscribed: 39, updated: 0 });
  });

  it('keeps creating first while most creates make a contact, looking up only those a create finds', async () => {
    // Thirty numbers new to the sender code, then fifteen it already has on no list.
    sandbox = await sandboxWith(baseSeed([member(1), ...range(130, 145).map((n) => member(n, { lists: [] }))]));
    const run = await runTarget(sandbox, audience([row(1), ...range(100, 145).map((n) => row(n))]), { max_concurrency: 1 });
    expect(run.error).to.equal(undefined);
    expect(sandbox.calls.get(CREATE)).to.equal(45);
    expect(run.result?.counts.readsForNew.lookups).to.equal(15);
    expect(run.result?.counts.actions).to.include({ created: 30, subscribed: 15 });
  });

  for (const [what, operationId, fault] of [
    ['an update keeps failing', 'Contact_PutContactResource', { status: 503, times: 100 }],
    ['a lookup keeps failing', LOOKUP, { status: 503, times: 100 }],
    ['a subscribe keeps failing', SUBSCRIBE, { status: 503, times: 100 }],
    ['a create keeps failing, even once Listrak made the contact', CREATE, { status: 503, afterHandler: true, times: 100 }],
  ] as const) {
    it(`stops the run when ${what}, rejecting nobody`, async () => {
      sandbox = await sandboxWith(baseSeed([member(1), member(2), member(9, { lists: [] })]));
      sandbox.faults.add({ operationId, ...fault });
      const run = await runTarget(sandbox, audience([row(1), row(2, { first_name: 'Two' }), row(9), row(6)]), { max_retries: 1, max_concurrency: 1 });
      expect(run.error).to.be.instanceOf(ListrakError);
      expect((run.error as ListrakError).status).to.equal(503);
      expect(run.rejects).to.deep.equal([]);
    });
  }

  it('stops the run when a create finds a contact that the lookup then does not', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    sandbox.faults.add({ operationId: CREATE, status: 400, error: 'ERROR_PHONE_NUMBER_FOUND' });
    // Few new numbers: looked up first (not found), then created.
    const run = await runTarget(sandbox, audience([row(1), row(6)]));
    expect(run.error).to.be.instanceOf(ListrakError);
    expect((run.error as ListrakError).code).to.equal('ERROR_PHONE_NUMBER_FOUND');
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1)]);
  });

  it('stops the run on a create failure that is not about the contact', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    sandbox.faults.add({ operationId: CREATE, status: 503, times: 100 });
    const run = await runTarget(sandbox, audience([row(1), row(6)]), { max_retries: 1 });
    expect(run.error?.message).to.match(/503/);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1)]);
  });

  for (const [signal, shown] of [
    ['by its flag alone, under a state name it does not know', { pendingDoubleOptIn: true, subscriptionState: 'AwaitingConfirmation' }],
    ['by its state alone, without the flag', { pendingDoubleOptIn: false, subscriptionState: 'Pending' }],
  ] as const) {
    it(`on a double opt-in list, knows a contact already asked ${signal}, and does not ask again`, async () => {
      sandbox = await sandboxWith(baseSeed([member(1, { lists: [DOI_LIST] }), member(8, { lists: [OTHER_LIST], pendingLists: [DOI_LIST] })]));
      sandbox.state.pendingShownAs = shown;
      const run = await runTarget(sandbox, audience([row(1), row(8)]), { phone_list_id: DOI_LIST });
      expect(run.error).to.equal(undefined);
      expect(sandbox.calls.get(SUBSCRIBE), 'asking again would re-send the opt-in text').to.equal(undefined);
      expect(run.result?.counts.actions).to.include({ pending: 1, subscribed: 0 });
    });
  }

  it('on a double opt-in list, asks a known contact to opt in once, and leaves one already asked alone', async () => {
    sandbox = await sandboxWith(baseSeed([member(1, { lists: [DOI_LIST] }), member(7, { lists: [OTHER_LIST] }), member(8, { lists: [OTHER_LIST], pendingLists: [DOI_LIST] })]));
    const run = await runTarget(sandbox, audience([row(1), row(7), row(8)]), { phone_list_id: DOI_LIST });
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.pendingPhones(DOI_LIST)).to.deep.equal([phone(7), phone(8)]);
    expect(sandbox.calls.get(SUBSCRIBE)).to.equal(1);
    expect(sandbox.calls.get(LOOKUP)).to.equal(2);
    expect(run.result?.counts.actions).to.include({ pending: 2, subscribed: 0 });
  });
});
