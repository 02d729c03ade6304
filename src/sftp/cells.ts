/**
 * Record values → CSV cells for Listrak's import files: ISO 8601 dates, plain decimals, `true`/`false`, no line
 * breaks or control characters, strings cut to the column's length (and counted). A value that cannot be made to
 * fit its column is an error that rejects the row.
 */
import { coerceCheckbox, coerceDate, coerceNumber, coerceText } from '../contact/coerce.js';
import { normalizePhone } from '../contact/phone.js';
import { DISCOUNT_TYPES, ORDER_STATUSES, type Column } from './specs.js';

export type Cell = { ok: true; value: string; truncated: boolean } | { ok: false; detail: string };

const cell = (value: string | null, truncated = false): Cell => ({ ok: true, value: value ?? '', truncated });
const bad = (detail: string): Cell => ({ ok: false, detail });

const byLower = (names: string[]) => new Map(names.map((n) => [n.toLowerCase(), n]));
const DISCOUNTS = byLower(DISCOUNT_TYPES);
const STATUSES = byLower(ORDER_STATUSES);
const GENDERS = new Map([
  ['m', 'M'], ['male', 'M'], ['man', 'M'],
  ['f', 'F'], ['female', 'F'], ['woman', 'F'],
  ['n', 'N'], ['neither', 'N'], ['none', 'N'], ['x', 'N'], ['other', 'N'], ['nonbinary', 'N'], ['non-binary', 'N'],
]);

const ZONED = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d+)?$/;

/** Date-times: zoned ones become UTC (`…Z`); ones without a zone keep their wall time; a bare date is midnight. */
export function datetimeCell(v: unknown): Cell {
  if (v === null || v === undefined || v === '') return cell(null);
  if (typeof v !== 'string') return bad(`expected an ISO 8601 date-time, got ${typeof v}`);
  const s = v.trim();
  if (ZONED.test(s)) {
    const d = new Date(s.replace(' ', 'T'));
    if (Number.isNaN(d.getTime())) return bad('not a valid date-time');
    return cell(d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  }
  const local = LOCAL.exec(s);
  if (local) {
    const day = coerceDate(local[1]);
    if (!day.ok) return bad(day.detail);
    return cell(`${day.value}T${local[2]}${local[3] ?? ':00'}`);
  }
  const day = coerceDate(s);
  return day.ok ? cell(day.value === null ? null : `${day.value}T00:00:00`) : bad('not an ISO 8601 date-time');
}

export function toCell(column: Column, v: unknown): Cell {
  switch (column.type) {
    case 'string': {
      const r = coerceText(v, undefined);
      if (!r.ok) return bad(r.detail);
      if (r.value !== null && column.max && [...r.value].length > column.max) return cell([...r.value].slice(0, column.max).join(''), true);
      return cell(r.value);
    }
    case 'decimal': {
      const r = coerceNumber(v);
      return r.ok ? cell(r.value) : bad(r.detail);
    }
    case 'integer': {
      const r = coerceNumber(v);
      if (!r.ok) return bad(r.detail);
      return r.value === null || /^-?\d+$/.test(r.value) ? cell(r.value) : bad('not a whole number');
    }
    case 'boolean': {
      const r = coerceCheckbox(v);
      return r.ok ? cell(r.value) : bad(r.detail);
    }
    case 'date': {
      const r = coerceDate(v);
      return r.ok ? cell(r.value) : bad(r.detail);
    }
    case 'datetime':
      return datetimeCell(v);
    case 'phone': {
      if (v === null || v === undefined || v === '') return cell(null);
      const r = normalizePhone(v, 'US');
      return r.ok ? cell(r.phone) : bad(r.detail);
    }
    case 'gender':
      return fromTable(v, GENDERS, 'M, F or N');
    case 'discount_type':
      return fromTable(v, DISCOUNTS, 'a Listrak discount type');
    case 'order_status': {
      if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v.trim()))) {
        const name = ORDER_STATUSES[Number(v)];
        return name ? cell(name) : bad(`status ${String(v)} is not a Listrak order status number`);
      }
      return fromTable(v, STATUSES, 'a Listrak order status');
    }
  }
}

function fromTable(v: unknown, table: Map<string, string>, what: string): Cell {
  if (v === null || v === undefined || v === '') return cell(null);
  if (typeof v !== 'string') return bad(`expected ${what}`);
  const hit = table.get(v.trim().toLowerCase());
  return hit ? cell(hit) : bad(`"${v.slice(0, 40)}" is not ${what}`);
}
