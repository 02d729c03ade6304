/**
 * Transactional texts (order confirmations, shipping updates), each sent at most once: see journal.ts.
 *
 * Before a first send with a message id, its shell is checked on the list. A contact not subscribed to the list is
 * rejected, or with `subscribe_before_send` subscribed (or created) first, which makes Listrak send its opt-in;
 * on a double opt-in list the text then waits for the person's confirmation and a later run sends it.
 */
import { createHash } from 'node:crypto';
import type { TargetConfig } from '../config/target.js';
import type { RejectSink } from '../report/rejects.js';
import type { SyncCounts } from '../report/counts.js';
import { ListrakError } from '../errors.js';
import { isCode, isNotFound, isPerContact } from '../listrak/codes.js';
import { certainlyNotReceived } from '../listrak/http.js';
import type { PhoneList, SmsApi } from '../listrak/sms.js';
import { normalizePhone } from '../contact/phone.js';
import { checkContent } from './content.js';
import type { Journal } from './journal.js';

export interface SenderDeps {
  api: SmsApi;
  config: TargetConfig;
  list: PhoneList;
  region: string;
  journal: Journal;
  counts: SyncCounts;
  rejects: RejectSink;
}

/** A stable key for a record without `message_key`: the hash of its JSON with sorted keys. */
export function recordKey(record: Record<string, unknown>): string {
  const stable = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])]))
      : Array.isArray(v)
        ? v.map(stable)
        : v;
  return 'sha256:' + createHash('sha256').update(JSON.stringify(stable(record))).digest('hex');
}

export class TransactionalSender {
  private readonly shells = new Map<number, Promise<boolean>>();
  private readonly keysThisRun = new Set<string>();

  constructor(private readonly deps: SenderDeps) {}

  async send(record: Record<string, unknown>, line: number): Promise<void> {
    const { counts, journal, config } = this.deps;
    const reject = (reason: Parameters<RejectSink['add']>[0]['reason'], field: string, detail: string, code?: string) =>
      this.deps.rejects.add({ line, reason, field, detail, record, ...(code ? { listrak_code: code } : {}) });

    const phone = normalizePhone(record.phone, this.deps.region);
    if (!phone.ok) return reject(phone.reason, 'phone', phone.detail);
    const content = checkContent(record.message);
    if (!content.ok) return reject(content.reason, 'message', content.detail);
    const messageId = Number(record.transactional_message_id);
    if (!Number.isInteger(messageId) || messageId <= 0) return reject('missing_field', 'transactional_message_id', 'a positive integer is required');
    const explicitKey = record.message_key;
    const key = typeof explicitKey === 'string' || typeof explicitKey === 'number' ? String(explicitKey) : recordKey(record);

    if (this.keysThisRun.has(key)) return reject('duplicate', 'message_key', 'the same message appears earlier in the input');
    this.keysThisRun.add(key);
    const before = journal.state(key);
    if (before === 'sent') {
      counts.transactional.already_sent++;
      return;
    }
    if (before === 'sending' && !config.resend_unknown) {
      // An earlier run died (or lost the answer) mid-call: it may have gone out. Never guess; say so.
      counts.transactional.unknown++;
      return;
    }
    if (!(await this.shellExists(messageId))) return reject('unknown_message', 'transactional_message_id', `message ${messageId} does not exist on list ${this.deps.list.phoneListId}`);
    if (content.segments > 1) counts.transactional.multi_segment++;
    await this.attempt(key, phone.phone, messageId, record.message as string, reject, true);
  }

  private async attempt(key: string, phone: string, messageId: number, content: string, reject: (r: 'not_subscribed' | 'unknown_message' | 'listrak_rejected', f: string, d: string, c?: string) => void, mayRetry: boolean): Promise<void> {
    const { api, list, journal, counts, config } = this.deps;
    journal.record(key, 'sending');
    try {
      await api.sendTransactional(list.phoneListId, messageId, phone, content);
      journal.record(key, 'sent');
      counts.transactional.sent++;
      return;
    } catch (e) {
      if (!(e instanceof ListrakError)) throw e;
      if (isCode(e, 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED')) {
        journal.record(key, 'rejected', e.code);
        if (!config.subscribe_before_send || !mayRetry) return reject('not_subscribed', 'phone', `not subscribed to list ${list.phoneListId}`, e.code);
        const subscribed = await this.subscribe(phone);
        if (subscribed instanceof ListrakError) return reject('listrak_rejected', 'phone', 'subscribe refused', subscribed.code);
        if (subscribed === 'pending') {
          counts.transactional.pending++;
          return;
        }
        return this.attempt(key, phone, messageId, content, reject, false);
      }
      if (isCode(e, 'ERROR_TRANSACTIONAL_MESSAGE_NOT_FOUND')) {
        journal.record(key, 'rejected', e.code);
        return reject('unknown_message', 'transactional_message_id', e.code, e.code);
      }
      if (isPerContact(e) || isCode(e, 'ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE', 'ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE')) {
        journal.record(key, 'rejected', e.code);
        return reject('listrak_rejected', 'message', e.code, e.code);
      }
      if (certainlyNotReceived(e)) {
        // Listrak never got it (throttled, or no connection): safe to send on the next run.
        journal.record(key, 'rejected', e.code);
        throw e;
      }
      // A timeout, a dropped connection or a 5xx after the request went out: it may have been sent. The journal
      // keeps `sending`, the next run reports it as unknown, and this run stops rather than guess further.
      counts.transactional.unknown++;
      throw new ListrakError(e.code, e.status, `${e.message}; the outcome of that text is unknown and it will not be re-sent unless resend_unknown is set`, e.route);
    }
  }

  private shellExists(messageId: number): Promise<boolean> {
    let known = this.shells.get(messageId);
    if (!known) {
      known = this.deps.api.getTransactionalMessage(this.deps.list.phoneListId, messageId).then(
        () => true,
        (e: unknown) => {
          if (isNotFound(e)) return false;
          throw e;
        },
      );
      this.shells.set(messageId, known);
    }
    return known;
  }

  /**
   * Subscribe (or create) the contact on the transactional list, as Listrak's subscription flow documents; Listrak's
   * refusal when it refuses this contact.
   */
  private async subscribe(phone: string): Promise<'subscribed' | 'pending' | ListrakError> {
    const { api, list, counts } = this.deps;
    try {
      await api.subscribe(phone, list.phoneListId);
    } catch (e) {
      if (isNotFound(e)) {
        try {
          await api.createContact(list.phoneListId, { phoneNumber: phone });
        } catch (c) {
          if (isPerContact(c)) return c as ListrakError;
          throw c;
        }
      } else if (isCode(e, 'ERROR_PENDING_PHONE_NUMBER')) return 'pending';
      else if (isPerContact(e)) return e as ListrakError;
      else if (!isCode(e, 'ERROR_SUBSCRIBED_PHONE_NUMBER')) throw e;
    }
    counts.transactional.subscribed_first++;
    return list.requireDoubleOptIn ? 'pending' : 'subscribed';
  }
}
