/**
 * A tap of our own making that writes what a Meltano SDK tap writes, stream after stream: a SCHEMA (announced
 * again mid-stream, with a widened type), ACTIVATE_VERSION before and after a full-table stream, records with
 * `version` and `time_extracted`, the tail of a stream in a gzipped JSONL BATCH file, and a STATE between
 * records whose bookmarks say where to resume.
 *
 * Given the state a run ended with, it resumes from it as an SDK tap does: an incremental stream sends only the
 * records past its bookmark, a full-table stream all of them again.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Row } from './fixtures.js';

export interface TapStream {
  name: string;
  properties: Record<string, unknown>;
  keyProperties: string[];
  /** FULL_TABLE, or INCREMENTAL on an integer replication key. */
  replicationKey?: string;
  records: Row[];
  /** Records from this index on go in a BATCH file rather than inline. */
  batchFrom?: number;
  /** A STATE every this many inline records. */
  stateEvery?: number;
}

export interface TapState {
  bookmarks: Record<string, { replication_key?: string; replication_key_value?: number; version?: number }>;
}

export interface TapRun {
  /** The Singer lines, as the tap writes them to stdout. */
  output: string;
  /** Every STATE value written, in order: the only values a target may pass on. */
  states: TapState[];
}

const VERSION = 1_700_000_000_000;

export function sdkTap(streams: TapStream[], resumeFrom: TapState | undefined, batchDir: string): TapRun {
  const lines: object[] = [];
  const states: TapState[] = [];
  const bookmarks: TapState['bookmarks'] = JSON.parse(JSON.stringify(resumeFrom?.bookmarks ?? {})) as TapState['bookmarks'];
  const state = () => {
    const value: TapState = { bookmarks: JSON.parse(JSON.stringify(bookmarks)) as TapState['bookmarks'] };
    states.push(value);
    lines.push({ type: 'STATE', value });
  };
  const schema = (s: TapStream, widened: boolean) => ({
    type: 'SCHEMA',
    stream: s.name,
    key_properties: s.keyProperties,
    ...(s.replicationKey ? { bookmark_properties: [s.replicationKey] } : {}),
    schema: {
      type: 'object',
      properties: widened ? Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, { ...(p as object), type: ['string', 'number', 'integer', 'boolean', 'null'] }])) : s.properties,
    },
  });
  const time_extracted = new Date(VERSION).toISOString();

  for (const s of streams) {
    lines.push(schema(s, false));
    const key = s.replicationKey;
    const after = key ? bookmarks[s.name]?.replication_key_value : undefined;
    const records = s.records.filter((r) => key === undefined || after === undefined || Number(r[key]) > after);
    if (!key) {
      bookmarks[s.name] = { version: VERSION };
      lines.push({ type: 'ACTIVATE_VERSION', stream: s.name, version: VERSION });
    }
    const inline = s.batchFrom === undefined ? records : records.slice(0, s.batchFrom);
    inline.forEach((record, i) => {
      if (i === Math.floor(inline.length / 2)) lines.push(schema(s, true));
      lines.push({ type: 'RECORD', stream: s.name, record, version: key ? undefined : VERSION, time_extracted });
      if (key) bookmarks[s.name] = { replication_key: key, replication_key_value: Number(record[key]) };
      if (s.stateEvery && (i + 1) % s.stateEvery === 0) state();
    });
    const batched = s.batchFrom === undefined ? [] : records.slice(s.batchFrom);
    if (batched.length) {
      const path = join(batchDir, `${s.name}-${states.length}-${Date.now()}.json.gz`);
      writeFileSync(path, gzipSync(batched.map((r) => JSON.stringify(r)).join('\n') + '\n'));
      lines.push({ type: 'BATCH', stream: s.name, encoding: { format: 'jsonl', compression: 'gzip' }, manifest: [pathToFileURL(path).href] });
      if (key) bookmarks[s.name] = { replication_key: key, replication_key_value: Number(batched.at(-1)?.[key]) };
    }
    if (!key) lines.push({ type: 'ACTIVATE_VERSION', stream: s.name, version: VERSION });
    state();
  }
  return { output: lines.map((l) => JSON.stringify(l) + '\n').join(''), states };
}

/** A stdout line's value without the target's own progress key: what the tap sent, if the line is safe. */
export function tapPart(value: unknown, progressKey: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const { [progressKey]: _progress, ...rest } = value as Record<string, unknown>;
  return rest;
}
