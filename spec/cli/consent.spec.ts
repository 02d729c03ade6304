/**
 * Consent as data, through the built binary against the sandbox: a revocation opts the person out of the sender
 * code whatever else the run may do (a cut input, the managed scope), the latest event wins, require_consent adds
 * nobody without consent, a flood is refused before any write, and a rerun writes nothing.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli.js';
import { AUDIENCE_SCHEMA, LIST, OTHER_LIST, SC, audience, baseSeed, member, phone, range, row, type Row } from '../support/fixtures.js';
import { configFor, metricLines, phasesIn, rawConfigFor, sandboxWith, writeCalls } from '../support/harness.js';
import { createListrakClient } from '../../src/listrak/client.js';
import { tempDir } from '../support/tmp.js';

const SCHEMA = {
  ...AUDIENCE_SCHEMA,
  schema: { ...AUDIENCE_SCHEMA.schema, properties: { ...AUDIENCE_SCHEMA.schema.properties, sms_consent: {}, sms_consent_at: { type: ['string', 'null'], format: 'date-time' } } },
};

/** Twenty-five members, so that one revocation (4%) is within max_opt_out_ratio's default of 5%. */
const MEMBERS = range(1, 26);

function configFile(sandbox: Sandbox, extra: Record<string, unknown> = {}): string {
  const path = join(tempDir('consent'), 'config.json');
  writeFileSync(path, JSON.stringify(rawConfigFor(sandbox, extra)));
  return path;
}

const consented = (rows: Row[], opts: { cut?: boolean } = {}) => audience(rows, { schema: SCHEMA, ...opts });
const run = (sandbox: Sandbox, input: string, extra: Record<string, unknown> = {}, args: string[] = []) => runCli('target.js', ['--config', configFile(sandbox, extra), ...args], input);
const optedOut = (s: Sandbox, n: number) => s.state.contact(SC, phone(n))?.optedOut;

describe('consent through the built binary', function () {
  this.timeout(60_000);
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('opts a member who revokes out of the sender code, lists it among the opt-outs, and a rerun writes nothing', async () => {
    const s = (sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n)))));
    const input = consented(MEMBERS.map((n) => row(n, { sms_consent: n === 3 ? 'STOP' : n % 2 ? 'yes' : null })));
    const first = await run(s, input);
    expect(first.code, first.stderr).to.equal(0);
    expect(optedOut(s, 3)).to.equal(true);
    expect(s.state.writes).to.deep.equal([{ op: 'update', phone: phone(3) }]);
    expect(s.state.subscribedPhones(LIST)).to.have.length(24).and.not.include(phone(3));
    expect(phasesIn(metricLines(first.stderr))).to.deep.equal(['prepare', 'members', 'audience', 'updates', 'revocations', 'unsubscribe', 'done']);
    expect(first.stderr).to.match(/revocations: 1 number\(s\) whose consent was revoked opted out of the sender code, 0 already/);
    expect(first.stderr).to.match(/consent revocations honoured\s+1/).and.match(/records of unknown consent\s+12/);
    expect(first.stderr).to.not.include(phone(3));
    // Listrak's own list of the sender code's opt-outs names it.
    const { api } = createListrakClient(configFor(s));
    const listed = await api.getOptOutsPage(null, 100);
    expect(listed.data.map((o) => o.phoneNumber)).to.deep.equal([phone(3)]);

    s.calls.clear();
    const rerun = await run(s, input);
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(writeCalls(s)).to.deep.equal({});
    expect(rerun.stderr).to.match(/consent revocations already in force\s+1/);
  });

  it('creates nothing for a revoked new number, and opts out one the sender code knows from another list', async () => {
    const s = (sandbox = await sandboxWith(baseSeed([...MEMBERS.map((n) => member(n)), member(60, { lists: [OTHER_LIST] })])));
    const res = await run(s, consented([...MEMBERS.map((n) => row(n)), row(50, { sms_consent: 'revoked' }), row(60, { sms_consent: false }), row(70, { sms_consent: 'opted_in' })]));
    expect(res.code, res.stderr).to.equal(0);
    expect(s.state.contact(SC, phone(50))).to.equal(undefined);
    expect(optedOut(s, 60)).to.equal(true);
    expect(s.state.subscribedPhones(LIST)).to.include(phone(70)).and.not.include(phone(60)).and.not.include(phone(50));
    expect(s.state.writes.filter((w) => w.op !== 'update').map((w) => `${w.op} ${w.phone}`)).to.deep.equal([`create ${phone(70)}`]);
    expect(res.stderr).to.match(/revoked, not on the sender code\s+1/);
  });

  it('lets the latest consent event stand, both ways, whatever order the rows come in', async () => {
    const s = (sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n)))));
    const rows = [
      ...MEMBERS.filter((n) => n > 3).map((n) => row(n)),
      // 1: revoked, then granted later: stays. 2: granted, then revoked later: opted out.
      row(1, { sms_consent: 'granted', sms_consent_at: '2026-03-02T10:00:00Z' }),
      row(2, { sms_consent: 'revoked', sms_consent_at: '2026-03-02T10:00:00Z' }),
      row(2, { sms_consent: 'granted', sms_consent_at: '2026-03-01T10:00:00Z' }),
      row(1, { sms_consent: 'revoked', sms_consent_at: '2026-03-01T10:00:00Z' }),
      // 3: an untimed revocation loses to a timed grant.
      row(3, { sms_consent: 'no' }),
      row(3, { sms_consent: 'yes', sms_consent_at: '2020-01-01' }),
      // New numbers: 80 revoked then granted later is added; 81 granted then revoked later is not.
      row(80, { sms_consent: 'no', sms_consent_at: '2026-01-01T00:00:00Z' }),
      row(80, { sms_consent: 'yes', sms_consent_at: '2026-02-01T00:00:00Z' }),
      row(81, { sms_consent: 'yes', sms_consent_at: '2026-01-01T00:00:00Z' }),
      row(81, { sms_consent: 'no', sms_consent_at: '2026-02-01T00:00:00Z' }),
    ];
    const res = await run(s, consented(rows));
    expect(res.code, res.stderr).to.equal(0);
    expect([1, 2, 3].map((n) => optedOut(s, n))).to.deep.equal([false, true, false]);
    expect(s.state.subscribedPhones(LIST)).to.include(phone(1)).and.include(phone(3)).and.include(phone(80));
    expect(s.state.contact(SC, phone(81))).to.equal(undefined);
    // 81 is on no list of the sender code: its opt-out finds nobody, and it is never created.
    expect(s.state.writes.map((w) => `${w.op} ${w.phone}`).sort()).to.deep.equal([`create ${phone(80)}`, `update ${phone(2)}`]);
  });

  it('with require_consent, adds only new numbers whose consent is granted, and keeps members of unknown consent', async () => {
    const s = (sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n)))));
    const res = await run(s, consented([...MEMBERS.map((n) => row(n)), row(90), row(91, { sms_consent: '' }), row(92, { sms_consent: 'y' })]), { require_consent: true });
    expect(res.code, res.stderr).to.equal(0);
    expect(s.state.subscribedPhones(LIST)).to.have.length(26).and.include(phone(92)).and.include(phone(1));
    expect(s.state.writes.map((w) => `${w.op} ${w.phone}`)).to.deep.equal([`create ${phone(92)}`]);
    expect(res.stderr).to.match(/new numbers without consent\s+2/).and.match(/no_consent\s+2/).and.match(/records of unknown consent\s+27/);
  });

  it('applies revocations from a cut input, unsubscribes nobody for absence, and exits 5', async () => {
    const s = (sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n)))));
    // Member 25 is missing from the audience: absence, which a cut input cannot prove.
    const res = await run(s, consented([row(7, { sms_consent: 'opted_out' }), ...MEMBERS.filter((n) => n !== 7 && n !== 25).map((n) => row(n))], { cut: true }));
    expect(res.code, res.stderr).to.equal(5);
    expect(optedOut(s, 7)).to.equal(true);
    expect(s.state.subscribedPhones(LIST)).to.include(phone(25));
    expect(s.state.writes).to.deep.equal([{ op: 'update', phone: phone(7) }]);
  });

  it('refuses a flood of revocations whole, before any write (exit 4), and the dry run says which, masked', async () => {
    const s = (sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n)))));
    const input = consented([...MEMBERS.map((n) => row(n, { sms_consent: n <= 2 ? 'stop' : 'yes', first_name: 'Changed' })), row(99, { sms_consent: 'yes' })]);
    const res = await run(s, input);
    expect(res.code, res.stderr).to.equal(4);
    expect(res.stderr).to.match(/ERROR: GuardError: refusing to opt out 2 member\(s\) whose consent the audience revokes, 8\.0% of the list's 25 members, more than max_opt_out_ratio 0\.05/);
    expect(writeCalls(s)).to.deep.equal({});
    const dry = await run(s, input, {}, ['--dry-run']);
    expect(dry.code).to.equal(4);
    expect(dry.stderr).to.include('opt_out *******0001 (consent_revoked)').and.include('opt_out *******0002 (consent_revoked)');
    expect(dry.stderr).to.match(/2 member\(s\) whose consent is revoked to opt out/);
    expect(writeCalls(s)).to.deep.equal({});
    // Allowed for this run, both go.
    const allowed = await run(s, input, { max_opt_out_ratio: 0.1 });
    expect(allowed.code, allowed.stderr).to.equal(0);
    expect([1, 2].map((n) => optedOut(s, n))).to.deep.equal([true, true]);
  });

  it('opts out an organic member who revoked, in the managed scope too', async () => {
    const MANAGED = 36;
    const seed = baseSeed(MEMBERS.map((n) => member(n, n === 4 ? {} : { fields: { [MANAGED]: 'true' } })));
    seed.profileFields = [...(seed.profileFields ?? []), { segmentationFieldId: MANAGED, segmentationFieldName: 'Managed', dataType: 'Checkbox' }];
    const s = (sandbox = await sandboxWith(seed));
    const res = await run(s, consented(MEMBERS.map((n) => row(n, n === 4 ? { sms_consent: 'false' } : {}))), { removal_scope: 'managed', managed_field: 'Managed' });
    expect(res.code, res.stderr).to.equal(0);
    expect(optedOut(s, 4)).to.equal(true);
    expect(s.state.subscribedPhones(LIST)).to.have.length(24);
  });

  it('unsubscribes from this list only with on_revoked "unsubscribe", and a rerun writes nothing', async () => {
    const s = (sandbox = await sandboxWith(baseSeed(MEMBERS.map((n) => member(n, n === 5 ? { lists: [LIST, OTHER_LIST] } : {})))));
    const input = consented(MEMBERS.map((n) => row(n, n === 5 ? { sms_consent: 'revoked' } : {})));
    const res = await run(s, input, { on_revoked: 'unsubscribe' });
    expect(res.code, res.stderr).to.equal(0);
    expect(optedOut(s, 5)).to.equal(false);
    expect(s.state.subscribedPhones(LIST)).to.not.include(phone(5));
    expect(s.state.subscribedPhones(OTHER_LIST)).to.include(phone(5));
    s.calls.clear();
    const rerun = await run(s, input, { on_revoked: 'unsubscribe' });
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(writeCalls(s)).to.deep.equal({});
  });
});
