/** Record → row of one import file: properties matched to columns by name, then each value made a cell. */
import { normalizeName, recordValue } from '../contact/fields.js';
import { toCell } from './cells.js';
import type { FileSpec } from './specs.js';

export type Row = { ok: true; cells: string[]; truncated: number } | { ok: false; reason: 'missing_key' | 'invalid_value'; field: string; detail: string };

export class RowMapper {
  /** Column → property, from the config's explicit mapping. */
  private readonly explicit: Map<string, string>;
  private readonly explicitProps: Set<string>;
  private readonly columnNames: Set<string>;
  /** Record property → the column it fills by name ('' for none), worked out once per property name. */
  private readonly columnOf = new Map<string, string>();
  /** Properties that match no column (reported once). */
  readonly unmatched = new Set<string>();

  constructor(
    readonly spec: FileSpec,
    mapping: Record<string, string> = {},
  ) {
    this.explicit = new Map(Object.entries(mapping).map(([column, property]) => [normalizeName(column), property]));
    this.explicitProps = new Set(this.explicit.values());
    this.columnNames = new Set(spec.columns.map((c) => c.name));
  }

  private valuesByColumn(record: Record<string, unknown>): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const prop of Object.keys(record)) {
      let column = this.columnOf.get(prop);
      if (column === undefined) {
        const n = normalizeName(prop);
        column = this.columnNames.has(n) && !this.explicit.has(n) ? n : '';
        this.columnOf.set(prop, column);
        if (!column && !this.explicitProps.has(prop)) this.unmatched.add(prop);
      }
      if (column && !out.has(column)) out.set(column, record[prop]);
    }
    for (const [column, prop] of this.explicit) out.set(column, recordValue(record, prop));
    return out;
  }

  row(record: Record<string, unknown>): Row {
    const values = this.valuesByColumn(record);
    const cells: string[] = [];
    let truncated = 0;
    for (const column of this.spec.columns) {
      const c = toCell(column, values.get(column.name));
      if (!c.ok) return { ok: false, reason: 'invalid_value', field: column.name, detail: c.detail };
      cells.push(c.value);
      if (c.truncated) truncated++;
    }
    for (const key of this.spec.keys) {
      if (!cells[this.spec.columns.findIndex((c) => c.name === key)]) return { ok: false, reason: 'missing_key', field: key, detail: 'this key column is required on every row' };
    }
    return { ok: true, cells, truncated };
  }
}
