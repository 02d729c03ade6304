import { expect } from 'chai';
import { GuardError, InputError, ListrakError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { AUDIENCE_SCHEMA, DOI_LIST, FIELDS, INACTIVE_LIST, LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { phases, runTarget, sandboxWith, writeCalls } from '../support/harness.js';

describe('audience sync (against the sandbox over HTTP)', () => {
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.close());

  /** Members 1..5 on the list; 7 exists on the sender code on another list; 8 opted out of the sender code. */
  async function standardSandbox() {
    sandbox = await sandboxWith(
      baseSeed([
        member(1),
        member(2),
        member(3),
        member(4, { fields: { [FIELDS.store]: 'Old City' } }),
        member(5),
        member(7, { lists: [OTHER_LIST], firstName: 'Seven', lastName: 'Other', emailAddress: 'seven@example.com' }),
        member(8, { lists: [], optedOut: true }),
      ]),
    );
    return sandbox;
  }

  const standardAudience = () =>
    audience(
      [
        row(1),
        row(2),
        row(3, { email: 'new3@example.com' }),
        row(4, { favorite_store: 'Fishtown' }),
        row(6, { favorite_store: 'Rittenhouse', loyalty_points: 12 }),
        row(7, { email: 'seven@example.com', first_name: 'Seven', last_name: 'Other' }),
      ],
      { state: { bookmarks: { audience: { version: 42 } } } },
    );

  it('makes the list exactly the audience, with one write per needed change', async () => {
    await standardSandbox();
    const run = await runTarget(sandbox, standardAudience());
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 6, 7].map(phone));
    expect(writeCalls(sandbox)).to.deep.equal({
      Contact_PostContactListResource: 1, // 6 is new to the sender code
      ContactListSubscription_PostContactListSubscription: 1, // 7 exists on the sender code
      Contact_PutContactResource: 1, // 3's email
      Contact_PostImportFileResource: 1, // 4's favorite store
      ContactListSubscription_DeleteUnsubscribeContactListSubscription: 1, // 5 left the audience
    });
    expect(sandbox.state.contact(SC, phone(3))?.emailAddress).to.equal('new3@example.com');
    expect(sandbox.state.contact(SC, phone(4))?.fields.get(FIELDS.store)).to.equal('Fishtown');
    const six = sandbox.state.contact(SC, phone(6));
    expect(six?.firstName).to.equal('First6');
    expect(Object.fromEntries(six?.fields ?? [])).to.deep.equal({ [FIELDS.store]: 'Rittenhouse', [FIELDS.points]: '12' });
    const a = run.result?.counts.actions;
    expect(a).to.include({ created: 1, subscribed: 1, updated: 1, import_rows: 1, unchanged: 2, unsubscribed: 1 });
    expect(sandbox.state.violations).to.deep.equal([]);
  });

  it('makes zero write calls when run again with the same audience', async () => {
    await standardSandbox();
    await runTarget(sandbox, standardAudience());
    sandbox.calls.clear();
    const again = await runTarget(sandbox, standardAudience());
    expect(again.error).to.equal(undefined);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(again.result?.counts.actions.unchanged).to.equal(6);
  });

  it('ends each phase with a METRIC timer, and passes the tap state on only at the end, once', async () => {
    await standardSandbox();
    const run = await runTarget(sandbox, standardAudience());
    expect(phases(run)).to.deep.equal(['prepare', 'members', 'audience', 'updates', 'unsubscribe', 'done']);
    expect(run.states).to.have.length(1);
    expect(run.states[0]).to.deep.include({ bookmarks: { audience: { version: 42 } } });
    expect(run.states[0]?.listrak_sms).to.include({ phase: 'done' });
  });

  it('matches members whatever way the audience writes their phone', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3), member(4)]));
    const run = await runTarget(
      sandbox,
      audience([row(1, { phone: '+1 (215) 555-0001' }), row(2, { phone: '215.555.0002' }), row(3, { phone: '2155550003' }), row(4, { phone: 12155550004 })]),
    );
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.actions.unchanged).to.equal(4);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('rejects each bad record with its reason and line, writes it to the rejects file, and never sends it', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3, { banned: true, lists: [] })]));
    const schema = {
      ...AUDIENCE_SCHEMA,
      schema: { type: 'object', properties: { ...AUDIENCE_SCHEMA.schema.properties, birthday: { type: 'string' }, vip: { type: 'boolean' } } },
    };
    const run = await runTarget(
      sandbox,
      audience(
        [
          row(1),
          row(2),
          { phone: '555-01' }, // line 4: invalid_phone
          { email: 'x@example.com' }, // line 5: missing_phone
          row(1), // line 6: duplicate
          row(10, { email: 'not-an-email' }), // invalid_email
          row(11, { birthday: '1990-02-30' }), // invalid_date
          row(12, { loyalty_points: 'lots' }), // invalid_number
          row(13, { vip: 'maybe' }), // invalid_checkbox
          row(14, { favorite_store: 'x'.repeat(21) }), // too_long (field max 20)
          row(15, { first_name: { nested: true } }), // invalid_type
          row(3), // listrak_rejected: banned on the sender code
        ],
        { schema },
      ),
    );
    expect(run.error).to.equal(undefined);
    const byReason = Object.fromEntries(run.result?.counts.rejected ?? []);
    expect(byReason).to.deep.equal({
      invalid_phone: 1,
      missing_phone: 1,
      duplicate: 1,
      invalid_email: 1,
      invalid_date: 1,
      invalid_number: 1,
      invalid_checkbox: 1,
      too_long: 1,
      invalid_type: 1,
      listrak_rejected: 1,
    });
    expect(run.rejects).to.have.length(10);
    expect(run.rejects[0]).to.deep.include({ line: 4, reason: 'invalid_phone', field: 'phone' });
    expect(run.rejects[2]).to.deep.include({ line: 6, reason: 'duplicate' });
    expect(run.rejects.find((r) => r.reason === 'too_long')).to.deep.include({ field: 'favorite_store' });
    expect(run.rejects.find((r) => r.reason === 'listrak_rejected')).to.deep.include({ listrak_code: 'ERROR_BANNED_PHONE_NUMBER' });
    // Nothing invalid reached Listrak: only the banned number's subscribe attempt was written.
    expect(writeCalls(sandbox)).to.deep.equal({ ContactListSubscription_PostContactListSubscription: 1 });
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1), phone(2)]);
  });

  it('keeps a member whose record has a bad value, rejecting only the update', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
    const run = await runTarget(sandbox, audience([row(1), row(2, { email: 'broken' })]));
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1), phone(2)]);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('never creates or subscribes a phone that opted out of the sender code', async () => {
    await standardSandbox();
    const run = await runTarget(sandbox, audience([row(1), row(2), row(3), row(4, { favorite_store: 'Old City' }), row(5), row(8)]));
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.actions.opted_out).to.equal(1);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(sandbox.state.subscribedPhones(LIST)).to.not.include(phone(8));
    expect(sandbox.state.violations).to.deep.equal([]);
  });

  it('clears a custom field the audience sets to null, through the import', async () => {
    sandbox = await sandboxWith(baseSeed([member(1, { fields: { [FIELDS.store]: 'Old City', [FIELDS.points]: '5' } })]));
    const run = await runTarget(sandbox, audience([row(1, { loyalty_points: 5 })]));
    expect(run.error).to.equal(undefined);
    expect(writeCalls(sandbox)).to.deep.equal({ Contact_PostImportFileResource: 1 });
    expect(Object.fromEntries(sandbox.state.contact(SC, phone(1))?.fields ?? [])).to.deep.equal({ [FIELDS.points]: '5' });
  });

  it('splits custom-field updates into several import files when they exceed import_max_bytes', async () => {
    const contacts = Array.from({ length: 60 }, (_, i) => member(i + 1, { fields: { [FIELDS.store]: 'Old' } }));
    sandbox = await sandboxWith(baseSeed(contacts));
    const run = await runTarget(sandbox, audience(contacts.map((_, i) => row(i + 1, { favorite_store: `Store ${i + 1}` }))), { import_max_bytes: 400 });
    expect(run.error).to.equal(undefined);
    const imports = [...sandbox.state.imports.values()];
    expect(imports.length).to.be.at.least(4);
    expect(imports.reduce((n, j) => n + j.applied, 0)).to.equal(60);
    for (let n = 1; n <= 60; n++) expect(sandbox.state.contact(SC, phone(n))?.fields.get(FIELDS.store)).to.equal(`Store ${n}`);
    expect(run.result?.counts.imports.reduce((n, j) => n + j.rows, 0)).to.equal(60);
  });

  describe('dry run', () => {
    it('makes no write call and reports the plan with masked samples', async () => {
      await standardSandbox();
      const run = await runTarget(sandbox, standardAudience(), {}, { dryRun: true });
      expect(run.error).to.equal(undefined);
      expect(writeCalls(sandbox)).to.deep.equal({});
      expect(run.result?.counts.planned).to.deep.equal({ new: 2, changedSystem: 1, changedCustomOnly: 1, unsubscribe: 1 });
      const text = run.log.join('\n');
      expect(text).to.match(/plan: 2 to create or subscribe, 2 to update, 2 unchanged, 1 to unsubscribe/);
      expect(text).to.include('*******0006');
      expect(text).to.not.include(phone(6));
      expect(run.result?.report).to.match(/would unsubscribe\s+1/);
      expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5].map(phone));
    });
  });

  describe('removal guard', () => {
    it('refuses, before any write, a sync that would unsubscribe more than max_unsubscribe_ratio of the list', async () => {
      await standardSandbox();
      const run = await runTarget(sandbox, audience([row(1), row(2), row(6)]));
      expect(run.error).to.be.instanceOf(GuardError);
      expect(run.error?.message).to.match(/refusing to unsubscribe 3 of 5 members \(60\.0%\), more than max_unsubscribe_ratio 0\.2/);
      expect(writeCalls(sandbox)).to.deep.equal({});
      expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 4, 5].map(phone));
      expect(phases(run)).to.deep.equal(['prepare', 'members']);
    });

    it('lets the same sync through when the ratio is raised', async () => {
      await standardSandbox();
      const run = await runTarget(sandbox, audience([row(1), row(2), row(6)]), { max_unsubscribe_ratio: 0.6 });
      expect(run.error).to.equal(undefined);
      expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 6].map(phone));
    });

    it('treats an audience with a schema but no records as empty, which the guard stops unless told to let it all go', async () => {
      await standardSandbox();
      const run = await runTarget(sandbox, audience([]));
      expect(run.error).to.be.instanceOf(GuardError);
      expect(writeCalls(sandbox)).to.deep.equal({});
      const members = sandbox.state.subscribedPhones(LIST).length;
      // An input with no STATE is complete: nothing says it was cut short.
      const emptied = await runTarget(sandbox, audience([]), { max_unsubscribe_ratio: 1 });
      expect(emptied.error).to.equal(undefined);
      expect(emptied.result?.counts.actions.unsubscribed).to.equal(members);
      expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([]);
    });
  });

  describe('bad input never half-applies a sync', () => {
    it('fails on a malformed line, naming it, before any write', async () => {
      await standardSandbox();
      const lines = standardAudience().split('\n');
      lines.splice(4, 0, '{"type":"RECORD","stream":"audience","record":{"phone":"12155550009"');
      const run = await runTarget(sandbox, lines.join('\n'));
      expect(run.error).to.be.instanceOf(InputError);
      expect(run.error?.message).to.match(/^input line 5: malformed JSON/);
      expect(writeCalls(sandbox)).to.deep.equal({});
      // The audience is read while the members are (on another thread): the run stops wherever the members were.
      expect(phases(run)[0]).to.equal('prepare');
      expect(phases(run)).to.not.include('audience');
    });

    it('fails on a RECORD of another stream, naming the line', async () => {
      await standardSandbox();
      const input = standardAudience() + JSON.stringify({ type: 'RECORD', stream: 'orders', record: { id: 1 } }) + '\n';
      const run = await runTarget(sandbox, input);
      expect(run.error).to.be.instanceOf(InputError);
      expect(run.error?.message).to.match(/input line 9: RECORD for stream "orders" before its SCHEMA/);
      expect(writeCalls(sandbox)).to.deep.equal({});
    });

    it('refuses an empty input instead of emptying the list', async () => {
      await standardSandbox();
      const run = await runTarget(sandbox, '');
      expect(run.error).to.be.instanceOf(InputError);
      expect(run.error?.message).to.match(/no SCHEMA message in the input/);
      expect(writeCalls(sandbox)).to.deep.equal({});
    });

    it('fails when the audience schema has no phone property', async () => {
      await standardSandbox();
      const run = await runTarget(sandbox, audience([{ email: 'a@example.com' }], { schema: { ...AUDIENCE_SCHEMA, schema: { properties: { email: { type: 'string' } } } } }));
      expect(run.error).to.be.instanceOf(InputError);
      expect(run.error?.message).to.match(/input line 1: the audience schema has no phone property/);
    });
  });

  describe('double opt-in lists', () => {
    it('leaves new people pending, and does not ask again on the next run', async () => {
      sandbox = await sandboxWith(baseSeed([member(1, { lists: [DOI_LIST] }), member(7, { lists: [] })]));
      const input = audience([row(1), row(6), row(7, { email: 'p7@example.com' })]);
      const first = await runTarget(sandbox, input, { phone_list_id: DOI_LIST });
      expect(first.error).to.equal(undefined);
      expect(first.result?.counts.actions.pending).to.equal(2);
      expect(sandbox.state.pendingPhones(DOI_LIST)).to.deep.equal([phone(6), phone(7)]);
      sandbox.calls.clear();
      const second = await runTarget(sandbox, input, { phone_list_id: DOI_LIST });
      expect(second.error).to.equal(undefined);
      expect(writeCalls(sandbox)).to.deep.equal({});
      expect(second.result?.counts.actions.pending).to.equal(2);
    });
  });

  it('stops with a clear message on an inactive list, before reading members', async () => {
    await standardSandbox();
    const run = await runTarget(sandbox, standardAudience(), { phone_list_id: INACTIVE_LIST });
    expect(run.error).to.be.instanceOf(ListrakError);
    expect(run.error?.message).to.match(/list 2005 is inactive/);
    expect(sandbox.calls.get('Contact_GetContactCollection')).to.equal(undefined);
  });

  it('reads members across many pages', async () => {
    const contacts = Array.from({ length: 250 }, (_, i) => member(i + 1));
    sandbox = await sandboxWith(baseSeed(contacts));
    const run = await runTarget(sandbox, audience(contacts.map((_, i) => row(i + 1))), { page_size: 40 });
    expect(run.error).to.equal(undefined);
    expect(sandbox.calls.get('Contact_GetContactCollection')).to.equal(7);
    expect(run.result?.counts.actions.unchanged).to.equal(250);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });
});
