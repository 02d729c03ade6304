/**
 * What the input shows about each stream's completeness, as facts: where its last record was, which message
 * closed it after that, and whether the tap sent it as a delta. Gathered by the router (route.ts) as it reads;
 * what the facts allow (removals or not) is decided in sync/removal.ts.
 *
 * Real taps are the reference: a Meltano SDK tap writes no STATE before its records on a first run, one every
 * 10,000 records when its state changed, its final one after the last record, and an ACTIVATE_VERSION (when asked
 * for) before the records; older Singer taps write one after a full-table sync. A tap in incremental mode declares
 * `bookmark_properties` in the SCHEMA and keeps a `replication_key_value` in its state.
 */
import type { Numbered, SchemaMessage } from './messages.js';

export interface StreamEvidence {
  readonly records: number;
  /** The line of the stream's last record (in the input; a BATCH's records count at the BATCH's line). */
  readonly lastRecordLine: number | undefined;
  /** A STATE or ACTIVATE_VERSION of this stream that came after its last record: the stream ended there. */
  readonly closedBy: { type: 'STATE' | 'ACTIVATE_VERSION'; line: number } | undefined;
  /** Why the records are a delta rather than the whole stream (the SCHEMA's bookmark properties, the state's key). */
  readonly incremental: string | undefined;
}

class StreamFacts implements StreamEvidence {
  records = 0;
  lastRecordLine: number | undefined = undefined;
  closedBy: StreamEvidence['closedBy'] = undefined;
  incremental: string | undefined = undefined;
}

export class EvidenceBook {
  private readonly streams = new Map<string, StreamFacts>();

  private facts(stream: string): StreamFacts {
    let f = this.streams.get(stream);
    if (!f) this.streams.set(stream, (f = new StreamFacts()));
    return f;
  }

  schema(msg: Numbered<SchemaMessage>): void {
    const f = this.facts(msg.stream);
    const bookmarks = msg.bookmark_properties ?? [];
    if (bookmarks.length) f.incremental ??= `its SCHEMA (line ${msg.line}) has bookmark_properties ${JSON.stringify(bookmarks)}`;
  }

  record(stream: string, line: number): void {
    const f = this.facts(stream);
    f.records++;
    f.lastRecordLine = line;
    f.closedBy = undefined;
  }

  /** A STATE closes every stream read so far; its bookmarks show which streams the tap reads incrementally. */
  state(value: unknown, line: number): void {
    for (const [stream, f] of this.streams) {
      f.closedBy = { type: 'STATE', line };
      if (f.incremental === undefined && hasReplicationKeyValue(bookmarkOf(value, stream))) {
        f.incremental = `its STATE (line ${line}) keeps a replication_key_value for it`;
      }
    }
  }

  activateVersion(stream: string, line: number): void {
    this.facts(stream).closedBy = { type: 'ACTIVATE_VERSION', line };
  }

  of(stream: string): StreamEvidence {
    return this.facts(stream);
  }
}

function bookmarkOf(state: unknown, stream: string): unknown {
  if (!isObject(state) || !isObject(state.bookmarks)) return undefined;
  return state.bookmarks[stream];
}

/** The SDK keeps the key in the stream's bookmark or in each of its partitions; older taps in the bookmark. */
function hasReplicationKeyValue(bookmark: unknown): boolean {
  if (!isObject(bookmark)) return false;
  if (present(bookmark.replication_key_value)) return true;
  return Array.isArray(bookmark.partitions) && bookmark.partitions.some((p) => isObject(p) && present(p.replication_key_value));
}

const present = (v: unknown) => v !== undefined && v !== null;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
