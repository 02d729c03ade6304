/**
 * Removal evidence as real taps give it: the recorded output of a Meltano SDK tap, whole or cut where a tap that
 * died would leave it, fed to the built binary against the sandbox. Members missing from the audience are
 * unsubscribed only when the input proves the audience whole.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizePhone } from '../../src/contact/phone.js';
import type { SeedContact } from '../../src/sandbox/model.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli, type CliResult } from '../support/cli.js';
import { LIST, OTHER_LIST, SC, TX_SCHEMA, member, msg, phone, txSeed } from '../support/fixtures.js';
import { rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { recording } from '../support/recordings.js';
import { tempDir } from '../support/tmp.js';

const UNSUBSCRIBE = 'ContactListSubscription_DeleteUnsubscribeContactListSubscription';
/** Members on the list who are in no recording's audience: the ones a complete audience removes. */
const LEFT = [1, 2, 3];

describe('removal evidence, from a real SDK tap (built binary, sandbox)', function () {
  this.timeout(60_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  /** The list holds every person of the recording as the tap sends them (unchanged), plus the members who left. */
  async function listFor(lines: string[]): Promise<Sandbox> {
    const contacts = new Map<string, SeedContact>();
    for (const line of lines) {
      const m = JSON.parse(line) as { type: string; record?: Record<string, string> };
      if (m.type !== 'RECORD' || !m.record) continue;
      const r = normalizePhone(m.record.phone, 'US');
      const { email, first_name, last_name } = m.record;
      if (r.ok) contacts.set(r.phone, { senderCodeId: SC, phoneNumber: r.phone, emailAddress: email, firstName: first_name, lastName: last_name, lists: [LIST] });
    }
    // A member of the texts' list too, for the spec that sends one.
    sandbox = await sandboxWith(txSeed([...contacts.values(), ...LEFT.map((n) => member(n, { lists: [LIST, OTHER_LIST] }))]));
    return sandbox;
  }

  async function run(s: Sandbox, input: string, extra: Record<string, unknown> = {}): Promise<CliResult> {
    const dir = tempDir('evidence');
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(rawConfigFor(s, { rejects_file: join(dir, 'rejects.jsonl'), max_unsubscribe_ratio: 1, ...extra })));
    return runCli('target.js', ['--config', path], input);
  }

  function recorded(name: string, ctx: Mocha.Context): string[] {
    const lines = recording(name);
    if (!lines) ctx.skip();
    return lines as string[];
  }

  const unsubscribes = (s: Sandbox) => s.calls.get(UNSUBSCRIBE) ?? 0;
  const leftStillThere = (s: Sandbox) => LEFT.every((n) => s.state.subscribedPhones(LIST).includes(phone(n)));

  it('a whole full-table stream, ending in its final STATE, is mirrored', async function () {
    const lines = recorded('full-table-12000.singer', this);
    const s = await listFor(lines);
    const res = await run(s, lines.join(''));
    expect(res.code, res.stderr).to.equal(0);
    expect(unsubscribes(s)).to.equal(LEFT.length);
    expect(s.state.subscribedPhones(LIST)).to.have.length(12_000);
    expect(res.stdout.trim().split('\n')).to.have.length(1);
  });

  it('a first run cut before its final STATE (no STATE before the records) unsubscribes nobody: exit 5', async function () {
    const lines = recorded('full-table-12000.singer', this);
    const s = await listFor(lines);
    // Killed after record 9,000: the SDK had written no STATE yet.
    const res = await run(s, lines.slice(0, 9_001).join(''));
    expect(res.code, res.stderr).to.equal(5);
    expect(unsubscribes(s)).to.equal(0);
    expect(leftStillThere(s)).to.equal(true);
    expect(res.stderr).to.match(/no STATE or ACTIVATE_VERSION follows the last record of stream "audience" \(line 9001\)/);
    expect(res.stdout, 'nothing is passed on: the tap sent no state').to.equal('');
  });

  it('a cut after the STATE the SDK writes every 10,000 records, but before the end, unsubscribes nobody', async function () {
    const lines = recorded('full-table-12000.singer', this);
    const s = await listFor(lines);
    const res = await run(s, lines.slice(0, 11_000).join(''));
    expect(res.code, res.stderr).to.equal(5);
    expect(unsubscribes(s)).to.equal(0);
    expect(s.state.subscribedPhones(LIST)).to.have.length(12_003);
  });

  it('a tap killed mid-write (a partial last line) applies what came, unsubscribes nobody, and names the line: exit 5', async function () {
    const lines = recorded('full-table-12000.singer', this);
    const s = await listFor(lines);
    const partial = (lines[500] as string).slice(0, 40);
    const res = await run(s, lines.slice(0, 500).join('') + partial);
    expect(res.code, res.stderr).to.equal(5);
    expect(unsubscribes(s)).to.equal(0);
    expect(res.stderr).to.match(/input line 501: malformed JSON .*: the input's last line is incomplete, as a tap killed mid-write leaves it; ignored/);
    expect(res.stderr).to.match(/the input ends in a partial line \(line 501\)/);
  });

  it('an incremental delta with its final STATE unsubscribes nobody, and says how to fix it in Meltano: exit 5', async function () {
    const lines = recorded('incremental-1000.singer', this);
    const s = await listFor(lines);
    const res = await run(s, lines.join(''));
    expect(res.code, res.stderr).to.equal(5);
    expect(unsubscribes(s)).to.equal(0);
    expect(leftStillThere(s)).to.equal(true);
    expect(res.stderr).to.match(/stream "audience" is incremental \(its SCHEMA \(line 1\) has bookmark_properties \["_sdc_modified_at"\]\)/);
    expect(res.stderr).to.include('metadata: {audience: {replication-method: FULL_TABLE}}');
    // Adds and updates still go through, and the tap's state is passed on once they are applied.
    expect(res.stdout.trim().split('\n')).to.have.length(1);
  });

  it('an ACTIVATE_VERSION only before the records is no evidence: cut, it unsubscribes nobody', async function () {
    const lines = recorded('activate-version-1000.singer', this);
    const s = await listFor(lines);
    const res = await run(s, lines.slice(0, 902).join(''));
    expect(res.code, res.stderr).to.equal(5);
    expect(unsubscribes(s)).to.equal(0);
  });

  it('an ACTIVATE_VERSION after the last record (older Singer taps) is evidence: mirrored', async function () {
    const lines = recorded('activate-version-1000.singer', this);
    const s = await listFor(lines);
    const withoutState = lines.slice(0, -1);
    const res = await run(s, withoutState.join('') + (lines[1] as string));
    expect(res.code, res.stderr).to.equal(0);
    expect(unsubscribes(s)).to.equal(LEFT.length);
  });

  it('removal_evidence "end_of_input" mirrors a file with no STATE, but never a partial last line', async function () {
    const lines = recorded('full-table-12000.singer', this).filter((l) => !l.includes('"type":"STATE"'));
    const s = await listFor(lines);
    const cut = await run(s, lines.slice(0, 800).join('') + '{"type":"REC', { removal_evidence: 'end_of_input' });
    expect(cut.code, cut.stderr).to.equal(5);
    expect(unsubscribes(s)).to.equal(0);
    const whole = await run(s, lines.join(''), { removal_evidence: 'end_of_input' });
    expect(whole.code, whole.stderr).to.equal(0);
    expect(unsubscribes(s)).to.equal(LEFT.length);
  });

  it('require_final_state false is still read, as "end_of_input", with a deprecation warning', async function () {
    const lines = recorded('full-table-12000.singer', this).filter((l) => !l.includes('"type":"STATE"'));
    const s = await listFor(lines);
    const res = await run(s, lines.join(''), { require_final_state: false });
    expect(res.code, res.stderr).to.equal(0);
    expect(unsubscribes(s)).to.equal(LEFT.length);
    expect(res.stderr).to.include('require_final_state is deprecated: it is read as removal_evidence "end_of_input"');
  });

  it('evidence is per stream: texts after the audience\'s final STATE do not withhold its removals', async function () {
    const lines = recorded('activate-version-1000.singer', this);
    const s = await listFor(lines);
    const text = [TX_SCHEMA, { type: 'RECORD', stream: TX_SCHEMA.stream, record: msg(1) }].map((m) => JSON.stringify(m) + '\n').join('');
    const res = await run(s, lines.join('') + text, { transactional_phone_list_id: OTHER_LIST, journal_path: join(tempDir('journal'), 'journal.jsonl') });
    expect(res.code, res.stderr).to.equal(0);
    expect(writeCalls(s)[UNSUBSCRIBE]).to.equal(LEFT.length);
    expect(s.state.sent).to.have.length(1);
  });

  it('a dry run says, before the first real run, whether removals would be allowed and why not', async function () {
    const lines = recorded('full-table-12000.singer', this);
    const s = await listFor(lines);
    const dir = tempDir('evidence');
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(rawConfigFor(s, { rejects_file: join(dir, 'rejects.jsonl'), max_unsubscribe_ratio: 1 })));
    const cut = await runCli('target.js', ['--config', path, '--dry-run'], lines.slice(0, 9_001).join(''));
    expect(cut.stderr).to.match(/removals would be withheld: no STATE or ACTIVATE_VERSION follows the last record/);
    const whole = await runCli('target.js', ['--config', path, '--dry-run'], lines.join(''));
    expect(whole.code, whole.stderr).to.equal(0);
    expect(whole.stderr).to.match(/removals allowed: a STATE \(line 12003\) follows the last record of stream "audience"/);
    expect(writeCalls(s)).to.deep.equal({});
  });
});
