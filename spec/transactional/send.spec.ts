import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListrakError, StoppedError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { checkContent, segmentsOf } from '../../src/transactional/content.js';
import { startCli } from '../support/cli.js';
import { killAfterSends, unknownIn } from '../support/kill.js';
import { DOI_LIST, LIST, OTHER_LIST, audience, member, msg, phone, row, texts, txSeed } from '../support/fixtures.js';
import { phases, rawConfigFor, runTarget, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

describe('transactional texts', () => {
  let sandbox: Sandbox;
  let journal: string;
  afterEach(async () => sandbox?.close());

  async function setup() {
    sandbox = await sandboxWith(txSeed([member(1, { lists: [OTHER_LIST] }), member(2, { lists: [OTHER_LIST] }), member(3, { lists: [LIST] }), member(4, { lists: [OTHER_LIST] })]));
    journal = join(tempDir('journal'), 'journal.jsonl');
    writeFileSync(journal, ''); // a journal kept from earlier runs: no warning about a new one
  }
  const run = (input: string, extra: Record<string, unknown> = {}) => runTarget(sandbox, input, { transactional_phone_list_id: OTHER_LIST, journal_path: journal, ...extra });
  const sentTo = () => sandbox.state.sent.map((s) => s.phoneNumber);

  it('sends each text once and journals it; a rerun sends nothing again', async () => {
    await setup();
    const input = texts([msg(1), msg(2, { phone: '(215) 555-0002' })]);
    const first = await run(input, { phone_list_id: undefined });
    expect(first.error).to.equal(undefined);
    expect(sentTo()).to.deep.equal([phone(1), phone(2)]);
    expect(sandbox.state.sent[0]).to.include({ messageContent: 'Order 1 confirmed', transactionalMessageId: 77, phoneListId: OTHER_LIST });
    expect(first.result?.counts.transactional).to.include({ sent: 2 });
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { k: string; s: string });
    expect(lines.filter((l) => l.s === 'sent').map((l) => l.k).sort()).to.deep.equal(['order-1', 'order-2']);

    const again = await run(input);
    expect(again.error).to.equal(undefined);
    expect(sandbox.state.sent).to.have.length(2);
    expect(again.result?.counts.transactional).to.include({ sent: 0, already_sent: 2 });
  });

  it('journals a text it was stopped before sending as not sent, so the rerun sends it (not "unknown")', async () => {
    await setup();
    // The first send takes a while; the stop comes during it, so the second text's call never starts.
    const SEND = 'TransactionalMessage_PostTransactionalMessageSend';
    sandbox.faults.add({ operationId: SEND, delayMs: 300 });
    const stop = new AbortController();
    const stopDuringFirstSend = setInterval(() => sandbox.calls.get(SEND) && stop.abort(new StoppedError('SIGTERM')), 5);
    const stopped = await runTarget(sandbox, texts([msg(1), msg(2)]), { transactional_phone_list_id: OTHER_LIST, journal_path: journal, max_concurrency: 1 }, { signal: stop.signal });
    clearInterval(stopDuringFirstSend);
    expect(stopped.error).to.be.instanceOf(StoppedError);
    expect(sentTo()).to.deep.equal([phone(1)]);
    const rerun = await run(texts([msg(1), msg(2)]));
    expect(rerun.error).to.equal(undefined);
    expect(sentTo()).to.deep.equal([phone(1), phone(2)]);
    expect(rerun.result?.counts.transactional).to.include({ sent: 1, already_sent: 1, unknown: 0 });
  });

  it('keys a record without message_key by its content, whenever the tap extracted it', async () => {
    await setup();
    const text = (extractedAt: string) => texts([{ phone: phone(1), message: 'Shipped!', transactional_message_id: 77, _sdc_extracted_at: extractedAt }]);
    await run(text('2026-11-27T01:00:00Z'));
    await run(text('2026-11-27T01:00:00Z'));
    const replayed = await run(text('2026-11-28T01:00:00Z'));
    expect(sandbox.state.sent).to.have.length(1);
    expect(replayed.result?.counts.transactional).to.include({ sent: 0, already_sent: 1 });
  });

  it('rejects a contact not subscribed to the transactional list, with a clear reason', async () => {
    await setup();
    const r = await run(texts([msg(3), msg(1)]));
    expect(r.error).to.equal(undefined);
    expect(sentTo()).to.deep.equal([phone(1)]);
    expect(r.rejects).to.have.length(1);
    expect(r.rejects[0]).to.deep.include({ reason: 'not_subscribed', line: 2, listrak_code: 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED' });
  });

  it('with subscribe_before_send, subscribes (or creates) the contact first, then sends', async () => {
    await setup();
    const r = await run(texts([msg(3), msg(9)]), { subscribe_before_send: true });
    expect(r.error).to.equal(undefined);
    expect(sentTo()).to.deep.equal([phone(3), phone(9)]);
    expect(sandbox.state.subscribedPhones(OTHER_LIST)).to.include.members([phone(3), phone(9)]);
    expect(r.result?.counts.transactional).to.include({ sent: 2, subscribed_first: 2 });
  });

  it('on a double opt-in list, leaves the text waiting for the opt-in instead of sending', async () => {
    await setup();
    const r = await run(texts([msg(3, { transactional_message_id: 78 })]), { subscribe_before_send: true, transactional_phone_list_id: DOI_LIST });
    expect(r.error).to.equal(undefined);
    expect(sandbox.state.sent).to.deep.equal([]);
    expect(sandbox.state.pendingPhones(DOI_LIST)).to.deep.equal([phone(3)]);
    expect(r.result?.counts.transactional).to.include({ pending: 1, sent: 0 });
  });

  it('rejects an unknown message shell before any send', async () => {
    await setup();
    const r = await run(texts([msg(1, { transactional_message_id: 99 }), msg(2, { transactional_message_id: 99 })]));
    expect(r.rejects.map((x) => x.reason)).to.deep.equal(['unknown_message', 'unknown_message']);
    expect(sandbox.calls.get('TransactionalMessage_PostTransactionalMessageSend')).to.equal(undefined);
    expect(sandbox.calls.get('TransactionalMessage_GetTransactionalMessageResource')).to.equal(1);
  });

  it('checks content: empty and coupon tags rejected before the call, long texts counted as multi-segment', async () => {
    await setup();
    const r = await run(texts([msg(1, { message: '  ' }), msg(2, { message: 'Use [Coupon Code] now' }), msg(4, { message: 'x'.repeat(161) })]));
    expect(r.rejects.map((x) => x.reason)).to.deep.equal(['empty_message', 'coupon_tag']);
    expect(sentTo()).to.deep.equal([phone(4)]);
    expect(r.result?.counts.transactional.multi_segment).to.equal(1);
    expect(segmentsOf('x'.repeat(160))).to.equal(1);
    expect(segmentsOf('x'.repeat(161))).to.equal(2);
    expect(segmentsOf('é'.repeat(70))).to.equal(1);
    expect(segmentsOf('🎉'.repeat(71))).to.equal(2);
    expect(checkContent(undefined)).to.deep.include({ ok: false, reason: 'empty_message' });
  });

  it('rejects a text older than max_text_age as stale, unless it was sent while fresh', async () => {
    await setup();
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const fresh = await run(texts([msg(1, { event_time: hoursAgo(1) })]));
    expect(fresh.result?.counts.transactional).to.include({ sent: 1 });
    const r = await run(texts([msg(1, { event_time: hoursAgo(1) }), msg(2, { event_time: hoursAgo(30) }), msg(3, { event_time: 'last week' }), msg(4)]), { max_text_age: '30m' });
    expect(sentTo()).to.deep.equal([phone(1), phone(4)]);
    expect(r.result?.counts.transactional).to.include({ sent: 1, already_sent: 1 });
    expect(r.rejects.map((x) => [x.reason, x.field, x.line]).sort((a, b) => Number(a[2]) - Number(b[2]))).to.deep.equal([
      ['stale', 'event_time', 3],
      ['invalid_date', 'event_time', 4],
    ]);
  });

  it('retries a 429 (Listrak did not take it) and sends exactly once', async () => {
    await setup();
    sandbox.faults.add({ operationId: 'TransactionalMessage_PostTransactionalMessageSend', status: 429, times: 2 });
    const r = await run(texts([msg(1)]));
    expect(r.error).to.equal(undefined);
    expect(sandbox.calls.get('TransactionalMessage_PostTransactionalMessageSend')).to.equal(3);
    expect(sandbox.state.sent).to.have.length(1);
  });

  it('never retries a send whose outcome is unknown, reports it on the next run, and re-sends only when asked', async () => {
    await setup();
    // The text goes out, then the connection drops before the answer: the client cannot know.
    sandbox.faults.add({ operationId: 'TransactionalMessage_PostTransactionalMessageSend', drop: true, afterHandler: true });
    const first = await run(texts([msg(1), msg(2)]), { max_concurrency: 1 });
    expect(first.error).to.be.instanceOf(ListrakError);
    expect(first.error?.message).to.match(/outcome of that text is unknown/);
    expect(sandbox.calls.get('TransactionalMessage_PostTransactionalMessageSend')).to.equal(1);
    expect(sandbox.state.sent).to.have.length(1);

    const second = await run(texts([msg(1), msg(2)]), { max_concurrency: 1 });
    expect(second.error).to.equal(undefined);
    expect(second.result?.counts.transactional).to.include({ unknown: 1, sent: 1 });
    expect(sentTo()).to.deep.equal([phone(1), phone(2)]);

    const third = await run(texts([msg(1), msg(2)]), { resend_unknown: true });
    expect(third.result?.counts.transactional).to.include({ sent: 1, already_sent: 1 });
    expect(sentTo()).to.deep.equal([phone(1), phone(2), phone(1)]);
  });

  it('does not retry a 5xx on a send', async () => {
    await setup();
    sandbox.faults.add({ operationId: 'TransactionalMessage_PostTransactionalMessageSend', status: 502, times: 1 });
    const r = await run(texts([msg(1)]));
    expect(r.error).to.be.instanceOf(ListrakError);
    expect(sandbox.calls.get('TransactionalMessage_PostTransactionalMessageSend')).to.equal(1);
  });

  it('sends texts that come with an audience once the audience is in place', async () => {
    await setup();
    const input = audience([row(3)]) + texts([msg(1)]).split('\n').filter(Boolean).map((l) => l + '\n').join('');
    const r = await run(input, { max_unsubscribe_ratio: 1 });
    expect(r.error).to.equal(undefined);
    expect(phases(r)).to.deep.equal(['prepare', 'members', 'audience', 'updates', 'unsubscribe', 'transactional', 'done']);
    expect(sentTo()).to.deep.equal([phone(1)]);
  });

  it('survives SIGKILL mid-send: no text is ever sent twice', async function () {
    this.timeout(60_000);
    await setup();
    for (let n = 10; n < 40; n++) sandbox.state.seedContact(member(n, { lists: [OTHER_LIST] }));
    sandbox.options.latencyMs = 100;
    const records = Array.from({ length: 30 }, (_, i) => msg(i + 10));
    const configPath = join(tempDir('txcrash'), 'config.json');
    writeFileSync(configPath, JSON.stringify(rawConfigFor(sandbox, { transactional_phone_list_id: OTHER_LIST, journal_path: journal, max_concurrency: 2 })));
    const start = () => startCli('target.js', ['--config', configPath], texts(records));
    const killed = [];
    // Each run is killed with a send in flight: after 3 sends of its own, so each run gets further than the last.
    for (let kill = 0; kill < 3; kill++) killed.push(await killAfterSends(sandbox, start, 3));
    const final = await start().done;
    expect(killed.map((r) => r.signal)).to.deep.equal(['SIGKILL', 'SIGKILL', 'SIGKILL']);
    const sent = sentTo();
    expect(new Set(sent).size, 'no phone texted twice').to.equal(sent.length);
    // Each kill left at least the send the sandbox was holding `sending`: reported unknown, never sent again.
    const unknown = unknownIn(final.stderr);
    expect(unknown).to.be.at.least(3);
    expect(sent.length + unknown).to.be.at.least(30);
    expect(final.code, final.stderr).to.equal(0);
  });
});
