/**
 * Transactional texts (order confirmations, shipping updates), each sent at most once: see journal.ts.
 *
 * Before a first send with a message id, its shell is checked on the list. A contact not subscribed to the list is
 * rejected, or with `subscribe_before_send` subscribed (or created) first, which makes Listrak send its opt-in;
 * on a double opt-in list the text then waits for the person's confirmation and a later run sends it.
 */
import { createHash } from 'node:crypto';
import type { TargetConfig } from '../config/target.js';
import type { RejectReason } from '../contact/coerce.js';
import type { Rejects } from '../report/rejects.js';
import type { SyncCounts } from '../report/counts.js';
import { ListrakError, StoppedError } from '../errors.js';
import { isCode, isNotFound, isPerContact, NUMBER_IS } from '../listrak/codes.js';
import { certainlyNotReceived } from '../listrak/http.js';
import type { PhoneList, SmsApi } from '../listrak/sms.js';
import { normalizePhone } from '../contact/phone.js';
import { checkContent } from './content.js';
import type { Journal } from './journal.js';
import { checkAge } from './stale.js';

type Reject = (reason: RejectReason, field: string, detail: string, code?: string) => void;

export interface SenderDeps {
  api: SmsApi;
  config: TargetConfig;
  list: PhoneList;
  region: string;
  journal: Journal;
  counts: SyncCounts;
  rejects: Rejects;
}

/**
 * The text's own key, when it has one: a number, or a string with more than white space in it. An empty string is
 * no key (a tap writing "" for a missing column must not make every text one and the same).
 */
function explicitKey(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** The Singer SDK's metadata columns (`_sdc_extracted_at`, `_sdc_batched_at`, …): they say when, not what. */
const SDC_COLUMN = /^_sdc_/;

/**
 * A stable key for a record without `message_key`: the hash of its JSON with sorted keys, leaving out the top-level
 * `_sdc_*` columns. Those change on every extraction, so keeping them would make the same text a new one each run.
 */
export function recordKey(record: Record<string, unknown>): string {
  const stable = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])]))
      : Array.isArray(v)
        ? v.map(stable)
        : v;
  const content = Object.fromEntries(Object.entries(record).filter(([k]) => !SDC_COLUMN.test(k)));
  return 'sha256:' + createHash('sha256').update(JSON.stringify(stable(content))).digest('hex');
}

export class TextSender {
  private readonly shells = new Map<number, Promise<boolean>>();
  private readonly keysThisRun = new Set<string>();
  /** Phone keys whose latest consent in the same input is revoked (none for an input of texts only). */
  private revoked: (key: number) => boolean = () => false;

  constructor(private readonly deps: SenderDeps) {}

  /**
   * The audience's consent, known once it is read (texts that come with an audience are sent after it): a text to
   * a phone whose standing consent there is revoked is never sent, and its contact never subscribed to send it.
   */
  honourRevocations(revoked: (key: number) => boolean): void {
    this.revoked = revoked;
  }

  /** `line` (and `file`, for a text read from a BATCH file) say where the record came from, for its reject. */
  async send(record: Record<string, unknown>, line: number, file?: string): Promise<void> {
    const { counts, journal, config } = this.deps;
    const reject: Reject = (reason, field, detail, code) => this.deps.rejects.add({ line, file, reason, field, detail, record, ...(code ? { listrak_code: code } : {}) });

    const phone = normalizePhone(record.phone, this.deps.region);
    if (!phone.ok) return reject(phone.reason, 'phone', phone.detail);
    const content = checkContent(record.message);
    if (!content.ok) return reject(content.reason, 'message', content.detail);
    const messageId = Number(record.transactional_message_id);
    if (!Number.isInteger(messageId) || messageId <= 0) return reject('missing_field', 'transactional_message_id', 'a positive integer is required');
    const key = explicitKey(record.message_key) ?? recordKey(record);

    if (this.keysThisRun.has(key)) return reject('duplicate', 'message_key', 'the same message appears earlier in the input');
    this.keysThisRun.add(key);
    if (this.revoked(Number(phone.phone))) return reject('consent_revoked', 'phone', 'the audience in the same input revokes this number\'s consent');
    const age = checkAge(record.event_time, config.max_text_age);
    if (!age.ok) {
      // A text sent while it was fresh and replayed since (a tap's inclusive bookmark) is reported as sent, not stale.
      if (age.reason === 'stale' && (await journal.state(key)) === 'sent') return void counts.transactional.already_sent++;
      return reject(age.reason, 'event_time', age.detail);
    }
    if (!(await this.claim(key))) return;
    if (!(await this.shellExists(messageId))) {
      await journal.settle(key, 'rejected', 'unknown_message');
      return reject('unknown_message', 'transactional_message_id', `message ${messageId} does not exist on list ${this.deps.list.phoneListId}`);
    }
    if (content.segments > 1) counts.transactional.multi_segment++;
    await this.attempt(key, phone.phone, messageId, record.message as string, reject, true);
  }

  /** Claim the key in the journal before a call; false (and counted) when it was sent, or its outcome is unknown. */
  private async claim(key: string): Promise<boolean> {
    const claim = await this.deps.journal.claim(key, this.deps.config.resend_unknown);
    // An earlier run (or another runner, at this moment) called Listrak with it and its outcome is unknown: it may
    // have gone out. Never guess; say so.
    if (claim === 'unknown') this.deps.counts.transactional.unknown++;
    if (claim === 'sent') this.deps.counts.transactional.already_sent++;
    return claim === 'claimed';
  }

  /** Send a claimed text and settle its outcome in the journal. */
  private async attempt(key: string, phone: string, messageId: number, content: string, reject: Reject, mayRetry: boolean): Promise<void> {
    const { api, list, journal, counts, config } = this.deps;
    try {
      await api.sendTransactional(list.phoneListId, messageId, phone, content);
      await journal.settle(key, 'sent');
      counts.transactional.sent++;
      return;
    } catch (e) {
      // Stopped before this attempt started (a first one, or a retry of one Listrak certainly did not take).
      if (e instanceof StoppedError) await journal.settle(key, 'rejected', 'STOPPED');
      if (!(e instanceof ListrakError)) throw e;
      if (isCode(e, NUMBER_IS.notSubscribed)) {
        await journal.settle(key, 'rejected', e.code);
        if (!config.subscribe_before_send || !mayRetry) return reject('not_subscribed', 'phone', `not subscribed to list ${list.phoneListId}`, e.code);
        const subscribed = await this.subscribe(phone);
        if (subscribed instanceof ListrakError) return reject('listrak_rejected', 'phone', 'subscribe refused', subscribed.code);
        if (subscribed === 'pending') {
          counts.transactional.pending++;
          return;
        }
        if (!(await this.claim(key))) return;
        return this.attempt(key, phone, messageId, content, reject, false);
      }
      if (isCode(e, 'ERROR_TRANSACTIONAL_MESSAGE_NOT_FOUND')) {
        await journal.settle(key, 'rejected', e.code);
        return reject('unknown_message', 'transactional_message_id', e.code, e.code);
      }
      if (isPerContact(e) || isCode(e, 'ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE', 'ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE')) {
        await journal.settle(key, 'rejected', e.code);
        return reject('listrak_rejected', 'message', e.code, e.code);
      }
      if (certainlyNotReceived(e)) {
        // Listrak never got it (throttled, or no connection): safe to send on the next run.
        await journal.settle(key, 'rejected', e.code);
        throw e;
      }
      // A timeout, a dropped connection or a 5xx after the request went out: it may have been sent. The journal
      // keeps `sending`, the next run reports it as unknown, and this run stops rather than guess further (its
      // counts are never reported: the error says it).
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
      } else if (isCode(e, NUMBER_IS.pending)) return 'pending';
      else if (isPerContact(e)) return e as ListrakError;
      else if (!isCode(e, NUMBER_IS.subscribed)) throw e;
    }
    counts.transactional.subscribed_first++;
    return list.requireDoubleOptIn ? 'pending' : 'subscribed';
  }
}
