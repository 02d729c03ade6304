/**
 * A present member is never removed: a record that names a member keeps it on the list, wherever the member sits
 * in the index (the lowest number included), however the record writes the phone, and even when the record itself
 * is rejected.
 */
import { expect } from 'chai';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { SeedContact } from '../../src/sandbox/model.js';
import { LIST, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls } from '../support/harness.js';
import { TIMINGS } from '../support/timing.js';

/** A number libphonenumber's metadata calls invalid, as it does an area code opened after its release. */
const UNKNOWN_AREA = '12005550100';
const unknownArea = (extra: Partial<SeedContact> = {}): SeedContact => ({ ...member(0), phoneNumber: UNKNOWN_AREA, ...extra });

describe('members present in the audience stay on the list', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  for (const timing of TIMINGS) {
    describe(timing.name, () => {
      it('keeps the lowest-numbered member whose record has a bad value, rejecting only its update', async () => {
        sandbox = await sandboxWith(baseSeed([unknownArea(), member(1), member(2), member(3), member(4)]));
        const opts = timing.arrange(sandbox);
        const run = await runTarget(
          sandbox,
          audience([row(2), { ...row(0), phone: '(200) 555-0100', email: 'broken' }, row(1, { first_name: { nested: true } }), row(3), row(4)]),
          {},
          opts,
        );
        expect(run.error).to.equal(undefined);
        expect(sandbox.state.subscribedPhones(LIST)).to.deep.equal([UNKNOWN_AREA, phone(1), phone(2), phone(3), phone(4)]);
        expect(writeCalls(sandbox)).to.deep.equal({});
        expect(run.result?.counts.removal.kept_rejected_record).to.equal(2);
        expect(run.result?.counts.actions).to.include({ unchanged: 3, unsubscribed: 0 });
        expect(run.rejects.map((r) => [r.line, r.reason, r.field])).to.deep.equal([
          [3, 'invalid_email', 'email'],
          [4, 'invalid_type', 'first_name'],
        ]);
        expect(run.rejects[0]?.detail).to.equal('not an email address (the member stays on the list, unchanged)');
      });

      it('keeps the lowest-numbered member whose number libphonenumber rejects, however the record writes it', async () => {
        for (const written of ['+1 200 555 0100', '200.555.0100', UNKNOWN_AREA, Number(UNKNOWN_AREA)]) {
          const s = await sandboxWith(baseSeed([unknownArea(), member(1), member(2), member(3), member(4)]));
          try {
            const run = await runTarget(s, audience([row(1), { ...row(0), phone: written }, row(2), row(3), row(4)]), {}, timing.arrange(s));
            expect(run.error).to.equal(undefined);
            expect(s.state.subscribedPhones(LIST), String(written)).to.include(UNKNOWN_AREA);
            expect(run.result?.counts.actions, String(written)).to.include({ unchanged: 5, unsubscribed: 0 });
            expect(run.rejects, String(written)).to.deep.equal([]);
          } finally {
            await s.close();
          }
        }
      });

      it("updates the lowest-numbered member's changed fields on its own record, not a new contact", async () => {
        sandbox = await sandboxWith(baseSeed([unknownArea(), member(1), member(2), member(3), member(4)]));
        const opts = timing.arrange(sandbox);
        const run = await runTarget(sandbox, audience([row(1), { ...row(0), phone: '200-555-0100', first_name: 'Renamed' }, row(2), row(3), row(4)]), {}, opts);
        expect(run.error).to.equal(undefined);
        expect(writeCalls(sandbox)).to.deep.equal({ Contact_PutContactResource: 1 });
        expect(sandbox.state.writes).to.deep.equal([{ op: 'update', phone: UNKNOWN_AREA }]);
        expect(sandbox.state.contact(SC, UNKNOWN_AREA)?.firstName).to.equal('Renamed');
        expect(run.result?.counts.writes).to.deep.equal({ new: 0, update: 1, unsubscribe: 0, import: 0 });
      });
    });
  }

  it('settles unchanged members read while the members are from their digests, without reading them again', async () => {
    sandbox = await sandboxWith(baseSeed([unknownArea(), member(1), member(2)]));
    const opts = TIMINGS[0]?.arrange(sandbox);
    const run = await runTarget(sandbox, audience([row(1), { ...row(0), phone: UNKNOWN_AREA }, row(2)]), {}, opts);
    expect(run.error).to.equal(undefined);
    expect(run.result?.counts.actions.unchanged).to.equal(3);
    expect(run.result?.reading[0]?.early.reread).to.equal(0);
  });
});
