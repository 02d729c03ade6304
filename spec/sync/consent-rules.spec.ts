/**
 * Consent in the diff and the plan, in process (so the mutation run sees it): what a consent value does to a
 * member, to a new number and to a text in the same input, and how the revocations are applied.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, audience, baseSeed, member, msg, phone, range, row, texts, txSeed, type Row } from '../support/fixtures.js';
import { phases, runTarget, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const SCHEMA = {
  ...AUDIENCE_SCHEMA,
  schema: { ...AUDIENCE_SCHEMA.schema, properties: { ...AUDIENCE_SCHEMA.schema.properties, sms_consent: {}, sms_consent_at: {} } },
};
const consented = (rows: Row[], opts: { cut?: boolean } = {}) => audience(rows, { schema: SCHEMA, ...opts });
const MEMBERS = range(1, 26);
const reasons = (rejects: Record<string, unknown>[]) => rejects.map((r) => `${String(r.line)} ${String(r.reason)} ${String(r.field)}`);

describe('consent in the diff and the plan', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('reads no consent when the schema does not declare the property, and never maps it to a profile field', async () => {
    const seed = baseSeed(MEMBERS.map((n) => member(n)));
    seed.profileFields = [...(seed.profileFields ?? []), { segmentationFieldId: 40, segmentationFieldName: 'SMS Consent', dataType: 'Text' }, { segmentationFieldId: 41, segmentationFieldName: 'sms consent at', dataType: 'Text' }];
    sandbox = await sandboxWith(seed);
    // Undeclared: the value is ignored, as any undeclared property is.
    const undeclared = await runTarget(sandbox, audience(MEMBERS.map((n) => row(n, n === 1 ? { sms_consent: 'stop' } : {}))));
    expect(undeclared.error).to.equal(undefined);
    expect(sandbox.state.contact(SC, phone(1))?.optedOut).to.equal(false);
    expect(undeclared.result?.counts.consent).to.deep.equal({ honoured: 0, already_honoured: 0, not_on_sender_code: 0, refused_by_listrak: 0, refused_new: 0, unknown: 0 });
    // Declared: consent, never the profile fields that share its names.
    const declared = await runTarget(sandbox, consented(MEMBERS.map((n) => row(n, { sms_consent: 'yes', sms_consent_at: '2026-03-01' }))));
    expect(declared.error).to.equal(undefined);
    expect(declared.log.join('\n')).to.not.match(/fields: [^\n]*SMS Consent/);
    expect(declared.result?.counts.actions.unchanged).to.equal(25);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('keeps a member whose consent value is unreadable, rejecting only the record', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
    const run = await runTarget(sandbox, consented([row(1, { sms_consent: 'maybe', first_name: 'Changed' }), row(2, { sms_consent: 'no', sms_consent_at: 'yesterday' }), ...MEMBERS.slice(2).map((n) => row(n))]));
    expect(run.error).to.equal(undefined);
    expect(reasons(run.rejects)).to.deep.equal(['2 bad_consent sms_consent', '3 invalid_date sms_consent_at']);
    expect(run.rejects[0]?.detail).to.match(/"maybe" is no consent status .*\(the member stays on the list, unchanged\)$/);
    expect(run.result?.counts.removal.kept_rejected_record).to.equal(2);
    expect(sandbox.state.subscribedPhones(LIST)).to.have.length(25);
    expect(sandbox.state.contact(SC, phone(1))?.firstName).to.equal('First1');
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('rejects a new number with an unreadable consent value, adding nothing', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const run = await runTarget(sandbox, consented([row(1), row(30, { sms_consent: 'perhaps' }), row(30, { sms_consent: 'yes' })]));
    expect(run.error).to.equal(undefined);
    // The unreadable row takes no place: the next row of the number adds it.
    expect(reasons(run.rejects)).to.deep.equal(['3 bad_consent sms_consent']);
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(30));
  });

  it('plans a revoked new number as nothing to add, even when an earlier row planned it, and counts a dry run so', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
    const rows = [...MEMBERS.map((n) => row(n)), row(40, { sms_consent: 'yes', sms_consent_at: '2026-01-01' }), row(40, { sms_consent: 'stop', sms_consent_at: '2026-01-02' }), row(41)];
    const dry = await runTarget(sandbox, consented(rows), {}, { dryRun: true });
    expect(dry.error).to.equal(undefined);
    expect(dry.result?.counts.planned.new).to.equal(1);
    expect(dry.result?.plans[0]?.newKeys.has(Number(phone(40)))).to.equal(false);
    expect(dry.result?.plans[0]?.revocations.others).to.deep.equal([phone(40)]);
    expect(dry.log.join('\n')).to.match(/samples: create \*+0041 \(new_in_audience\), opt_out \*+0040 \(consent_revoked\)$/m);
    const run = await runTarget(sandbox, consented(rows));
    expect(run.error).to.equal(undefined);
    // The duplicate row is rejected for its fields; its consent event counted all the same.
    expect(reasons(run.rejects)).to.deep.equal(['28 duplicate phone']);
    expect(sandbox.state.contact(SC, phone(40))).to.equal(undefined);
    expect(sandbox.state.writes.map((w) => `${w.op} ${w.phone}`)).to.deep.equal([`create ${phone(41)}`]);
    expect(run.result?.counts.consent).to.include({ not_on_sender_code: 1, honoured: 0 });
    expect(run.result?.counts.actions.created).to.equal(1);
  });

  it('with require_consent, refuses new numbers without granted consent and counts members of unknown consent', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
    const rows = [...MEMBERS.map((n) => row(n, n === 1 ? { sms_consent: 'yes' } : {})), row(50), row(51, { sms_consent: 'yes' }), row(52, { sms_consent: 'no' })];
    const run = await runTarget(sandbox, consented(rows), { require_consent: true });
    expect(run.error).to.equal(undefined);
    expect(reasons(run.rejects)).to.deep.equal(['27 no_consent sms_consent']);
    expect(run.rejects[0]?.detail).to.equal('require_consent is set and this new number carries no granted consent');
    expect(run.result?.counts.consent).to.include({ refused_new: 1, unknown: 25 });
    expect(sandbox.state.subscribedPhones(LIST)).to.have.length(26).and.include(phone(51));
    // Without require_consent a number without consent is added.
    const open = await runTarget(sandbox, consented([...MEMBERS.map((n) => row(n)), row(50), row(51)]));
    expect(open.error).to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(50));
  });

  it('applies revocations in their own phase, after the updates and before the unsubscribes', async () => {
    sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n))));
    const run = await runTarget(sandbox, consented([...MEMBERS.slice(1, 24).map((n) => row(n, n === 2 ? { sms_consent: false, first_name: 'Two' } : {}))]), { max_unsubscribe_ratio: 1 });
    expect(run.error).to.equal(undefined);
    expect(phases(run)).to.deep.equal(['prepare', 'members', 'audience', 'updates', 'revocations', 'unsubscribe', 'done']);
    const ops = sandbox.state.writes.map((w) => `${w.op} ${w.phone}`);
    expect(ops).to.deep.equal([`update ${phone(2)}`, `update ${phone(2)}`, `unsubscribe ${phone(1)}`, `unsubscribe ${phone(25)}`]);
    expect(sandbox.state.contact(SC, phone(2))).to.include({ firstName: 'Two', optedOut: true });
    expect(run.log.join('\n')).to.match(/revocations: 1 number\(s\) whose consent was revoked opted out of the sender code, 0 already, 0 not on the sender code/);
  });

  it('opts out a revoked number another list holds, counts one already opted out, and spares a banned one', async () => {
    sandbox = await sandboxWith(
      baseSeed([...MEMBERS.map((n) => member(n)), member(60, { lists: [OTHER_LIST] }), member(61, { lists: [OTHER_LIST], optedOut: true }), member(62, { lists: [OTHER_LIST], banned: true }), member(63, { lists: [] })]),
    );
    const run = await runTarget(sandbox, consented([...MEMBERS.map((n) => row(n)), ...[60, 61, 62, 63, 64].map((n) => row(n, { sms_consent: 'opted_out' }))]));
    expect(run.error).to.equal(undefined);
    expect([60, 61, 63].map((n) => sandbox?.state.contact(SC, phone(n))?.optedOut)).to.deep.equal([true, true, true]);
    expect(sandbox.state.contact(SC, phone(62))?.optedOut).to.equal(false);
    expect(run.result?.counts.consent).to.include({ honoured: 2, already_honoured: 1, not_on_sender_code: 1, refused_by_listrak: 1 });
    expect(sandbox.state.subscribedPhones(LIST)).to.have.length(25);
  });

  it('with on_revoked "unsubscribe", takes members off this list only and counts others as done', async () => {
    sandbox = await sandboxWith(baseSeed([...MEMBERS.map((n) => member(n)), member(60, { lists: [OTHER_LIST] })]));
    const run = await runTarget(sandbox, consented(MEMBERS.map((n) => row(n, n === 9 ? { sms_consent: 'n' } : {})).concat([row(60, { sms_consent: 'n' })])), { on_revoked: 'unsubscribe' });
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.writes.map((w) => `${w.op} ${w.phone}`)).to.deep.equal([`unsubscribe ${phone(9)}`]);
    expect(sandbox.state.contact(SC, phone(9))?.optedOut).to.equal(false);
    expect(run.result?.counts.consent).to.include({ honoured: 1, already_honoured: 1 });
    expect(run.log.join('\n')).to.match(/unsubscribed from the list/);
  });

  it('refuses a flood of member revocations before any write, at the ratio exactly allowed', async () => {
    sandbox = await sandboxWith(baseSeed(range(1, 21).map((n) => member(n))));
    const input = consented(range(1, 21).map((n) => row(n, { sms_consent: n === 1 ? 'stop' : 'yes', first_name: 'New' })));
    const refused = await runTarget(sandbox, input, { max_opt_out_ratio: 0.04 });
    expect(refused.error?.name).to.equal('GuardError');
    expect(refused.error?.message).to.equal(
      "refusing to opt out 1 member(s) whose consent the audience revokes, 5.0% of the list's 20 members, more than max_opt_out_ratio 0.04 (an opt-out cannot be undone through the API); " +
        'check the consent column, and if the revocations are real, raise max_opt_out_ratio for this run',
    );
    expect(writeCalls(sandbox)).to.deep.equal({});
    const atRatio = await runTarget(sandbox, input, { max_opt_out_ratio: 0.05 });
    expect(atRatio.error).to.equal(undefined);
    expect(sandbox.state.contact(SC, phone(1))?.optedOut).to.equal(true);
  });

  it('never texts a phone whose latest consent in the same input is revoked, nor subscribes it to send', async () => {
    sandbox = await sandboxWith(txSeed([...MEMBERS.map((n) => member(n)), member(70, { lists: [] })]));
    const journal = join(tempDir('journal'), 'journal.jsonl');
    writeFileSync(journal, '');
    const textLines = texts([msg(3), msg(70), msg(4)]).split('\n').filter(Boolean).map((l) => l + '\n').join('');
    const input = consented([...MEMBERS.map((n) => row(n, n === 3 ? { sms_consent: 'stop' } : {})), row(70, { sms_consent: false })]) + textLines;
    const run = await runTarget(sandbox, input, { transactional_phone_list_id: OTHER_LIST, journal_path: journal, subscribe_before_send: true });
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.sent.map((s) => s.phoneNumber)).to.deep.equal([phone(4)]);
    expect(run.rejects.filter((r) => r.reason === 'consent_revoked').map((r) => r.field)).to.deep.equal(['phone', 'phone']);
    expect(run.rejects.find((r) => r.reason === 'consent_revoked')?.detail).to.equal("the audience in the same input revokes this number's consent");
    expect(sandbox.state.membersOf(OTHER_LIST).get(phone(70))).to.equal(undefined);
  });
});
