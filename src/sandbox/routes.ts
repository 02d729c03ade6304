/**
 * The SMS routes the sandbox serves, declared as data: method, path and parameters exactly as Listrak's OpenAPI
 * document names them, the body fields each handler reads, and the handler. spec/sandbox/contract.spec.ts checks
 * this table against the vendor's document so the sandbox cannot drift from the contract.
 */
import type { Contact, SeedList } from './model.js';
import { parseCsv } from './csv.js';
import type { SandboxState } from './state.js';
import { bad, checkBirthday, checkEmail, checkFieldValue, checkPhone, countParam, intParam, notFound, optionalString, valueFitsType } from './validate.js';

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  state: SandboxState;
  /** Processing delay for contact imports, in ms. */
  importDelayMs: number;
  /** A fault: a paged answer names the cursor it was asked with as its next one (see FaultRule.repeatCursor). */
  repeatCursor?: boolean;
}

export interface Reply {
  status: number;
  body: unknown;
}

/** A reply body already serialized: the member pages, which are large and built from cached contact JSON. */
export class JsonBytes {
  constructor(readonly bytes: Buffer) {}
}

export interface RouteSpec {
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path relative to the API base (`/sms`), with `{param}` placeholders as in the OpenAPI document. */
  path: string;
  query: string[];
  /** The OpenAPI definition of the body and the fields of it the handler reads. */
  body?: { definition: string; fields: string[] };
  handler: (ctx: RouteContext) => Reply;
}

const ok = (data: unknown): Reply => ({ status: 200, body: { status: 200, data } });
const created = (resourceId: string | number): Reply => ({ status: 201, body: { status: 201, resourceId: String(resourceId) } });

function senderCode(ctx: RouteContext, name = 'senderCodeId') {
  const id = intParam(ctx.params[name], name);
  const sc = ctx.state.senderCodes.get(id);
  if (!sc) throw notFound(`Sender code ${id} was not found.`);
  if (sc.disabled) throw bad('ERROR_SENDER_CODE_DISABLED', `Sender code ${id} is disabled.`);
  return { id, sc, book: ctx.state.contactsOf(id) };
}

/** A list under the sender code; `forWrite` also requires it to be active. */
function list(ctx: RouteContext, scId: number, forWrite: boolean): SeedList {
  const id = intParam(ctx.params.phoneListId, 'phoneListId');
  const l = ctx.state.lists.get(id);
  if (!l || l.senderCodeId !== scId) throw bad('ERROR_INVALID_LIST_ID', `List ${id} does not exist under sender code ${scId}.`);
  if (forWrite && l.status !== 'active') throw bad('ERROR_LIST_INACTIVE', `List ${id} is inactive.`);
  return l;
}

function contactOf(book: Map<string, Contact>, phone: string | undefined): Contact {
  const c = book.get(checkPhone(phone));
  if (!c) throw notFound('The phone number was not found on this sender code.');
  return c;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('ERROR_MALFORMED_REQUEST_BODY', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** Forget a contact's cached page JSON (see Contact.pageJson) after a change to a field the pages show. */
function contactChanged(c: Contact) {
  c.pageJson = null;
}

const COMMA = Buffer.from(',');

/** A contact's JSON as the member pages show it, built once until the contact changes. */
export function contactPageJson(c: Contact): Buffer {
  return (c.pageJson ??= Buffer.from(JSON.stringify(contactView(c))));
}

export function contactView(c: Contact) {
  return {
    phoneNumber: c.phoneNumber,
    emailAddress: c.emailAddress,
    firstName: c.firstName,
    lastName: c.lastName,
    birthday: c.birthday,
    postalCode: c.postalCode,
    optedOut: c.optedOut,
    segmentationFieldValues: [...c.fields].map(([segmentationFieldId, value]) => ({ segmentationFieldId, value })),
  };
}

/** Validate every field of a Create/Update body first, then apply: a rejected body changes nothing. */
function applyContactBody(ctx: RouteContext, c: Contact, body: Record<string, unknown>, allowOptOut: boolean) {
  const email = checkEmail(body);
  const first = optionalString(body, 'firstName', 50);
  const last = optionalString(body, 'lastName', 50);
  const postal = optionalString(body, 'postalCode', 20);
  const birthday = checkBirthday(body);
  const values: { id: number; value: string | null }[] = [];
  if ('segmentationFieldValues' in body && body.segmentationFieldValues !== null) {
    if (!Array.isArray(body.segmentationFieldValues)) throw bad('ERROR_INVALID_PARAMETER', 'segmentationFieldValues must be an array.');
    for (const v of body.segmentationFieldValues as { segmentationFieldId?: unknown; value?: unknown }[]) {
      values.push(checkFieldValue(ctx.state, v?.segmentationFieldId, v?.value));
    }
  }
  if ('optedOut' in body && body.optedOut !== null && typeof body.optedOut !== 'boolean') throw bad('ERROR_INVALID_PARAMETER', 'optedOut must be a boolean.');
  if (email !== undefined) c.emailAddress = email;
  if (first !== undefined) c.firstName = first;
  if (last !== undefined) c.lastName = last;
  if (postal !== undefined) c.postalCode = postal;
  if (birthday !== undefined) c.birthday = birthday;
  for (const { id, value } of values) {
    if (value === null) c.fields.delete(id);
    else c.fields.set(id, value);
  }
  // Update can opt a contact out of the sender code, never back in.
  if (allowOptOut && body.optedOut === true && !c.optedOut) {
    c.optedOut = true;
    c.optOutDate = new Date().toISOString();
  }
  contactChanged(c);
}

function subscribeTo(ctx: RouteContext, l: SeedList, c: Contact) {
  if (c.banned) throw bad('ERROR_BANNED_PHONE_NUMBER', 'The phone number is banned on this sender code.');
  if (c.suspended) throw bad('ERROR_PHONE_NUMBER_SUSPENDED', 'The phone number is suspended by its carrier.');
  const m = ctx.state.membersOf(l.phoneListId);
  const current = m.get(c.phoneNumber);
  if (current === 'Subscribed') throw bad('ERROR_SUBSCRIBED_PHONE_NUMBER', 'The phone number is already subscribed to this list.');
  if (current === 'Pending') throw bad('ERROR_PENDING_PHONE_NUMBER', 'The phone number is pending double opt-in on this list.');
  if (c.optedOut) ctx.state.violations.push(`subscribe of a number opted out of sender code ${l.senderCodeId} to list ${l.phoneListId}`);
  const now = new Date().toISOString();
  m.add(c.phoneNumber, l.requireDoubleOptIn ? 'Pending' : 'Subscribed', now);
  if (!l.requireDoubleOptIn) c.subscribeDate = now;
}

function encodeCursor(position: number) {
  return Buffer.from(`p:${position}`).toString('base64url');
}

function decodeCursor(cursor: string | null): number {
  if (cursor === null || cursor === '' || cursor === 'Start') return 0;
  const text = Buffer.from(cursor, 'base64url').toString();
  const m = /^p:(\d+)$/.exec(text);
  if (!m) throw bad('ERROR_INVALID_PARAMETER', 'cursor is not valid.');
  return Number(m[1]);
}

/** Page through an array-like source by position; `pick` returns the item to emit or undefined to skip. */
function pageOf<T, R>(items: readonly T[], ctx: RouteContext, pick: (item: T) => R | undefined) {
  const count = countParam(ctx.query.get('count'));
  let pos = decodeCursor(ctx.query.get('cursor'));
  const data: R[] = [];
  while (pos < items.length && data.length < count) {
    const out = pick(items[pos] as T);
    pos++;
    if (out !== undefined) data.push(out);
  }
  const asked = ctx.query.get('cursor');
  const nextPageCursor = ctx.repeatCursor && asked ? asked : pos < items.length ? encodeCursor(pos) : null;
  return { status: 200, body: { status: 200, nextPageCursor, data } };
}

function boolParam(value: string | null, name: string): boolean {
  if (value === null || value === '') return false;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  throw bad('ERROR_INVALID_PARAMETER', `${name} must be true or false.`);
}

/** The operations that change an account: what "zero write calls" counts. */
export const WRITE_OPERATIONS = [
  'Contact_PostContactListResource',
  'Contact_PutContactResource',
  'ContactListSubscription_PostContactListSubscription',
  'ContactListSubscription_DeleteUnsubscribeContactListSubscription',
  'Contact_PostImportFileResource',
] as const;

export const ROUTES: RouteSpec[] = [
  {
    operationId: 'SenderCode_GetShortCodeCollection',
    method: 'GET',
    path: '/v1/ShortCode',
    query: [],
    handler: (ctx) => ({ status: 200, body: { status: 200, nextPageCursor: null, data: [...ctx.state.senderCodes.values()].map(senderCodeView) } }),
  },
  {
    operationId: 'SenderCode_GetShortCodeResource',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}',
    query: [],
    handler: (ctx) => {
      const id = intParam(ctx.params.senderCodeId, 'senderCodeId');
      const sc = ctx.state.senderCodes.get(id);
      if (!sc) throw notFound(`Sender code ${id} was not found.`);
      return ok(senderCodeView(sc));
    },
  },
  {
    operationId: 'PhoneList_GetListCollection',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/PhoneList',
    query: ['status', 'cursor', 'count'],
    handler: (ctx) => {
      const { id } = senderCode(ctx);
      const status = ctx.query.get('status') ?? 'active';
      if (status !== 'active' && status !== 'inactive') throw bad('ERROR_INVALID_PARAMETER', 'status must be active or inactive.');
      const lists = [...ctx.state.lists.values()].filter((l) => l.senderCodeId === id);
      return pageOf(lists, ctx, (l) => (l.status === status ? listView(l) : undefined));
    },
  },
  {
    operationId: 'PhoneList_GetListResource',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}',
    query: [],
    handler: (ctx) => {
      const { id } = senderCode(ctx);
      const listId = intParam(ctx.params.phoneListId, 'phoneListId');
      const l = ctx.state.lists.get(listId);
      if (!l || l.senderCodeId !== id) throw notFound(`List ${listId} was not found.`);
      // Listrak's own example wraps the single list in an array; the sandbox does the same to keep clients honest.
      return ok([listView(l)]);
    },
  },
  {
    operationId: 'Segmentation_GetPhoneAttributeCollection',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/SegmentationField',
    query: [],
    handler: (ctx) => {
      senderCode(ctx);
      return ok([...ctx.state.profileFields.values()].map(fieldView));
    },
  },
  {
    operationId: 'Segmentation_GetPhoneAttribute',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/SegmentationField/{segmentationFieldId}',
    query: [],
    handler: (ctx) => {
      senderCode(ctx);
      const id = intParam(ctx.params.segmentationFieldId, 'segmentationFieldId');
      const f = ctx.state.profileFields.get(id);
      if (!f) throw notFound(`Profile field ${id} was not found.`);
      return ok(fieldView(f));
    },
  },
  {
    operationId: 'Contact_GetContactCollection',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/Contact',
    query: ['optedOut', 'cursor', 'count', 'startSubscribeDate', 'endSubscribeDate'],
    handler: (ctx) => {
      const { id, book } = senderCode(ctx);
      const l = list(ctx, id, false);
      const optedOut = boolParam(ctx.query.get('optedOut'), 'optedOut');
      const m = ctx.state.membersOf(l.phoneListId);
      const page = pageOf(m.order, ctx, (phone) => {
        if (phone === undefined || m.get(phone) !== 'Subscribed') return undefined;
        const c = book.get(phone);
        if (!c || c.optedOut !== optedOut) return undefined;
        return contactPageJson(c);
      });
      const { nextPageCursor, data } = page.body;
      // The page is its contacts' cached bytes copied together, not a million objects serialized anew.
      const parts: Buffer[] = [Buffer.from(`{"status":200,"nextPageCursor":${JSON.stringify(nextPageCursor)},"data":[`)];
      data.forEach((bytes, i) => (i ? parts.push(COMMA, bytes) : parts.push(bytes)));
      parts.push(Buffer.from(']}'));
      return { status: 200, body: new JsonBytes(Buffer.concat(parts)) };
    },
  },
  {
    operationId: 'Contact_PostContactListResource',
    method: 'POST',
    path: '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/Contact',
    query: [],
    body: { definition: 'SMSContact', fields: ['phoneNumber', 'emailAddress', 'firstName', 'lastName', 'birthday', 'postalCode', 'optedOut', 'segmentationFieldValues'] },
    handler: (ctx) => {
      const { id, book } = senderCode(ctx);
      const l = list(ctx, id, true);
      const body = bodyObject(ctx.body);
      const phone = checkPhone(body.phoneNumber);
      if (book.has(phone)) throw bad('ERROR_PHONE_NUMBER_FOUND', 'The phone number already exists on this sender code.');
      const c: Contact = {
        phoneNumber: phone,
        emailAddress: null,
        firstName: null,
        lastName: null,
        birthday: null,
        postalCode: null,
        optedOut: false,
        optOutDate: null,
        banned: false,
        suspended: false,
        subscribeDate: null,
        fields: new Map(),
        pageJson: null,
      };
      applyContactBody(ctx, c, body, false);
      book.set(phone, c);
      subscribeTo(ctx, l, c);
      ctx.state.writes.push({ op: 'create', phone });
      return created(phone);
    },
  },
  {
    operationId: 'Contact_GetContactResource',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}',
    query: [],
    handler: (ctx) => {
      const { book } = senderCode(ctx);
      const c = contactOf(book, ctx.params.phoneNumber);
      return ok({ ...contactView(c), subscribeDate: c.subscribeDate, unsubscribeDate: c.optOutDate });
    },
  },
  {
    operationId: 'Contact_PutContactResource',
    method: 'PUT',
    path: '/v1/ShortCode/{senderCodeId}/Contact',
    query: [],
    body: { definition: 'SMSContact', fields: ['phoneNumber', 'emailAddress', 'firstName', 'lastName', 'birthday', 'postalCode', 'optedOut', 'segmentationFieldValues'] },
    handler: (ctx) => {
      const { book } = senderCode(ctx);
      const body = bodyObject(ctx.body);
      const phone = checkPhone(body.phoneNumber);
      const c = book.get(phone);
      if (!c) throw bad('ERROR_PHONE_NUMBER_NOT_FOUND', 'The phone number was never created on this sender code.');
      if (c.banned) throw bad('ERROR_BANNED_PHONE_NUMBER', 'The phone number is banned on this sender code.');
      applyContactBody(ctx, c, body, true);
      ctx.state.writes.push({ op: 'update', phone });
      return { status: 200, body: { status: 200, resourceId: phone } };
    },
  },
  {
    operationId: 'Contact_GetOptOuts',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/OptOut',
    query: ['cursor', 'count', 'startDate', 'endDate'],
    handler: (ctx) => {
      const { book } = senderCode(ctx);
      const all = [...book.values()];
      return pageOf(all, ctx, (c) => (c.optedOut ? { phoneNumber: c.phoneNumber, optOutDate: c.optOutDate, optOutReason: 'API' } : undefined));
    },
  },
  {
    operationId: 'Contact_PostImportFileResource',
    method: 'POST',
    path: '/v1/ShortCode/{senderCodeId}/ContactImport',
    query: [],
    body: { definition: 'ImportContactFile', fields: ['fileName', 'fileStream', 'importType', 'hasColumnNames', 'textQualifier', 'fileMappings'] },
    handler: (ctx) => startImport(ctx),
  },
  {
    operationId: 'Contact_GetImportFileResource',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/ContactImport/{importFileId}',
    query: [],
    handler: (ctx) => {
      const { id } = senderCode(ctx);
      const importId = intParam(ctx.params.importFileId, 'importFileId');
      const job = ctx.state.imports.get(importId);
      if (!job || job.smsSenderCodeId !== id) throw notFound(`Import ${importId} was not found.`);
      const { applied: _a, dropped: _d, rejectedValues: _r, ...view } = job;
      return ok(view);
    },
  },
  {
    operationId: 'ContactListSubscription_GetContactListCollection',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList',
    query: ['cursor', 'count'],
    handler: (ctx) => {
      const { id, book } = senderCode(ctx);
      const c = contactOf(book, ctx.params.phoneNumber);
      const lists = [...ctx.state.lists.values()].filter((l) => l.senderCodeId === id);
      return pageOf(lists, ctx, (l) => {
        const entry = ctx.state.membersOf(l.phoneListId).state.get(c.phoneNumber);
        if (!entry) return undefined;
        const pending = entry.state === 'Pending';
        const shown = ctx.state.pendingShownAs;
        return {
          phoneListId: l.phoneListId,
          subscriptionState: pending ? shown.subscriptionState : entry.state,
          subscribeDate: pending ? null : entry.date,
          unsubscribeDate: null,
          pendingDate: pending ? entry.date : null,
          pendingDoubleOptIn: pending && shown.pendingDoubleOptIn,
          pendingAgeGate: false,
        };
      });
    },
  },
  {
    operationId: 'ContactListSubscription_PostContactListSubscription',
    method: 'POST',
    path: '/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList/{phoneListId}',
    query: [],
    handler: (ctx) => {
      const { id, book } = senderCode(ctx);
      const l = list(ctx, id, true);
      const c = contactOf(book, ctx.params.phoneNumber);
      subscribeTo(ctx, l, c);
      ctx.state.writes.push({ op: 'subscribe', phone: c.phoneNumber });
      return created(c.phoneNumber);
    },
  },
  {
    operationId: 'ContactListSubscription_DeleteUnsubscribeContactListSubscription',
    method: 'DELETE',
    path: '/v1/ShortCode/{senderCodeId}/ContactUnsubscribe/{phoneNumber}/PhoneList/{phoneListId}',
    query: [],
    handler: (ctx) => {
      const { id, book } = senderCode(ctx);
      const l = list(ctx, id, false);
      const c = contactOf(book, ctx.params.phoneNumber);
      if (!ctx.state.membersOf(l.phoneListId).remove(c.phoneNumber)) {
        throw bad('ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', 'The phone number is not subscribed to this list.');
      }
      ctx.state.writes.push({ op: 'unsubscribe', phone: c.phoneNumber });
      return { status: 200, body: { status: 200 } };
    },
  },
  {
    operationId: 'TransactionalMessage_GetTransactionalMessageCollection',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/TransactionalMessage',
    query: [],
    handler: (ctx) => {
      const { id } = senderCode(ctx);
      const l = list(ctx, id, false);
      const data = [...ctx.state.transactionalMessages.values()].filter((t) => t.senderCodeId === id && t.phoneListId === l.phoneListId).map(txView);
      return { status: 200, body: { status: 200, nextPageCursor: null, data } };
    },
  },
  {
    operationId: 'TransactionalMessage_GetTransactionalMessageResource',
    method: 'GET',
    path: '/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/TransactionalMessage/{transactionalMessageId}',
    query: [],
    handler: (ctx) => {
      const { id } = senderCode(ctx);
      const l = list(ctx, id, false);
      const t = ctx.state.transactionalMessage(id, l.phoneListId, intParam(ctx.params.transactionalMessageId, 'transactionalMessageId'));
      if (!t) throw notFound('The transactional message was not found.');
      return ok(txView(t));
    },
  },
  {
    operationId: 'TransactionalMessage_PostTransactionalMessageSend',
    method: 'POST',
    path: '/v1/ShortCode/{SenderCodeId}/PhoneList/{phoneListId}/TransactionalMessage/{transactionalMessageId}/Message',
    query: [],
    body: { definition: 'TransactionalMessageContact', fields: ['phoneNumber', 'messageContent'] },
    handler: (ctx) => {
      const { id, book } = senderCode(ctx, 'SenderCodeId');
      const l = list(ctx, id, true);
      const msgId = intParam(ctx.params.transactionalMessageId, 'transactionalMessageId');
      if (!ctx.state.transactionalMessage(id, l.phoneListId, msgId)) {
        throw bad('ERROR_TRANSACTIONAL_MESSAGE_NOT_FOUND', `Transactional message ${msgId} does not exist on list ${l.phoneListId}.`);
      }
      const body = bodyObject(ctx.body);
      const phone = checkPhone(body.phoneNumber);
      const content = typeof body.messageContent === 'string' ? body.messageContent : '';
      if (/\[\s*coupon/i.test(content)) throw bad('ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE', 'Coupon-code tags are not allowed in transactional messages.');
      if (content.trim() === '') throw bad('ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE', 'The message content is empty.');
      const c = book.get(phone);
      if (c?.banned) throw bad('ERROR_BANNED_PHONE_NUMBER', 'The phone number is banned on this sender code.');
      if (c?.suspended) throw bad('ERROR_PHONE_NUMBER_SUSPENDED', 'The phone number is suspended by its carrier.');
      if (!c || c.optedOut || ctx.state.membersOf(l.phoneListId).get(phone) !== 'Subscribed') {
        throw bad('ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', 'The phone number is not subscribed to this list.');
      }
      ctx.state.sent.push({ senderCodeId: id, phoneListId: l.phoneListId, transactionalMessageId: msgId, phoneNumber: phone, messageContent: content, at: new Date().toISOString() });
      return created(ctx.state.sent.length);
    },
  },
];

function senderCodeView(sc: { shortCodeId: number; code?: string; country?: string; merchantName?: string }) {
  return { shortCodeId: sc.shortCodeId, code: sc.code ?? String(sc.shortCodeId), country: sc.country ?? 'US', merchantName: sc.merchantName ?? 'Sandbox Merchant' };
}

function listView(l: SeedList) {
  return {
    phoneListId: l.phoneListId,
    phoneListName: l.phoneListName ?? `List ${l.phoneListId}`,
    createDate: '2024-01-01T00:00:00',
    status: l.status ?? 'active',
    smsListType: 'Standard',
    requireDoubleOptIn: l.requireDoubleOptIn ?? false,
    requireAgeGate: l.requireAgeGate ?? false,
  };
}

function fieldView(f: { segmentationFieldId: number; segmentationFieldName: string; dataType: string; maxLength?: number | null; statusFlag?: string }) {
  return { segmentationFieldId: f.segmentationFieldId, segmentationFieldName: f.segmentationFieldName, dataType: f.dataType, maxLength: f.maxLength ?? null, statusFlag: f.statusFlag ?? 'Active' };
}

function txView(t: { transactionalMessageId: number; transactionalMessageName?: string; transactionalMessageStatus?: string }) {
  return { transactionalMessageId: t.transactionalMessageId, transactionalMessageName: t.transactionalMessageName ?? `Message ${t.transactionalMessageId}`, transactionalMessageStatus: t.transactionalMessageStatus ?? 'Active' };
}

/** Contact Update Import: validated now, processed asynchronously like Listrak's queue. */
function startImport(ctx: RouteContext): Reply {
  const { id, book } = senderCode(ctx);
  const body = bodyObject(ctx.body);
  if (typeof body.fileName !== 'string' || body.fileName === '') throw bad('ERROR_INVALID_PARAMETER', 'fileName is required.');
  if (body.importType !== 'UpdateSubscribers') throw bad('ERROR_INVALID_PARAMETER', 'importType must be UpdateSubscribers.');
  if (typeof body.hasColumnNames !== 'boolean') throw bad('ERROR_INVALID_PARAMETER', 'hasColumnNames is required.');
  if (typeof body.textQualifier !== 'string' || !["'", '"', ''].includes(body.textQualifier)) throw bad('ERROR_INVALID_PARAMETER', 'textQualifier must be \', " or blank.');
  if (typeof body.fileStream !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(body.fileStream)) throw bad('ERROR_INVALID_PARAMETER', 'fileStream must be Base64.');
  const mappings = body.fileMappings;
  if (!Array.isArray(mappings) || mappings.length === 0) throw bad('ERROR_INVALID_PARAMETER', 'fileMappings is required.');
  let phoneColumn = -1;
  const fieldColumns: { column: number; fieldId: number; dataType: string; maxLength: number | null; defaultValue?: string }[] = [];
  for (const m of mappings as Record<string, unknown>[]) {
    if (!Number.isInteger(m?.fileColumn) || (m.fileColumn as number) < 0) throw bad('ERROR_INVALID_PARAMETER', 'fileColumn must be a zero-based column number.');
    if (m.fileColumnType === 'Phone') {
      if (m.segmentationFieldId !== 0) throw bad('ERROR_INVALID_PARAMETER', 'segmentationFieldId must be 0 for the Phone column.');
      phoneColumn = m.fileColumn as number;
    } else if (m.fileColumnType === 'SegmentationField') {
      const f = ctx.state.profileFields.get(m.segmentationFieldId as number);
      if (!f) throw bad('ERROR_INVALID_SEGMENTATION_FIELD_ID', `Profile field ${String(m.segmentationFieldId)} does not exist on this sender code.`);
      if (f.statusFlag && f.statusFlag !== 'Active') throw bad('ERROR_SEGMENTATION_FIELD_DISABLED', `Profile field ${f.segmentationFieldId} is disabled.`);
      fieldColumns.push({ column: m.fileColumn as number, fieldId: f.segmentationFieldId, dataType: f.dataType, maxLength: f.maxLength ?? null, defaultValue: typeof m.defaultValue === 'string' ? m.defaultValue : undefined });
    } else {
      throw bad('ERROR_INVALID_PARAMETER', 'fileColumnType must be Phone or SegmentationField.');
    }
  }
  if (phoneColumn < 0) throw bad('ERROR_INVALID_PARAMETER', 'A Phone column mapping is required.');

  const job = {
    importFileId: ctx.state.nextImportId++,
    smsSenderCodeId: id,
    fileName: body.fileName,
    startDate: new Date().toISOString(),
    endDate: null as string | null,
    status: 'Queued' as 'Queued' | 'Processing' | 'Completed' | 'Failed',
    applied: 0,
    dropped: 0,
    rejectedValues: 0,
  };
  ctx.state.imports.set(job.importFileId, job);
  ctx.state.writes.push({ op: 'import', phone: '' });
  const file = Buffer.from(body.fileStream, 'base64').toString('utf8');
  const qualifier = body.textQualifier;
  const hasHeader = body.hasColumnNames;
  const process = () => {
    try {
      const rows = parseCsv(file, ',', qualifier);
      for (const row of hasHeader ? rows.slice(1) : rows) {
        const contact = book.get(row[phoneColumn] ?? '');
        // Listrak's update import neither creates contacts nor subscribes them: unknown numbers are dropped.
        if (!contact) {
          job.dropped++;
          continue;
        }
        for (const col of fieldColumns) {
          const raw = row[col.column];
          const value = raw === undefined || raw === '' ? (col.defaultValue ?? '') : raw;
          if (value === '') contact.fields.delete(col.fieldId);
          else if ((col.maxLength && value.length > col.maxLength) || !valueFitsType(col.dataType, value)) job.rejectedValues++;
          else contact.fields.set(col.fieldId, value);
        }
        contactChanged(contact);
        job.applied++;
      }
      job.status = 'Completed';
    } catch {
      job.status = 'Failed';
    }
    job.endDate = new Date().toISOString();
  };
  setTimeout(() => {
    job.status = 'Processing';
    setTimeout(process, ctx.importDelayMs / 2).unref();
  }, ctx.importDelayMs / 2).unref();
  return created(job.importFileId);
}

