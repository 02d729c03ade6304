/** Seeds and audiences the specs build on: small, explicit, and easy to vary per test. */
import type { SandboxSeed, SeedContact } from '../../src/sandbox/model.js';

export const SC = 1001;
export const LIST = 2002;
export const OTHER_LIST = 2003;
export const DOI_LIST = 2004;
export const INACTIVE_LIST = 2005;

export const FIELDS = {
  store: 31,
  points: 32,
  vip: 33,
  lastOrder: 34,
  disabled: 35,
};

/** A valid US phone in Listrak's canonical form, distinct per n (n < 10,000). */
export function phone(n: number): string {
  return `1215555${String(n).padStart(4, '0')}`;
}

export function member(n: number, extra: Partial<SeedContact> = {}): SeedContact {
  return { senderCodeId: SC, phoneNumber: phone(n), firstName: `First${n}`, lastName: `Last${n}`, emailAddress: `p${n}@example.com`, lists: [LIST], ...extra };
}

export function baseSeed(contacts: SeedContact[] = []): SandboxSeed {
  return {
    clients: [{ client_id: 'test-client', client_secret: 'test-secret-value' }],
    senderCodes: [{ shortCodeId: SC, code: '55555', country: 'US' }],
    lists: [
      { phoneListId: LIST, senderCodeId: SC, phoneListName: 'Main' },
      { phoneListId: OTHER_LIST, senderCodeId: SC, phoneListName: 'Other' },
      { phoneListId: DOI_LIST, senderCodeId: SC, phoneListName: 'Double opt-in', requireDoubleOptIn: true },
      { phoneListId: INACTIVE_LIST, senderCodeId: SC, phoneListName: 'Old', status: 'inactive' },
    ],
    profileFields: [
      { segmentationFieldId: FIELDS.store, segmentationFieldName: 'Favorite Store', dataType: 'Text', maxLength: 20 },
      { segmentationFieldId: FIELDS.points, segmentationFieldName: 'Loyalty Points', dataType: 'Number' },
      { segmentationFieldId: FIELDS.vip, segmentationFieldName: 'VIP', dataType: 'Checkbox' },
      { segmentationFieldId: FIELDS.lastOrder, segmentationFieldName: 'Last Order Date', dataType: 'Date' },
      { segmentationFieldId: FIELDS.disabled, segmentationFieldName: 'Old Field', dataType: 'Text', statusFlag: 'Disabled' },
    ],
    contacts,
  };
}

export const AUDIENCE_SCHEMA = {
  type: 'SCHEMA',
  stream: 'audience',
  key_properties: ['phone'],
  schema: {
    type: 'object',
    properties: {
      phone: { type: 'string' },
      email: { type: ['string', 'null'] },
      first_name: { type: ['string', 'null'] },
      last_name: { type: ['string', 'null'] },
      favorite_store: { type: ['string', 'null'] },
      loyalty_points: { type: ['number', 'null'] },
    },
  },
};

export type Row = Record<string, unknown>;

/** A record matching `member(n)` exactly (so it diffs as unchanged), with overrides. */
export function row(n: number, extra: Row = {}): Row {
  return { phone: phone(n), email: `p${n}@example.com`, first_name: `First${n}`, last_name: `Last${n}`, favorite_store: null, loyalty_points: null, ...extra };
}

/**
 * A whole audience as a tap sends it: its SCHEMA, the records, and the tap's final STATE (`state`, by default the
 * SDK's shape for a full-table stream), which is the evidence that the audience arrived whole. `cut: true` leaves
 * the STATE out, as a tap that died after the last record would.
 */
export function audience(rows: Row[], opts: { schema?: object; state?: unknown; stream?: string; cut?: boolean } = {}): string {
  const stream = opts.stream ?? 'audience';
  const lines: object[] = [{ ...(opts.schema ?? AUDIENCE_SCHEMA), stream }];
  for (const r of rows) lines.push({ type: 'RECORD', stream, record: r });
  if (!opts.cut) lines.push({ type: 'STATE', value: opts.state === undefined ? finalState(stream) : opts.state });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

/** The Meltano SDK's final state of a full-table stream. */
export function finalState(stream = 'audience'): unknown {
  return { bookmarks: { [stream]: {} } };
}

export const TX_SCHEMA = {
  type: 'SCHEMA',
  stream: 'transactional_messages',
  key_properties: ['message_key'],
  schema: { properties: { phone: { type: 'string' }, message: { type: 'string' }, transactional_message_id: { type: 'integer' }, message_key: { type: 'string' }, event_time: { type: 'string', format: 'date-time' } } },
};

/** A transactional-only input: the texts' SCHEMA, then one RECORD per text. */
export function texts(records: Record<string, unknown>[]): string {
  return [TX_SCHEMA, ...records.map((record) => ({ type: 'RECORD', stream: 'transactional_messages', record }))].map((m) => JSON.stringify(m)).join('\n') + '\n';
}

/** A text to `phone(n)` through message shell 77 (on OTHER_LIST, see txSeed). */
export const msg = (n: number, extra: Record<string, unknown> = {}) => ({ phone: phone(n), message: `Order ${n} confirmed`, transactional_message_id: 77, message_key: `order-${n}`, ...extra });

/** baseSeed plus the transactional message shells 77 (OTHER_LIST) and 78 (DOI_LIST). */
export function txSeed(contacts: SeedContact[] = []): SandboxSeed {
  const seed = baseSeed(contacts);
  seed.transactionalMessages = [
    { senderCodeId: SC, phoneListId: OTHER_LIST, transactionalMessageId: 77, transactionalMessageName: 'Order confirmation' },
    { senderCodeId: SC, phoneListId: DOI_LIST, transactionalMessageId: 78 },
  ];
  return seed;
}

/** from, from + 1, …, to - 1: the n of a run of phones. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
