/**
 * The audience is read while the members phase runs: records met before the member index is known are kept as
 * digests and settled when it arrives, the rest are diffed at once. Both paths must come to the same plan, down to
 * which copy of a repeated phone counts and which is rejected.
 */
import { expect } from 'chai';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FIELDS, LIST, SC, audience, baseSeed, member, phone, row } from '../support/fixtures.js';
import { runTarget, sandboxWith, writeCalls, type RunOptions, type SyncRun } from '../support/harness.js';

describe('audience read during the members phase', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => sandbox?.close());

  const seed = () =>
    baseSeed([
      ...[1, 2, 3, 4, 5, 6, 10, 11].map((n) => member(n)),
      member(7, { lists: [], firstName: 'First7', lastName: 'Last7', emailAddress: 'p7@example.com' }),
      member(8, { lists: [], optedOut: true }),
    ]);

  // Line numbers: the SCHEMA is line 1, so rows[i] is line i + 2.
  const rows = [
    row(1), // unchanged
    row(2, { email: 'two@example.com' }), // system field changed
    row(3, { favorite_store: 'Fishtown' }), // custom field changed
    row(9), // new to the sender code: created
    row(7), // on the sender code: subscribed
    row(8), // opted out of the sender code
    row(1, { email: 'again@example.com' }), // line 8: a member repeated
    row(9, { first_name: 'Nine' }), // line 9: a new phone repeated
    row(12, { phone: 'not a phone' }), // line 10: rejected phone
    row(4, { loyalty_points: 'many' }), // line 11: a member with a bad value stays on the list, untouched
    row(6, { phone: '(215) 555-0006' }), // a member written nationally: unchanged
    row(10), // unchanged, then…
    row(10, { email: 'ten@example.com' }), // line 14: …repeated with a change: the repeat is rejected
    row(11, { email: 'eleven@example.com' }), // changed, then…
    row(11), // line 16: …repeated unchanged: the repeat is rejected
  ];

  async function run(opts: RunOptions, slowMembersMs = 0): Promise<SyncRun> {
    sandbox = await sandboxWith(seed());
    if (slowMembersMs) sandbox.faults.add({ operationId: 'Contact_GetContactCollection', delayMs: slowMembersMs, times: 100 });
    const r = await runTarget(sandbox, audience(rows), { max_unsubscribe_ratio: 1 }, opts);
    expect(r.error).to.equal(undefined);
    return r;
  }

  function outcome(r: SyncRun) {
    const s = sandbox as Sandbox;
    return {
      actions: r.result?.counts.actions,
      rejects: r.rejects.map((j) => `${String(j.line)} ${String(j.reason)}`),
      writes: writeCalls(s),
      list: s.state.subscribedPhones(LIST),
      emails: [1, 2, 9, 10, 11].map((n) => s.state.contact(SC, phone(n))?.emailAddress),
      store3: s.state.contact(SC, phone(3))?.fields.get(FIELDS.store),
    };
  }

  it('settles records read before the member index exactly as records read after it', async () => {
    // Every record before the index: the members answer slowly.
    const slow = await run({}, 150);
    const before = outcome(slow);
    await sandbox?.close();
    // Every record but the first after the index: the input waits for the members phase.
    const held = await run({ holdInputAfterLine: 2 });
    const after = outcome(held);
    // All but the two unchanged members (1, 10) and the national spelling of 6 need a full diff.
    expect(slow.result?.reading[0]?.early).to.deep.equal({ records: 15, reread: 12 });
    expect(held.result?.reading[0]?.early).to.deep.equal({ records: 1, reread: 0 });

    // Delivered in small chunks, as from a pipe: all but the head's block are parsed on the worker thread.
    await sandbox?.close();
    const piped = outcome(await run({ chunkChars: 64 }, 150));
    await sandbox?.close();
    const pipedAfter = outcome(await run({ chunkChars: 64, holdInputAfterLine: 2 }));

    expect(before).to.deep.equal(after);
    expect(piped).to.deep.equal(after);
    expect(pipedAfter).to.deep.equal(after);
    expect(before.rejects).to.deep.equal(['8 duplicate', '9 duplicate', '10 invalid_phone', '11 invalid_number', '14 duplicate', '16 duplicate']);
    expect(before.actions).to.include({ created: 1, subscribed: 1, updated: 2, import_rows: 1, unchanged: 3, opted_out: 1, unsubscribed: 1 });
    expect([...before.list].sort()).to.deep.equal([1, 2, 3, 4, 6, 7, 9, 10, 11].map(phone));
    expect(before.emails).to.deep.equal(['p1@example.com', 'two@example.com', 'p9@example.com', 'p10@example.com', 'eleven@example.com']);
    expect(before.store3).to.equal('Fishtown');
  });

  it('names the line of a bad line parsed on the worker thread, and writes nothing', async () => {
    sandbox = await sandboxWith(seed());
    const lines = audience(rows).split('\n');
    lines.splice(11, 0, '{"type":"RECORD","stream":"audience","record":{"phone":');
    const r = await runTarget(sandbox, lines.join('\n'), {}, { chunkChars: 40 });
    expect(r.error?.message).to.match(/^input line 12: malformed JSON/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('refuses a line too long to hold, naming it, when it comes in pieces', async () => {
    sandbox = await sandboxWith(seed());
    const huge = JSON.stringify({ type: 'RECORD', stream: 'audience', record: { ...row(1), first_name: 'x'.repeat(70 * 1024 * 1024) } });
    const input = audience(rows, { cut: true }) + huge + '\n';
    const r = await runTarget(sandbox, input, {}, { chunkChars: 4 * 1024 * 1024 });
    expect(r.error?.message).to.match(/^input line 17: line is longer than [\d,]+ bytes/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });

  it('stops reading the audience with the members error when the members read fails', async () => {
    sandbox = await sandboxWith(seed());
    sandbox.faults.add({ operationId: 'Contact_GetContactCollection', status: 400, error: 'ERROR_INVALID_PARAMETER', times: 100 });
    const r = await runTarget(sandbox, audience(rows), {}, { holdInputAfterLine: 2 });
    expect(r.error?.message).to.match(/getMembers: Listrak answered HTTP 400 ERROR_INVALID_PARAMETER/);
    expect(writeCalls(sandbox)).to.deep.equal({});
  });
});
