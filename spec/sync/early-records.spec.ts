/**
 * Records read while the members are still being read are kept as digests and settled, in input order, once the
 * member index is there. However many there are, each is settled exactly as if it had come after the index.
 */
import { expect } from 'chai';
import type { Sandbox } from '../../src/sandbox/server.js';
import { LIST, SC, audience, baseSeed, member, phone, row, range } from '../support/fixtures.js';
import { runTarget, sandboxWith } from '../support/harness.js';

describe('records read before the member index', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  it('settles well over a thousand of them: unchanged, changed, new, duplicate and gone members alike', async () => {
    sandbox = await sandboxWith(baseSeed(range(1, 1201).map((n) => member(n))));
    // The members answer late, so the whole audience is read first (with room to spare on a loaded machine).
    sandbox.faults.add({ operationId: 'Contact_GetContactCollection', delayMs: 1500 });
    const rows = range(1, 1200).map((n) => (n === 1100 ? row(n, { first_name: 'Renamed' }) : row(n)));
    rows.push(row(1100), row(2000));
    // In pieces, as a pipe delivers it: most records are digested on the worker thread.
    const run = await runTarget(sandbox, audience(rows), {}, { chunkChars: 8192 });
    expect(run.error).to.equal(undefined);
    const early = run.result?.reading[0]?.early;
    expect(early?.records).to.be.greaterThan(1024);
    // Only the three that need more than "unchanged" are read again: the change, the repeat and the new number.
    expect(early?.reread).to.equal(3);
    expect(run.result?.counts.actions).to.include({ unchanged: 1198, updated: 1, created: 1, unsubscribed: 1 });
    expect(run.rejects.map((r) => [r.line, r.reason])).to.deep.equal([[1201, 'duplicate']]);
    expect(sandbox.state.contact(SC, phone(1100))?.firstName).to.equal('Renamed');
    expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(2000)).and.not.include(phone(1200));
  });
});
