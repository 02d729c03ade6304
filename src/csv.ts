/** CSV writing shared by the contact import and the SFTP exporter: RFC 4180 quoting with a chosen qualifier. */

export interface CsvDialect {
  delimiter: string;
  /** Text qualifier; empty for none (then values must not contain the delimiter). */
  qualifier: string;
}

export const RFC4180: CsvDialect = { delimiter: ',', qualifier: '"' };

export function csvField(value: string, dialect: CsvDialect = RFC4180): string {
  const q = dialect.qualifier;
  if (!q) return value;
  const needs = value.includes(dialect.delimiter) || value.includes(q) || value.includes('\n') || value.includes('\r') || /^\s|\s$/.test(value);
  return needs ? q + value.split(q).join(q + q) + q : value;
}

export function csvLine(values: readonly string[], dialect: CsvDialect = RFC4180): string {
  return values.map((v) => csvField(v, dialect)).join(dialect.delimiter) + '\n';
}
