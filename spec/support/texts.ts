/** Transactional text inputs: the stream's SCHEMA and RECORD lines, and one text per contact number. */
import { phone } from './fixtures.js';

const TX_SCHEMA = {
  type: 'SCHEMA',
  stream: 'transactional_messages',
  key_properties: ['message_key'],
  schema: { properties: { phone: { type: 'string' }, message: { type: 'string' }, transactional_message_id: { type: 'integer' }, message_key: { type: 'string' }, event_time: { type: 'string', format: 'date-time' } } },
};

export function texts(records: Record<string, unknown>[]): string {
  return [TX_SCHEMA, ...records.map((record) => ({ type: 'RECORD', stream: 'transactional_messages', record }))].map((m) => JSON.stringify(m)).join('\n') + '\n';
}

/** Text `n`: to phone(n), through message shell 77, keyed `order-n`. */
export const msg = (n: number, extra: Record<string, unknown> = {}) => ({ phone: phone(n), message: `Order ${n} confirmed`, transactional_message_id: 77, message_key: `order-${n}`, ...extra });
