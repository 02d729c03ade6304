/**
 * The revocations phase against what Listrak answers, in process (so the mutation run sees it): each answer counted
 * where it belongs and recorded in the audit trail as Listrak gave it, a failing Listrak stopping the run, and one
 * person revoked in two lists of a run opted out once.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, range, row, type Row } from '../support/fixtures.js';
import { jsonLinesOf, runTarget, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const SCHEMA = { ...AUDIENCE_SCHEMA, schema: { ...AUDIENCE_SCHEMA.schema, properties: { ...AUDIENCE_SCHEMA.schema.properties, sms_consent: {} } } };
const MEMBERS = range(1, 26);
const PUT_CONTACT = 'Contact_PutContactResource';
const UNSUBSCRIBE = 'ContactListSubscription_DeleteUnsubscribeContactListSubscription';

/** The whole list, every member consenting but those given. */
const revoking = (revoked: number[], extra: Row[] = [], stream = 'audience') =>
  audience([...MEMBERS.map((n) => row(n, { sms_consent: revoked.includes(n) ? 'stop' : 'yes' })), ...extra], { schema: SCHEMA, stream });

const auditOf = (path: string) => jsonLinesOf(path).map((l) => `${String(l.action)} ${String(l.phone)} ${String(l.reason)} ${String(l.outcome)}`);

describe('the revocations phase, answer by answer', () => {
  let sandbox: Sandbox | undefined;
  let auditPath = '';
  beforeEach(() => {
    auditPath = join(tempDir('revocations'), 'audit.jsonl');
  });
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  for (const status of [404, 400]) {
    it(`counts an opt-out Listrak finds no contact for (${status}) as not on the sender code, and records its code`, async () => {
      sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
      sandbox.faults.add({ operationId: PUT_CONTACT, status, error: 'ERROR_PHONE_NUMBER_NOT_FOUND' });
      const run = await runTarget(sandbox, revoking([2]), { audit_path: auditPath });
      expect(run.error).to.equal(undefined);
      expect(run.result?.counts.consent).to.include({ honoured: 0, not_on_sender_code: 1, refused_by_listrak: 0 });
      expect(auditOf(auditPath)).to.deep.equal([`opt_out ${phone(2)} consent_revoked ERROR_PHONE_NUMBER_NOT_FOUND`]);
    });
  }

  it('stops the run when an opt-out keeps failing, counting nothing as done', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
    sandbox.faults.add({ operationId: PUT_CONTACT, status: 500, times: 50 });
    const run = await runTarget(sandbox, revoking([2]), { audit_path: auditPath, max_retries: 1 });
    expect(run.error?.name).to.equal('ListrakError');
    expect(sandbox.state.contact(SC, phone(2))?.optedOut).to.equal(false);
    expect(auditOf(auditPath)).to.deep.equal([]);
  });

  it('counts an opt-out Listrak refuses for a banned number as refused, and records its code', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n, n === 3 ? { banned: true } : {}))));
    const run = await runTarget(sandbox, revoking([3]), { audit_path: auditPath });
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.consent).to.include({ honoured: 0, not_on_sender_code: 0, refused_by_listrak: 1 });
    expect(auditOf(auditPath)).to.deep.equal([`opt_out ${phone(3)} consent_revoked ERROR_BANNED_PHONE_NUMBER`]);
  });

  it('with on_revoked "unsubscribe", counts a member already off the list as honoured, the first member of the index included', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
    // Member 1 sorts first in the member index; Listrak says it left the list between the read and the write.
    sandbox.faults.add({ operationId: UNSUBSCRIBE, status: 400, error: 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED' });
    const run = await runTarget(sandbox, revoking([1]), { audit_path: auditPath, on_revoked: 'unsubscribe' });
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.consent).to.include({ honoured: 1, already_honoured: 0 });
    expect(run.result?.plans[0]?.revocations.members).to.deep.equal([phone(1)]);
    expect(auditOf(auditPath)).to.deep.equal([`unsubscribe ${phone(1)} consent_revoked already`]);
    // Done for real on the next run: the member is off the list, the contact not opted out.
    const again = await runTarget(sandbox, revoking([1]), { audit_path: auditPath, on_revoked: 'unsubscribe' });
    expect(again.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.not.include(phone(1));
    expect(sandbox.state.contact(SC, phone(1))?.optedOut).to.equal(false);
    expect(auditOf(auditPath)).to.deep.equal([`unsubscribe ${phone(1)} consent_revoked already`, `unsubscribe ${phone(1)} consent_revoked done`]);
  });

  it('names the unsubscribe in the guard of on_revoked "unsubscribe"', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
    const run = await runTarget(sandbox, revoking([1, 2]), { on_revoked: 'unsubscribe' });
    expect(run.error?.message).to.match(/^refusing to unsubscribe 2 member\(s\) whose consent the audience revokes, 8\.0% of the list's 25 members/);
  });

  it('stops the run when the lookup of a revoked number keeps failing, opting nobody out', async () => {
    sandbox = await sandboxWith(baseSeed([...MEMBERS.map((n) => member(n)), member(60, { lists: [OTHER_LIST] })]));
    sandbox.faults.add({ operationId: 'Contact_GetContactResource', status: 500, times: 50 });
    const run = await runTarget(sandbox, revoking([], [row(60, { sms_consent: 'no' })]), { audit_path: auditPath, max_retries: 1 });
    expect(run.error?.name).to.equal('ListrakError');
    expect(sandbox.state.contact(SC, phone(60))?.optedOut).to.equal(false);
    expect(auditOf(auditPath)).to.deep.equal([]);
  });

  it('opts out once a person two lists of the run revoke: the second list finds it done', async () => {
    // 60 is on the sender code, on neither list.
    sandbox = await sandboxWith(baseSeed([...MEMBERS.map((n) => member(n)), member(60, { lists: [] })]));
    const lists = { phone_list_id: undefined, stream_lists: { offer: LIST, control: OTHER_LIST }, audit_path: auditPath, max_unsubscribe_ratio: 1 };
    const input = revoking([], [row(60, { sms_consent: 'no' })], 'offer') + audience([row(60, { sms_consent: 'no' })], { schema: SCHEMA, stream: 'control' });
    const run = await runTarget(sandbox, input, lists);
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.contact(SC, phone(60))?.optedOut).to.equal(true);
    // Each list looks it up: for the first it is there to opt out, for the second it is opted out already.
    expect(run.result?.counts.consent).to.include({ honoured: 1, already_honoured: 1 });
    expect(auditOf(auditPath).filter((l) => l.includes('consent_revoked'))).to.deep.equal([`opt_out ${phone(60)} consent_revoked done`]);
  });
});
