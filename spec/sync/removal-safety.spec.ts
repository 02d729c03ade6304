/**
 * Never unsubscribe a person by mistake: the removal rules driven through the built binary against the sandbox,
 * with the list checked member by member afterwards.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli.js';
import type { SeedContact } from '../../src/sandbox/model.js';
import { LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, row, type Row } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

/** A member whose number libphonenumber calls invalid (no such area code yet), but which Listrak holds. */
const UNKNOWN_AREA = '12000000000';

function configFile(sandbox: Sandbox, extra: Record<string, unknown> = {}): { path: string; rejects: string } {
  const dir = tempDir('removal');
  const rejects = join(dir, 'rejects.jsonl');
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(rawConfigFor(sandbox, { rejects_file: rejects, max_unsubscribe_ratio: 1, ...extra })));
  return { path, rejects };
}

function rejectsOf(path: string): Row[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

/** The lines of a Singer input: a schema, the records, and STATEs where asked. */
function lines(...parts: (Row | { state: unknown })[]): string {
  const out: object[] = [];
  const head = audience([]).trimEnd();
  for (const p of parts) out.push('state' in p ? { type: 'STATE', value: p.state } : { type: 'RECORD', stream: 'audience', record: p });
  return head + '\n' + out.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

describe('removal safety (built binary, sandbox)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.close());

  it('recognises a member however its phone is written, with no validity check, and writes nothing', async () => {
    const formats = (n: number) => {
      const d = phone(n).slice(1);
      return [`(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`, `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`, `+1 ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`, `1-${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`, `+1${d}`, d, `1${d}`];
    };
    const members = Array.from({ length: 8 }, (_, i) => member(i + 1));
    sandbox = await sandboxWith(baseSeed([...members, { ...member(9), phoneNumber: UNKNOWN_AREA }]));
    const rows = members.map((_, i) => row(i + 1, { phone: formats(i + 1)[i] }));
    rows.push(row(9, { phone: '(200) 000-0000' }));
    const { path } = configFile(sandbox);
    const res = await runCli('target.js', ['--config', path], audience(rows));
    expect(res.code, res.stderr).to.equal(0);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([...members.map((m) => m.phoneNumber), UNKNOWN_AREA].sort());
  });

  it('keeps a member whose record is rejected, the lowest phone of the list included', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3)]));
    const { path, rejects } = configFile(sandbox);
    // Member 1 is the list's lowest phone; member 2 is written in another format and with a bad email.
    const res = await runCli('target.js', ['--config', path], audience([row(1, { email: 'not-an-email' }), row(2, { phone: '(215) 555-0002', first_name: 'x'.repeat(51) }), row(3)]));
    expect(res.code, res.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), phone(2), phone(3)]);
    expect(writeCalls(sandbox)).to.deep.equal({});
    expect(rejectsOf(rejects).map((r) => r.reason)).to.deep.equal(['invalid_email', 'too_long']);
    expect(res.stderr).to.match(/kept \(record rejected\)\s+2/);
  });

  it('withholds every removal when the input has STATEs but none after the last record (a cut stream), exit 5', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3), member(4)]));
    const { path } = configFile(sandbox);
    // The tap wrote a STATE, then two records, then died: Meltano closes our stdin at a line boundary.
    const input = lines({ state: { bookmarks: { audience: 1 } } }, row(1), row(5));
    const res = await runCli('target.js', ['--config', path], input);
    expect(res.code, res.stderr).to.equal(5);
    expect(res.stderr).to.match(/removals withheld/);
    // The new person is added, and nobody is unsubscribed.
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), phone(2), phone(3), phone(4), phone(5)]);
    expect(sandbox.state.writes.filter((w) => w.op === 'unsubscribe')).to.deep.equal([]);
  });

  it('removes the members missing from an audience that a STATE closes', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3), member(4)]));
    const { path } = configFile(sandbox);
    const res = await runCli('target.js', ['--config', path], lines({ state: { a: 1 } }, row(1), row(2), { state: { a: 2 } }));
    expect(res.code, res.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), phone(2)]);
  });

  it('treats an input without any STATE as complete at its clean end, and require_final_state false as always complete', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3)]));
    const plain = await runCli('target.js', ['--config', configFile(sandbox).path], audience([row(1), row(2)]));
    expect(plain.code, plain.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), phone(2)]);
    const off = await runCli('target.js', ['--config', configFile(sandbox, { require_final_state: false }).path], lines({ state: 1 }, row(1)));
    expect(off.code, off.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1)]);
  });

  it('adds only numbers the sender code can text: other countries and toll-free numbers are rejected, allowed_countries widens', async () => {
    sandbox = await sandboxWith(baseSeed([member(1)]));
    const foreign = ['+49 151 23456789', '+33 6 12 34 56 78', '+91 98765 43210', '+1 800 555 0123'];
    const { path, rejects } = configFile(sandbox);
    const res = await runCli('target.js', ['--config', path], audience([row(1), ...foreign.map((p, i) => row(100 + i, { phone: p }))]));
    expect(res.code, res.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([phone(1)]);
    expect(sandbox.state.writes.filter((w) => w.op === 'create' || w.op === 'subscribe')).to.deep.equal([]);
    expect(rejectsOf(rejects).map((r) => r.reason)).to.deep.equal(['wrong_country', 'wrong_country', 'wrong_country', 'not_textable']);

    const widened = configFile(sandbox, { allowed_countries: ['de'] });
    const again = await runCli('target.js', ['--config', widened.path], audience([row(1), row(100, { phone: foreign[0] })]));
    expect(again.code, again.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), '4915123456789']);
    expect(sandbox.state.contact(SC, '4915123456789')).to.not.equal(undefined);
  });

  it('unsubscribes a member whose row the source marks deleted (_sdc_deleted_at), and counts it', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2), member(3)]));
    const { path } = configFile(sandbox);
    const res = await runCli('target.js', ['--config', path], audience([row(1), row(2, { _sdc_deleted_at: '2026-11-27T10:00:00Z' }), row(3, { _sdc_deleted_at: null })]));
    expect(res.code, res.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), phone(3)]);
    expect(res.stderr).to.match(/deleted in source\s+1/);
  });
});

describe('the rejects file (built binary, sandbox)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.close());

  it('is private, is never touched by a dry run, and survives a run that fails', async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
    const { path, rejects } = configFile(sandbox);
    const real = await runCli('target.js', ['--config', path], audience([row(1, { email: 'bad' }), row(2)]));
    expect(real.code, real.stderr).to.equal(0);
    const written = readFileSync(rejects, 'utf8');
    expect(rejectsOf(rejects).map((r) => r.reason)).to.deep.equal(['invalid_email']);
    expect(statSync(rejects).mode & 0o777).to.equal(0o600);

    const dry = await runCli('target.js', ['--config', path, '--dry-run'], audience([row(1), row(2, { email: 'also bad' })]));
    expect(dry.code, dry.stderr).to.equal(0);
    expect(readFileSync(rejects, 'utf8')).to.equal(written);
    expect(rejectsOf(`${rejects}.dry-run`).map((r) => r.line)).to.deep.equal([3]);
    expect(statSync(`${rejects}.dry-run`).mode & 0o777).to.equal(0o600);

    // Bad input stops the run before any write: the last run's rejects stay, and no partial file is left.
    const failed = await runCli('target.js', ['--config', path], audience([row(1, { email: 'bad again' })]) + '{"type":"RECORD",\n');
    expect(failed.code, failed.stderr).to.equal(3);
    expect(readFileSync(rejects, 'utf8')).to.equal(written);
    expect(readdirSync(dirname(rejects)).filter((f) => f.includes('partial'))).to.deep.equal([]);
  });
});

describe('the managed removal scope (built binary, sandbox)', function () {
  this.timeout(30_000);
  const MANAGED = 36;
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.close());

  function seed(contacts: SeedContact[]) {
    const s = baseSeed(contacts);
    s.profileFields = [...(s.profileFields ?? []), { segmentationFieldId: MANAGED, segmentationFieldName: 'Managed By Warehouse', dataType: 'Checkbox' }];
    return s;
  }
  const managed = (n: number, extra: Partial<SeedContact> = {}) => member(n, { fields: { [MANAGED]: 'true' }, ...extra });
  const flag = (n: number) => sandbox.state.contact(SC, phone(n))?.fields.get(MANAGED);

  it('leaves organic subscribers alone, unsubscribes managed members who left, and marks everyone it adds or finds', async () => {
    // 1 and 2 managed; 3 and 4 subscribed by keyword (no mark); 6 exists on another list of the sender code.
    sandbox = await sandboxWith(seed([managed(1), managed(2), member(3), member(4), member(6, { lists: [OTHER_LIST] })]));
    const { path } = configFile(sandbox, { removal_scope: 'managed', managed_field: 'managed_by_warehouse', max_unsubscribe_ratio: 0.5 });
    const first = await runCli('target.js', ['--config', path], audience([row(1), row(4), row(5), row(6)]));
    expect(first.code, first.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), phone(3), phone(4), phone(5), phone(6)]);
    expect(sandbox.state.writes.filter((w) => w.op === 'unsubscribe').map((w) => w.phone)).to.deep.equal([phone(2)]);
    expect([flag(1), flag(3), flag(4), flag(5), flag(6)]).to.deep.equal(['true', undefined, 'true', 'true', 'true']);
    expect(first.stderr).to.match(/kept unmanaged\s+1/);

    // 4 is managed now: when it leaves the audience it goes; 3 never does.
    const second = await runCli('target.js', ['--config', path], audience([row(1), row(5), row(6)]));
    expect(second.code, second.stderr).to.equal(0);
    expect(sandbox.state.subscribedPhones(LIST).sort()).to.deep.equal([phone(1), phone(3), phone(5), phone(6)]);
  });

  it('takes the guard over the managed members only', async () => {
    sandbox = await sandboxWith(seed([managed(1), managed(2), member(3), member(4), member(7), member(8)]));
    // One of two managed members would go: 50% of the scope, though only 1 in 6 of the list.
    const { path } = configFile(sandbox, { removal_scope: 'managed', managed_field: 'Managed By Warehouse', max_unsubscribe_ratio: 0.4 });
    const res = await runCli('target.js', ['--config', path], audience([row(1)]));
    expect(res.code, res.stderr).to.equal(4);
    expect(res.stderr).to.match(/refusing to unsubscribe 1 of 2 managed members/);
    expect(sandbox.state.writes).to.deep.equal([]);
  });

  it('refuses to start without a usable managed field, naming it', async () => {
    sandbox = await sandboxWith(seed([managed(1)]));
    const missing = await runCli('target.js', ['--config', configFile(sandbox, { removal_scope: 'managed', managed_field: 'No Such Field' }).path], audience([row(1)]));
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.match(/managed_field: no profile field "No Such Field"/);
    const text = await runCli('target.js', ['--config', configFile(sandbox, { removal_scope: 'managed', managed_field: 'Favorite Store' }).path], audience([row(1)]));
    expect(text.code).to.equal(2);
    expect(text.stderr).to.match(/managed_field: profile field "Favorite Store" is a Text field, not a Checkbox/);
    const unnamed = await runCli('target.js', ['--config', configFile(sandbox, { removal_scope: 'managed' }).path], audience([row(1)]));
    expect(unnamed.code).to.equal(2);
    expect(unnamed.stderr).to.match(/managed_field: required with removal_scope "managed"/);
    expect(sandbox.state.writes).to.deep.equal([]);
  });
});
