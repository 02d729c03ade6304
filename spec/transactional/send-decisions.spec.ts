/**
 * What happens to each transactional text: sent once, rejected with a reason (and then tried again by a later run
 * only when Listrak certainly did not send it), or the run stopped. A text sent twice, or one dropped without a
 * word, is what these protect against.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListrakError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { recordKey } from '../../src/transactional/send.js';
import { repoRoot } from '../support/cli.js';
import { LIST, OTHER_LIST, SC, baseSeed, member, phone } from '../support/fixtures.js';
import { runTarget, sandboxWith } from '../support/harness.js';
import { tempDir } from '../support/tmp.js';

const STREAM = 'transactional_messages';
const SEND = 'TransactionalMessage_PostTransactionalMessageSend';
const SUBSCRIBE = 'ContactListSubscription_PostContactListSubscription';

/** The stream as catalog.json declares it, and a Singer input of its records. */
const catalog = JSON.parse(readFileSync(join(repoRoot, 'catalog.json'), 'utf8')) as { streams: { stream: string; schema: object; key_properties: string[] }[] };
const declared = catalog.streams.find((s) => s.stream === STREAM);
function input(records: Record<string, unknown>[]): string {
  const schema = { type: 'SCHEMA', stream: STREAM, schema: declared?.schema, key_properties: declared?.key_properties };
  return [schema, ...records.map((record) => ({ type: 'RECORD', stream: STREAM, record }))].map((m) => JSON.stringify(m) + '\n').join('');
}

/** A text for contact n through shell 77, keyed `t-n`. */
const text = (n: number, extra: Record<string, unknown> = {}) => ({ phone: phone(n), message: `Your order ${n} shipped`, transactional_message_id: 77, message_key: `t-${n}`, ...extra });

describe('transactional send decisions', () => {
  let sandbox: Sandbox;
  let journalPath: string;
  afterEach(async () => sandbox?.close());

  /** 1 and 2 subscribed to the transactional list; 3 on the sender code but not on it; 4 subscribed and banned. */
  beforeEach(async () => {
    const seed = baseSeed([member(1, { lists: [OTHER_LIST] }), member(2, { lists: [OTHER_LIST] }), member(3, { lists: [LIST] }), member(4, { lists: [OTHER_LIST], banned: true })]);
    seed.transactionalMessages = [{ senderCodeId: SC, phoneListId: OTHER_LIST, transactionalMessageId: 77 }];
    sandbox = await sandboxWith(seed);
    journalPath = join(tempDir('tx'), 'journal.jsonl');
  });

  const send = (records: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
    runTarget(sandbox, input(records), { transactional_phone_list_id: OTHER_LIST, journal_path: journalPath, max_concurrency: 1, max_retries: 1, ...extra });
  const sentTo = () => sandbox.state.sent.map((s) => s.phoneNumber);
  const rejected = (run: Awaited<ReturnType<typeof send>>) => run.rejects.map((r) => [r.line, r.reason, r.field]);

  it('rejects texts it cannot send before any call: bad phone, bad content, no message id', async () => {
    const run = await send([
      text(1, { phone: '555-01' }),
      text(1, { phone: null, message_key: 'b' }),
      text(1, { message: ' ', message_key: 'c' }),
      text(1, { transactional_message_id: 0, message_key: 'd' }),
      text(1, { transactional_message_id: -77, message_key: 'e' }),
      text(1, { transactional_message_id: 7.7, message_key: 'f' }),
      text(1, { transactional_message_id: undefined, message_key: 'g' }),
      text(2, { transactional_message_id: '77' }),
    ]);
    expect(run.error).to.equal(undefined);
    expect(rejected(run)).to.deep.equal([
      [2, 'invalid_phone', 'phone'],
      [3, 'missing_phone', 'phone'],
      [4, 'empty_message', 'message'],
      [5, 'missing_field', 'transactional_message_id'],
      [6, 'missing_field', 'transactional_message_id'],
      [7, 'missing_field', 'transactional_message_id'],
      [8, 'missing_field', 'transactional_message_id'],
    ]);
    expect(run.rejects[3]?.detail).to.equal('a positive integer is required');
    expect(sentTo()).to.deep.equal([phone(2)]);
  });

  it('sends a text once per key: a repeat in the same input is a duplicate, a number key equals its text', async () => {
    const first = await send([text(1, { message_key: 12345 }), text(2, { message_key: 12345 })]);
    expect(rejected(first)).to.deep.equal([[3, 'duplicate', 'message_key']]);
    expect(first.rejects[0]?.detail).to.equal('the same message appears earlier in the input');
    const again = await send([text(1, { message_key: '12345', message: 'edited' })]);
    expect(again.result?.counts.transactional).to.include({ sent: 0, already_sent: 1 });
    expect(sentTo()).to.deep.equal([phone(1)]);
  });

  it('keys texts without message_key by their whole content, so different texts are all sent', async () => {
    const keyless = (n: number, message: string) => ({ phone: phone(n), message, transactional_message_id: 77 });
    const run = await send([keyless(1, 'Shipped'), keyless(1, 'Delivered'), keyless(2, 'Shipped'), keyless(1, 'Shipped')]);
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.sent.map((s) => [s.phoneNumber, s.messageContent])).to.deep.equal([
      [phone(1), 'Shipped'],
      [phone(1), 'Delivered'],
      [phone(2), 'Shipped'],
    ]);
    expect(rejected(run)).to.deep.equal([[5, 'duplicate', 'message_key']]);
  });

  it('takes an empty or blank message_key as none, so texts a tap wrote "" for are told apart by their content', async () => {
    const text = (n: number, message: string, message_key: unknown) => ({ phone: phone(n), message, transactional_message_id: 77, message_key });
    const run = await send([text(1, 'Shipped', ''), text(1, 'Delivered', '  '), text(2, 'Shipped', ''), text(2, 'Shipped', ''), text(2, 'Again', 0), text(1, 'Later', '  ')]);
    expect(run.error).to.equal(undefined);
    expect(sandbox.state.sent.map((s) => [s.phoneNumber, s.messageContent])).to.deep.equal([
      [phone(1), 'Shipped'],
      [phone(1), 'Delivered'],
      [phone(2), 'Shipped'],
      [phone(2), 'Again'],
      [phone(1), 'Later'],
    ]);
    expect(rejected(run)).to.deep.equal([[5, 'duplicate', 'message_key']]);
  });

  it('keeps the key of a keyless text stable: the hash of its JSON with sorted keys, arrays in order', () => {
    const key = recordKey({ phone: '1', order: { total: 5, items: [3, 1, { b: 2, a: 1 }] }, message: 'x' });
    const canonical = JSON.stringify({ message: 'x', order: { items: [3, 1, { a: 1, b: 2 }], total: 5 }, phone: '1' });
    expect(key).to.equal(`sha256:${createHash('sha256').update(canonical).digest('hex')}`);
    expect(recordKey({ message: 'x', phone: '1', order: { items: [3, 1, { a: 1, b: 2 }], total: 5 } })).to.equal(key);
    expect(recordKey({ phone: '1', order: { total: 5, items: [1, 3, { b: 2, a: 1 }] }, message: 'x' })).to.not.equal(key);
  });

  it('keys a keyless text on what it says, not on when the tap extracted it: _sdc_ columns are left out', () => {
    const text = { phone: '1', message: 'Shipped', transactional_message_id: 77 };
    const key = recordKey(text);
    expect(recordKey({ ...text, _sdc_extracted_at: '2026-11-27T01:00:00Z', _sdc_batched_at: '2026-11-27T01:00:05Z', _sdc_sequence: 1 })).to.equal(key);
    expect(recordKey({ _sdc_extracted_at: '2026-11-28T01:00:00Z', ...text, _sdc_sequence: 2 })).to.equal(key);
    // Only the SDK's own prefix, and only at the top: a column of the source that merely mentions it still counts.
    expect(recordKey({ ...text, sdc_note: 'a' })).to.not.equal(key);
    expect(recordKey({ ...text, x_sdc_: 'a' })).to.not.equal(key);
    expect(recordKey({ ...text, order: { _sdc_id: 1 } })).to.not.equal(recordKey({ ...text, order: { _sdc_id: 2 } }));
  });

  it('rejects a text for a shell the list does not have, naming it', async () => {
    const run = await send([text(1, { transactional_message_id: 99 })]);
    expect(rejected(run)).to.deep.equal([[2, 'unknown_message', 'transactional_message_id']]);
    expect(run.rejects[0]?.detail).to.equal(`message 99 does not exist on list ${OTHER_LIST}`);
  });

  it('stops the run when the shell cannot be checked, rather than rejecting the text', async () => {
    sandbox.faults.add({ operationId: 'TransactionalMessage_GetTransactionalMessageResource', status: 503, times: 10 });
    const run = await send([text(1)]);
    expect(run.error).to.be.instanceOf(ListrakError);
    expect(run.rejects).to.deep.equal([]);
    expect(sentTo()).to.deep.equal([]);
  });

  it('counts a text over one segment, and one of exactly 160 GSM characters as one segment', async () => {
    const run = await send([text(1, { message: 'x'.repeat(160) }), text(2, { message: 'y'.repeat(161) })]);
    expect(run.result?.counts.transactional).to.include({ sent: 2, multi_segment: 1 });
  });

  for (const [what, code, reason, field] of [
    ['a shell Listrak no longer has', 'ERROR_TRANSACTIONAL_MESSAGE_NOT_FOUND', 'unknown_message', 'transactional_message_id'],
    ['content Listrak refuses (a coupon tag)', 'ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE', 'listrak_rejected', 'message'],
    ['content Listrak finds empty', 'ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE', 'listrak_rejected', 'message'],
  ] as const) {
    it(`rejects a text Listrak refuses for ${what}, and sends it on a later run`, async () => {
      sandbox.faults.add({ operationId: SEND, status: 400, error: code });
      const first = await send([text(1), text(2)]);
      expect(first.error).to.equal(undefined);
      expect(first.rejects.map((r) => [r.line, r.reason, r.field, r.detail, r.listrak_code])).to.deep.equal([[2, reason, field, code, code]]);
      expect(sentTo()).to.deep.equal([phone(2)]);
      const again = await send([text(1), text(2)]);
      expect(again.result?.counts.transactional).to.include({ sent: 1, already_sent: 1 });
      expect(sentTo()).to.deep.equal([phone(2), phone(1)]);
    });
  }

  it('rejects a text to a contact Listrak refuses (banned), and goes on with the others', async () => {
    const run = await send([text(4), text(1)]);
    expect(run.error).to.equal(undefined);
    expect(run.rejects.map((r) => [r.reason, r.field, r.listrak_code])).to.deep.equal([['listrak_rejected', 'message', 'ERROR_BANNED_PHONE_NUMBER']]);
    expect(sentTo()).to.deep.equal([phone(1)]);
  });

  it('stops on a throttled send that never got through, and sends it (not as unknown) on the next run', async () => {
    sandbox.faults.add({ operationId: SEND, status: 429, times: 2 });
    const first = await send([text(1)]);
    expect(first.error).to.be.instanceOf(ListrakError);
    expect(sentTo()).to.deep.equal([]);
    const again = await send([text(1)]);
    expect(again.error).to.equal(undefined);
    expect(again.result?.counts.transactional).to.include({ sent: 1, unknown: 0 });
  });

  it('rejects a text to a contact not on the list, naming the list, unless asked to subscribe it first', async () => {
    const run = await send([text(3)]);
    expect(run.rejects.map((r) => [r.reason, r.field, r.detail, r.listrak_code])).to.deep.equal([['not_subscribed', 'phone', `not subscribed to list ${OTHER_LIST}`, 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED']]);
    expect(sandbox.calls.get(SUBSCRIBE)).to.equal(undefined);
  });

  describe('with subscribe_before_send', () => {
    const first = { subscribe_before_send: true };

    it('subscribes a contact once and gives up if the send still finds it unsubscribed', async () => {
      sandbox.faults.add({ operationId: SEND, status: 400, error: 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', times: 2 });
      const run = await send([text(1)], first);
      expect(run.error).to.equal(undefined);
      expect(run.rejects.map((r) => [r.reason, r.field])).to.deep.equal([['not_subscribed', 'phone']]);
      expect(sandbox.calls.get(SUBSCRIBE)).to.equal(1);
      expect(sandbox.calls.get(SEND)).to.equal(2);
      expect(sentTo()).to.deep.equal([]);
    });

    it('sends to a contact Listrak says is already subscribed', async () => {
      sandbox.faults.add({ operationId: SEND, status: 400, error: 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED' });
      const run = await send([text(1)], first);
      expect(run.error).to.equal(undefined);
      expect(sentTo()).to.deep.equal([phone(1)]);
      expect(run.result?.counts.transactional).to.include({ sent: 1, subscribed_first: 1 });
    });

    it('waits for the opt-in of a contact Listrak says is pending', async () => {
      sandbox.faults.add({ operationId: SUBSCRIBE, status: 400, error: 'ERROR_PENDING_PHONE_NUMBER' });
      const run = await send([text(3)], first);
      expect(run.error).to.equal(undefined);
      expect(run.result?.counts.transactional).to.include({ pending: 1, sent: 0, subscribed_first: 0 });
      expect(run.rejects).to.deep.equal([]);
    });

    it('rejects a contact Listrak refuses to subscribe, or to create, without sending', async () => {
      sandbox.faults.add({ operationId: SUBSCRIBE, status: 400, error: 'ERROR_PHONE_NUMBER_SUSPENDED' });
      sandbox.faults.add({ operationId: 'Contact_PostContactListResource', status: 400, error: 'ERROR_INVALID_PHONE_NUMBER' });
      const run = await send([text(3), text(9)], first);
      expect(run.error).to.equal(undefined);
      expect(run.rejects.map((r) => [r.line, r.reason, r.field, r.detail, r.listrak_code])).to.deep.equal([
        [2, 'listrak_rejected', 'phone', 'subscribe refused', 'ERROR_PHONE_NUMBER_SUSPENDED'],
        [3, 'listrak_rejected', 'phone', 'subscribe refused', 'ERROR_INVALID_PHONE_NUMBER'],
      ]);
      expect(sentTo()).to.deep.equal([]);
      expect(sandbox.state.subscribedPhones(OTHER_LIST)).to.not.include.members([phone(3), phone(9)]);
    });

    for (const [what, operationId, n] of [
      ['subscribe', SUBSCRIBE, 3],
      ['create', 'Contact_PostContactListResource', 9],
    ] as const) {
      it(`stops the run when the ${what} fails for real`, async () => {
        sandbox.faults.add({ operationId, status: 503, times: 10 });
        const run = await send([text(n)], first);
        expect(run.error).to.be.instanceOf(ListrakError);
        expect(run.rejects).to.deep.equal([]);
        expect(sentTo()).to.deep.equal([]);
      });
    }
  });
});
