/**
 * The audit trail, in process: every write the run makes, or finds already done, is one line with its action,
 * reason and Listrak's outcome, told by the write code itself (writes.ts, unsubscribe.ts) where it learns it.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { jsonLinesOf, runTarget, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const SUBSCRIBE = 'ContactListSubscription_PostContactListSubscription';
const UNSUBSCRIBE = 'ContactListSubscription_DeleteUnsubscribeContactListSubscription';

const auditLines = jsonLinesOf;

/** Each line as "action phone reason outcome", sorted. */
const summary = (lines: Record<string, unknown>[]) => lines.map((l) => `${l.action} ${l.phone} ${l.reason} ${l.outcome}`).sort();

describe('the audit trail', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('records each write with its reason and outcome: updates, imports, creates, subscribes, unsubscribes, Listrak refusals', async () => {
    sandbox = await sandboxWith(
      baseSeed([member(1), member(2), member(3), member(4), member(5), member(6, { lists: [OTHER_LIST] }), member(8, { lists: [OTHER_LIST], banned: true }), member(9, { lists: [OTHER_LIST], firstName: 'Old' })]),
    );
    const path = join(tempDir('audit'), 'audit.jsonl');
    const run = await runTarget(
      sandbox,
      audience([row(1), row(2, { first_name: 'Changed' }), row(3, { favorite_store: 'Main St' }), row(5), row(6), row(7), row(8), row(9, { loyalty_points: 3 })]),
      { audit_path: path, max_unsubscribe_ratio: 0.5 },
    );
    expect(run.error).to.equal(undefined);
    const lines = auditLines(path);
    expect(summary(lines)).to.deep.equal(
      [
        `update ${phone(2)} fields_changed done`,
        `import ${phone(3)} fields_changed done`,
        `unsubscribe ${phone(4)} absent_from_complete_audience done`,
        `subscribe ${phone(6)} new_in_audience done`,
        `create ${phone(7)} new_in_audience done`,
        `subscribe ${phone(8)} new_in_audience ERROR_BANNED_PHONE_NUMBER`,
        `subscribe ${phone(9)} new_in_audience done`,
        // Found on the sender code with other stored values: they are written after the subscribe.
        `update ${phone(9)} new_in_audience done`,
      ].sort(),
    );
    const update = lines.find((l) => l.phone === phone(2));
    expect(update).to.include({ list: LIST, run_id: (run.states[0]?.listrak_sms as { run_id: string }).run_id });
    expect(update?.fields).to.deep.equal(['emailAddress', 'firstName', 'lastName']);
    expect(Date.parse(String(update?.time))).to.be.closeTo(Date.now(), 60_000);
    expect(lines.find((l) => l.phone === phone(3))?.fields).to.deep.equal(['Favorite Store', 'Loyalty Points']);
    expect(lines.find((l) => l.phone === phone(7))).to.not.have.property('fields');
    expect(lines.find((l) => l.phone === phone(4))).to.not.have.property('plan');
  });

  it('says "already" when Listrak answers that the write was done (an answer lost, then retried)', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(6, { lists: [OTHER_LIST] })]));
    sandbox.faults.add({ operationId: SUBSCRIBE, status: 503, afterHandler: true });
    sandbox.faults.add({ operationId: UNSUBSCRIBE, status: 503, afterHandler: true });
    const path = join(tempDir('audit'), 'audit.jsonl');
    const run = await runTarget(sandbox, audience([row(1), row(6)]), { audit_path: path, max_unsubscribe_ratio: 0.5 });
    expect(run.error).to.equal(undefined);
    expect(summary(auditLines(path))).to.deep.equal([`subscribe ${phone(6)} new_in_audience already`, `unsubscribe ${phone(2)} absent_from_complete_audience already`]);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 6].map(phone));
  });

  it('records the managed marks once their import ends, and a run with nothing to write adds nothing', async () => {
    const MANAGED = 36;
    const seed = baseSeed([member(1), member(2, { fields: { [MANAGED]: 'true' } })]);
    seed.profileFields = [...(seed.profileFields ?? []), { segmentationFieldId: MANAGED, segmentationFieldName: 'Managed By Warehouse', dataType: 'Checkbox' }];
    sandbox = await sandboxWith(seed);
    const path = join(tempDir('audit'), 'audit.jsonl');
    const config = { audit_path: path, removal_scope: 'managed', managed_field: 'Managed By Warehouse' };
    const first = await runTarget(sandbox, audience([row(1), row(2)]), config);
    expect(first.error).to.equal(undefined);
    expect(summary(auditLines(path))).to.deep.equal([`mark ${phone(1)} managed_mark done`]);
    expect(sandbox.state.contact(SC, phone(1))?.fields.get(MANAGED)).to.equal('true');
    const again = await runTarget(sandbox, audience([row(1), row(2)]), config);
    expect(again.error).to.equal(undefined);
    expect(auditLines(path)).to.have.length(1);
  });

  it('a run that writes nothing does not even create the file', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const path = join(tempDir('audit'), 'audit.jsonl');
    const run = await runTarget(sandbox, audience([row(1)]), { audit_path: path });
    expect(run.error).to.equal(undefined);
    expect(existsSync(path)).to.equal(false);
  });
});
