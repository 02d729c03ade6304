/**
 * Review before you write, through the built binary against the sandbox: --plan writes the change set and nothing
 * to Listrak; --apply writes only the planned changes still needed, and nothing twice; the audit trail records each
 * write with its reason.
 */
import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, audience, baseSeed, member, msg, phone, row, texts, type Row } from '../support/fixtures.js';
import { jsonLinesOf, rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

function writeConfig(dir: string, sandbox: Sandbox, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(rawConfigFor(sandbox, { max_unsubscribe_ratio: 0.5, ...extra })));
  return path;
}

const jsonLines = jsonLinesOf;

const mode = (path: string) => statSync(path).mode & 0o777;

describe('--plan and --apply', function () {
  this.timeout(60_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  /** Members 1-5; 6 is on the sender code's other list. The audience: 1 unchanged, 2 and 3 changed, 4 gone, 5 kept, 6 and 7 new. */
  const seed = () => baseSeed([member(1), member(2), member(3), member(4), member(5), member(6, { lists: [OTHER_LIST] }), member(50, { lists: [OTHER_LIST] })]);
  const input = () => audience([row(1), row(2, { first_name: 'Changed' }), row(3, { favorite_store: 'Main St' }), row(5), row(6), row(7)]);

  it('writes the plan (private, every planned phone named) and nothing to Listrak; apply does what it promised, once', async () => {
    sandbox = await sandboxWith(seed());
    const dir = tempDir('plan');
    const planPath = join(dir, 'plan.jsonl');
    const auditPath = join(dir, 'audit.jsonl');
    const config = writeConfig(dir, sandbox, { audit_path: auditPath });

    const planned = await runCli('target.js', ['--config', config, '--plan', planPath], input());
    expect(planned.code, planned.stderr).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(mode(planPath)).to.equal(0o600);
    const [header, ...changes] = jsonLines(planPath);
    expect(header).to.include({ plan_format: 1, sender_code_id: SC });
    expect(header?.counts).to.include({ create: 2, update: 1, import: 1, unsubscribe: 1, opt_out: 0 });
    const [planned0] = header?.lists as { phone_list_id: number; stream: string; counts: unknown; removals: { allowed: boolean } }[];
    expect(planned0).to.include({ phone_list_id: LIST, stream: 'audience' });
    expect(planned0?.counts).to.deep.equal(header?.counts);
    expect(planned0?.removals.allowed).to.equal(true);
    expect(header?.tap_state).to.not.equal(null);
    const byPhone = new Map(changes.map((c) => [c.phone, c]));
    expect([...byPhone.keys()].sort()).to.deep.equal([2, 3, 4, 6, 7].map(phone));
    expect(byPhone.get(phone(2))).to.deep.include({ action: 'update', reason: 'fields_changed' });
    expect((byPhone.get(phone(2))?.values as { system: Record<string, unknown> }).system.firstName).to.equal('Changed');
    expect(byPhone.get(phone(3))).to.deep.include({ action: 'import', reason: 'fields_changed', fields: ['Favorite Store', 'Loyalty Points'] });
    expect(byPhone.get(phone(4))).to.deep.include({ action: 'unsubscribe', reason: 'absent_from_complete_audience' });
    expect(byPhone.get(phone(7))).to.deep.include({ action: 'create', reason: 'new_in_audience' });
    expect(planned.stderr).to.match(/plan written to .*plan\.jsonl: 2 create, 1 update, 1 import, 1 unsubscribe/);
    expect(planned.stderr).to.not.include(phone(7)); // stderr masks phones; the plan file holds them in full

    // Someone joins the list between the plan and the apply: the plan never named them, so they are left alone.
    sandbox.state.membersOf(LIST).add(phone(50), 'Subscribed', new Date().toISOString());
    const applied = await runCli('target.js', ['--config', config, '--apply', planPath]);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([1, 2, 3, 5, 6, 7, 50].map(phone));
    expect(sandbox.state.contact(SC, phone(2))?.firstName).to.equal('Changed');
    expect(applied.stderr).to.match(/planned: 2 create, 1 update, 1 import, 1 unsubscribe; still needed: 1 update, 1 import, 2 create, 1 unsubscribe/);
    // The plan's tap state is passed on, with the apply's progress.
    const states = applied.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(states).to.have.length(1);
    expect(states[0]).to.have.property('bookmarks');

    // The audit trail: one line per write, with its reason and Listrak's answer; private.
    expect(mode(auditPath)).to.equal(0o600);
    const audit = jsonLines(auditPath);
    expect(audit.map((l) => [l.action, l.phone, l.reason, l.outcome]).sort()).to.deep.equal(
      [
        ['create', phone(7), 'new_in_audience', 'done'],
        ['import', phone(3), 'fields_changed', 'done'],
        ['subscribe', phone(6), 'new_in_audience', 'done'],
        ['unsubscribe', phone(4), 'absent_from_complete_audience', 'done'],
        ['update', phone(2), 'fields_changed', 'done'],
      ].sort(),
    );
    for (const l of audit) expect(l).to.include({ list: LIST, plan: header?.created });

    // The same plan again: everything is settled, nothing is written, the audit trail gains nothing.
    sandbox.calls.clear();
    const again = await runCli('target.js', ['--config', config, '--apply', planPath], 'stray input\n');
    expect(again.code, again.stderr).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(again.stderr).to.include('--apply reads no input');
    expect(again.stderr).to.match(/still needed: nothing; settled without a write: 4 already done, 1 no longer on the list/);
    expect(jsonLines(auditPath)).to.have.length(audit.length);
  });

  it('refuses a stale plan, a plan for another list or sender code, and one of another format (exit 2, naming why)', async () => {
    sandbox = await sandboxWith(seed());
    const dir = tempDir('plan');
    const planPath = join(dir, 'plan.jsonl');
    const config = writeConfig(dir, sandbox);
    expect((await runCli('target.js', ['--config', config, '--plan', planPath], input())).code).to.equal(0);
    const [header, ...changes] = jsonLines(planPath);
    const variant = (name: string, change: Record<string, unknown>) => {
      const path = join(dir, name);
      writeFileSync(path, [{ ...header, ...change }, ...changes].map((l) => JSON.stringify(l)).join('\n') + '\n');
      return path;
    };
    /** The plan with its second change altered. */
    const variantChange = (name: string, change: Record<string, unknown>) => {
      const path = join(dir, name);
      writeFileSync(path, [header, changes[0], { ...changes[1], ...change }, ...changes.slice(2)].map((l) => JSON.stringify(l)).join('\n') + '\n');
      return path;
    };
    /** The plan, every list and change of it moved to another list. */
    const moved = (name: string, list: number) => {
      const path = join(dir, name);
      const lists = (header?.lists as object[]).map((l) => ({ ...l, phone_list_id: list }));
      writeFileSync(path, [{ ...header, lists }, ...changes.map((c) => ({ ...c, list }))].map((l) => JSON.stringify(l)).join('\n') + '\n');
      return path;
    };
    const refusals: [string, RegExp][] = [
      [variant('stale.jsonl', { created: new Date(Date.now() - 25 * 3_600_000).toISOString() }), /made 25\.0 h ago .* longer ago than max_plan_age 24h; make a new plan/],
      [moved('list.jsonl', OTHER_LIST), /the plan is for list 2003, but phone_list_id is 2002/],
      [variant('sender.jsonl', { sender_code_id: 9999 }), /the plan is for sender code 9999, but sender_code_id is 1001/],
      [variant('format.jsonl', { plan_format: 2 }), /the plan is of format 2; this version applies format 1/],
      [variantChange('foreign.jsonl', { list: 9999 }), /foreign\.jsonl: line 3 names list 9999, which is not one of the plan's lists/],
      [variantChange('broken.jsonl', { action: 'delete' }), /broken\.jsonl: line 3 is not a change \(action: /],
    ];
    for (const [path, why] of refusals) {
      const res = await runCli('target.js', ['--config', config, '--apply', path]);
      expect(res.code, res.stderr).to.equal(2);
      expect(res.stderr).to.match(why);
    }
    // max_plan_age is the user's: a day-old plan goes through with 2d.
    const relaxed = writeConfig(dir, sandbox, { max_plan_age: '2d' });
    expect((await runCli('target.js', ['--config', relaxed, '--apply', refusals[0]?.[0] as string])).code).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(7));
  });

  it('a plan of a sync the guard refuses holds no unsubscribes, says why, and applying it removes nobody (exit 5)', async () => {
    sandbox = await sandboxWith(seed());
    const dir = tempDir('plan');
    const planPath = join(dir, 'plan.jsonl');
    const config = writeConfig(dir, sandbox, { max_unsubscribe_ratio: 0.1 });
    const planned = await runCli('target.js', ['--config', config, '--plan', planPath], input());
    expect(planned.code, planned.stderr).to.equal(0);
    const [header, ...changes] = jsonLines(planPath);
    expect((header?.lists as { removals: { refused?: string } }[])[0]?.removals.refused).to.match(/refusing to unsubscribe 1 of 5 members/);
    expect(changes.filter((c) => c.action === 'unsubscribe')).to.deep.equal([]);
    const applied = await runCli('target.js', ['--config', config, '--apply', planPath]);
    expect(applied.code, applied.stderr).to.equal(5);
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(4));
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(7));
  });

  it('an ordinary run records its writes in the audit trail; a rerun with nothing to change adds nothing', async () => {
    sandbox = await sandboxWith(seed());
    const dir = tempDir('audit');
    const auditPath = join(dir, 'audit.jsonl');
    const config = writeConfig(dir, sandbox, { audit_path: auditPath });
    expect((await runCli('target.js', ['--config', config], input())).code).to.equal(0);
    const first = jsonLines(auditPath);
    expect(first.map((l) => `${l.action} ${l.reason}`).sort()).to.deep.equal(
      ['create new_in_audience', 'import fields_changed', 'subscribe new_in_audience', 'unsubscribe absent_from_complete_audience', 'update fields_changed'].sort(),
    );
    expect(new Set(first.map((l) => l.run_id)).size).to.equal(1);
    expect(first[0]).to.not.have.property('plan');
    expect(mode(auditPath)).to.equal(0o600);
    expect((await runCli('target.js', ['--config', config], input())).code).to.equal(0);
    expect(readFileSync(auditPath, 'utf8').split('\n').filter(Boolean)).to.have.length(first.length);
  });

  it('plans a revocation as an opt-out at the sender code, applies it once, and records it as consent_revoked', async () => {
    sandbox = await sandboxWith(seed());
    const dir = tempDir('plan');
    const planPath = join(dir, 'plan.jsonl');
    const auditPath = join(dir, 'audit.jsonl');
    const config = writeConfig(dir, sandbox, { audit_path: auditPath, max_opt_out_ratio: 0.5 });
    const schema = { ...AUDIENCE_SCHEMA, schema: { ...AUDIENCE_SCHEMA.schema, properties: { ...AUDIENCE_SCHEMA.schema.properties, sms_consent: {} } } };
    // Member 5 revokes; 9, on no list of the sender code, revokes too; 7 is new and consents.
    const rows = [row(1), row(2), row(3), row(4), row(5, { sms_consent: 'stop' }), row(6), row(7, { sms_consent: 'yes' }), row(9, { sms_consent: 'no' })];
    const planned = await runCli('target.js', ['--config', config, '--plan', planPath], audience(rows, { schema }));
    expect(planned.code, planned.stderr).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
    const [header, ...changes] = jsonLines(planPath);
    expect(changes.filter((c) => c.reason === 'consent_revoked').map((c) => [c.action, c.phone])).to.deep.equal([
      ['opt_out', phone(5)],
      ['opt_out', phone(9)],
    ]);
    expect(changes.filter((c) => c.action === 'create').map((c) => c.phone), 'a revoked number is never planned as a create').to.deep.equal([phone(6), phone(7)]);
    expect((header?.lists as { revocations: unknown }[])[0]?.revocations).to.deep.equal({ action: 'opt_out' });
    expect((header?.settings as Record<string, unknown>).on_revoked).to.equal('opt_out');

    const applied = await runCli('target.js', ['--config', config, '--apply', planPath]);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(sandbox.state.contact(SC, phone(5))?.optedOut).to.equal(true);
    expect(sandbox.state.contact(SC, phone(9)), 'a number the sender code never held is not created to opt it out').to.equal(undefined);
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(7));
    const audit = jsonLines(auditPath);
    expect(audit.filter((l) => l.reason === 'consent_revoked').map((l) => [l.action, l.phone, l.outcome])).to.deep.equal([['opt_out', phone(5), 'done']]);

    sandbox.calls.clear();
    const again = await runCli('target.js', ['--config', config, '--apply', planPath]);
    expect(again.code, again.stderr).to.equal(0);
    expect(writeCalls(sandbox), 'the opt-out is settled: the sender code lists it').to.deep.equal({});
    expect(jsonLines(auditPath)).to.have.length(audit.length);
  });

  it('plans and applies several lists (stream_lists) in one file; a config that maps a stream elsewhere is refused', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3, { lists: [LIST, OTHER_LIST] }), member(4, { lists: [OTHER_LIST] })]));
    const dir = tempDir('plan');
    const planPath = join(dir, 'plan.jsonl');
    const stream = (name: string, rows: Row[]) => audience(rows, { stream: name });
    const mapped = (lists: Record<string, number>) => {
      const path = join(dir, `config-${Object.values(lists).join('-')}.json`);
      const raw = rawConfigFor(sandbox as Sandbox, { max_unsubscribe_ratio: 1, stream_lists: lists });
      delete raw.phone_list_id;
      writeFileSync(path, JSON.stringify(raw));
      return path;
    };
    const config = mapped({ offer: LIST, control: OTHER_LIST });
    // offer: 1 and new 5 (2 and 3 leave); control: 3 renamed (4 leaves).
    const input = stream('offer', [row(1), row(5)]) + stream('control', [row(3, { first_name: 'Renamed' })]);
    const planned = await runCli('target.js', ['--config', config, '--plan', planPath], input);
    expect(planned.code, planned.stderr).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
    const [header] = jsonLines(planPath);
    const lists = header?.lists as { stream: string; phone_list_id: number; counts: Record<string, number> }[];
    expect(lists.map((l) => [l.stream, l.phone_list_id, l.counts.create, l.counts.update, l.counts.unsubscribe])).to.deep.equal([
      ['offer', LIST, 1, 0, 2],
      ['control', OTHER_LIST, 0, 1, 1],
    ]);

    const elsewhere = await runCli('target.js', ['--config', mapped({ offer: OTHER_LIST, control: LIST }), '--apply', planPath]);
    expect(elsewhere.code).to.equal(2);
    expect(elsewhere.stderr).to.match(/the plan is for list 2002 \(stream "offer"\), but stream_lists maps "offer" to 2003/);

    const applied = await runCli('target.js', ['--config', config, '--apply', planPath]);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([1, 5].map(phone));
    expect(sandbox.state.subscribedPhones(OTHER_LIST).sort()).to.deep.equal([phone(3)]);
    expect(sandbox.state.contact(SC, phone(3))?.firstName).to.equal('Renamed');
    expect(applied.stderr).to.match(/2 lists are as the plan promised/);
  });

  it('says a plan is for an audience: an input of texts alone is refused (exit 2), and --plan does not go with --dry-run or --apply', async () => {
    sandbox = await sandboxWith(seed());
    const dir = tempDir('plan');
    const planPath = join(dir, 'plan.jsonl');
    const config = writeConfig(dir, sandbox);
    const textsOnly = await runCli('target.js', ['--config', config, '--plan', planPath], texts([msg(1)]));
    expect(textsOnly.code).to.equal(2);
    expect(textsOnly.stderr).to.match(/--plan applies to the audience sync; transactional texts are never part of a plan, and this input has only those/);
    const both = await runCli('target.js', ['--config', config, '--plan', planPath, '--dry-run'], input());
    expect(both.code).to.equal(2);
    expect(both.stderr).to.match(/--dry-run and --plan cannot be combined/);
    const applyWithInput = await runCli('target.js', ['--config', config, '--apply', planPath, '--input', planPath]);
    expect(applyWithInput.code).to.equal(2);
    expect(applyWithInput.stderr).to.match(/--apply reads no input: the plan holds every change \(drop --input\)/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });
});
