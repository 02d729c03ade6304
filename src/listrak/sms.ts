/**
 * One typed function per Listrak SMS route the project calls (paths as in Listrak's SMS REST API v1).
 * Response envelopes are read defensively: the vendor's own examples disagree with its schemas in places
 * (a list wrapped in an array, cursors on "unpaged" collections), and unknown fields are ignored.
 */
import type { ListrakHttp } from './http.js';

export interface SenderCode {
  shortCodeId: number;
  code?: string;
  country?: string;
}

export interface PhoneList {
  phoneListId: number;
  phoneListName?: string;
  status?: string;
  requireDoubleOptIn?: boolean;
  requireAgeGate?: boolean;
}

export interface ProfileField {
  segmentationFieldId: number;
  segmentationFieldName: string;
  dataType: 'Text' | 'Number' | 'Checkbox' | 'Date' | string;
  maxLength?: number | null;
  statusFlag?: string;
}

export interface SegmentationValue {
  segmentationFieldId: number;
  value: string | null;
}

export interface SmsContact {
  phoneNumber: string;
  emailAddress?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  birthday?: string | null;
  postalCode?: string | null;
  optedOut?: boolean;
  segmentationFieldValues?: SegmentationValue[];
}

export interface ContactDetails extends SmsContact {
  subscribeDate?: string | null;
  unsubscribeDate?: string | null;
}

export interface ContactListSubscription {
  phoneListId: number;
  subscriptionState?: string;
  pendingDoubleOptIn?: boolean;
  pendingAgeGate?: boolean;
}

export interface OptOut {
  phoneNumber: string;
  optOutDate?: string;
  optOutReason?: string | number;
}

export interface ImportStatus {
  importFileId: number;
  fileName?: string;
  startDate?: string | null;
  endDate?: string | null;
  status?: string;
}

export interface ImportFileMapping {
  fileColumnType: 'Phone' | 'SegmentationField';
  segmentationFieldId: number;
  fileColumn: number;
  defaultValue?: string;
}

export interface TransactionalMessage {
  transactionalMessageId: number;
  transactionalMessageName?: string;
  transactionalMessageStatus?: string;
}

export interface Page<T> {
  data: T[];
  nextPageCursor: string | null;
}

interface Envelope {
  status?: number;
  data?: unknown;
  nextPageCursor?: string | null;
  resourceId?: string;
}

/** Single-object routes: accept `{data: {...}}`, `{data: [{...}]}` or a bare object. */
function single<T>(body: unknown): T {
  const env = body as Envelope;
  const data = env && typeof env === 'object' && 'data' in env ? env.data : body;
  return (Array.isArray(data) ? data[0] : data) as T;
}

/** A paged answer's data and cursor; tolerant of a missing envelope field, as Listrak's pages vary. */
export function page<T>(body: unknown): Page<T> {
  const env = (body ?? {}) as Envelope;
  const data = Array.isArray(env.data) ? (env.data as T[]) : [];
  return { data, nextPageCursor: pageCursor(env.nextPageCursor) };
}

/** A page's `nextPageCursor` as the pager follows it: a non-empty string, else null (the last page). */
export function pageCursor(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

const enc = encodeURIComponent;

export class SmsApi {
  constructor(
    readonly http: ListrakHttp,
    readonly senderCodeId: number,
  ) {}

  private get sc() {
    return `/v1/ShortCode/${this.senderCodeId}`;
  }

  async getSenderCode(): Promise<SenderCode> {
    return single<SenderCode>(await this.http.call('getSenderCode', 'GET', this.sc));
  }

  async getList(listId: number): Promise<PhoneList> {
    return single<PhoneList>(await this.http.call('getList', 'GET', `${this.sc}/PhoneList/${listId}`));
  }

  async getProfileFields(): Promise<ProfileField[]> {
    return page<ProfileField>(await this.http.call('getProfileFields', 'GET', `${this.sc}/SegmentationField`)).data;
  }

  /** One page of a list's members (`cursor` null for the first page). */
  /** The sender code's lists (`active` or `inactive`), a page at a time. */
  async getListsPage(status: 'active' | 'inactive', cursor: string | null, count: number): Promise<Page<PhoneList>> {
    const paged = pagedParams(cursor, count);
    const options = 'params' in paged ? { params: { ...paged.params, status } } : paged;
    return page<PhoneList>(await this.http.call('getLists', 'GET', `${this.sc}/PhoneList`, options));
  }

  /** One page of a list's members, parsed (for small reads; the members phase uses getMembersPageBytes). */
  async getMembersPage(listId: number, cursor: string | null, count: number): Promise<Page<SmsContact>> {
    return page<SmsContact>(await this.http.call('getMembers', 'GET', `${this.sc}/PhoneList/${listId}/Contact`, pagedParams(cursor, count)));
  }

  /** One page of members as the bytes Listrak sent, for a parser off the main thread (see sync/members.ts). */
  async getMembersPageBytes(listId: number, cursor: string | null, count: number): Promise<Buffer> {
    return this.http.call<Buffer>('getMembers', 'GET', `${this.sc}/PhoneList/${listId}/Contact`, { ...pagedParams(cursor, count), raw: true });
  }

  async getOptOutsPage(cursor: string | null, count: number): Promise<Page<OptOut>> {
    return page<OptOut>(await this.http.call('getOptOuts', 'GET', `${this.sc}/OptOut`, pagedParams(cursor, count)));
  }

  /** The contact on the sender code; throws ListrakError ERROR_UNABLE_TO_LOCATE_RESOURCE (404) when absent. */
  async getContact(phone: string): Promise<ContactDetails> {
    return single<ContactDetails>(await this.http.call('getContact', 'GET', `${this.sc}/Contact/${enc(phone)}`));
  }

  async getContactLists(phone: string): Promise<ContactListSubscription[]> {
    const all: ContactListSubscription[] = [];
    let cursor: string | null = null;
    do {
      const p: Page<ContactListSubscription> = page(await this.http.call('getContactLists', 'GET', `${this.sc}/Contact/${enc(phone)}/PhoneList`, pagedParams(cursor, 5000)));
      all.push(...p.data);
      cursor = p.nextPageCursor;
    } while (cursor);
    return all;
  }

  /** Create the contact on the sender code and subscribe it to the list, in one call. */
  async createContact(listId: number, contact: SmsContact): Promise<void> {
    await this.http.call('createContact', 'POST', `${this.sc}/PhoneList/${listId}/Contact`, { body: contact });
  }

  async updateContact(contact: SmsContact): Promise<void> {
    await this.http.call('updateContact', 'PUT', `${this.sc}/Contact`, { body: contact });
  }

  async subscribe(phone: string, listId: number): Promise<void> {
    await this.http.call('subscribe', 'POST', `${this.sc}/Contact/${enc(phone)}/PhoneList/${listId}`);
  }

  async unsubscribe(phone: string, listId: number): Promise<void> {
    await this.http.call('unsubscribe', 'DELETE', `${this.sc}/ContactUnsubscribe/${enc(phone)}/PhoneList/${listId}`);
  }

  /** Start a Contact Update Import; resolves with the import id to poll. */
  async startImport(fileName: string, file: Buffer, mappings: ImportFileMapping[]): Promise<number> {
    const body = {
      fileName,
      fileStream: file.toString('base64'),
      importType: 'UpdateSubscribers',
      hasColumnNames: true,
      textQualifier: '"',
      fileMappings: mappings,
    };
    const res = (await this.http.call('startImport', 'POST', `${this.sc}/ContactImport`, { body })) as Envelope;
    const id = Number(res?.resourceId);
    if (!Number.isInteger(id)) throw new Error(`startImport: Listrak answered without a usable resourceId (${String(res?.resourceId)})`);
    return id;
  }

  /** The list's transactional message shells (one answer: the route takes no paging parameters). */
  async getTransactionalMessages(listId: number): Promise<TransactionalMessage[]> {
    return page<TransactionalMessage>(await this.http.call('getTransactionalMessages', 'GET', `${this.sc}/PhoneList/${listId}/TransactionalMessage`)).data;
  }

  async getTransactionalMessage(listId: number, messageId: number): Promise<TransactionalMessage> {
    return single<TransactionalMessage>(await this.http.call('getTransactionalMessage', 'GET', `${this.sc}/PhoneList/${listId}/TransactionalMessage/${messageId}`));
  }

  /** Send one transactional text. Not idempotent at Listrak: the HTTP layer retries it only when it surely did not arrive. */
  async sendTransactional(listId: number, messageId: number, phone: string, content: string): Promise<void> {
    await this.http.call('sendTransactional', 'POST', `${this.sc}/PhoneList/${listId}/TransactionalMessage/${messageId}/Message`, {
      body: { phoneNumber: phone, messageContent: content },
      notIdempotent: true,
    });
  }

  async getImport(importId: number): Promise<ImportStatus> {
    return single<ImportStatus>(await this.http.call('getImport', 'GET', `${this.sc}/ContactImport/${importId}`));
  }
}

/** A cursor that is a full URI is called as is; anything else goes back as the `cursor` parameter. */
function pagedParams(cursor: string | null, count: number) {
  if (cursor && /^https?:\/\//i.test(cursor)) return { absoluteUrl: cursor };
  return { params: { cursor: cursor ?? 'Start', count } };
}

/** The cursors a pager has followed: a server that hands back one it already gave would loop forever. */
export class CursorTrail {
  private readonly seen = new Set<string>();

  /** Note a cursor about to be followed; throws if it was followed before. */
  follow(cursor: string) {
    if (this.seen.has(cursor)) throw new Error(`paging: Listrak returned the cursor ${cursor} twice`);
    this.seen.add(cursor);
  }
}

/**
 * Every page of a paged route. The next page is requested as soon as its cursor is known, so Listrak's time to
 * serve page n+1 overlaps ours to process page n (one page of read-ahead: memory stays at two pages).
 */
export async function* allPages<T>(fetch: (cursor: string | null) => Promise<Page<T>>): AsyncGenerator<T[]> {
  const cursors = new CursorTrail();
  let pending: Promise<Page<T>> | null = fetch(null);
  while (pending) {
    const p: Page<T> = await pending;
    const cursor = p.nextPageCursor;
    if (cursor !== null) cursors.follow(cursor);
    pending = cursor ? fetch(cursor) : null;
    // Keep a rejected read-ahead from surfacing as unhandled while the consumer works on this page.
    pending?.catch(() => {});
    yield p.data;
  }
}
