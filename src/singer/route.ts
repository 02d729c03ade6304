/**
 * The one reader of Singer messages. Each message is interpreted here once: SCHEMA, RECORD, STATE,
 * ACTIVATE_VERSION and BATCH (expanded into its records here and nowhere else), with the stream checks and their
 * errors. What a stream's records mean is its sink's business: the router hands each record to the sink
 * registered for its stream, keeps the tap's latest state, and gathers the evidence of each stream's end
 * (evidence.ts) on the way.
 *
 * A tap killed mid-write leaves a last line without its line end. Such a line that does not parse is the cut it
 * is, not bad input: it is set aside (`cut`) and the input ends before it. An unparsable line anywhere else stops
 * the run as bad input.
 */
import { InputError } from '../errors.js';
import { batchRecords } from './batch.js';
import { EvidenceBook } from './evidence.js';
import type { InputEnding } from './lines.js';
import type { Numbered, RecordMessage, SchemaMessage, SingerMessage } from './messages.js';
import { parseSingerLine } from './reader.js';

/** Where the records of one stream go. `D`: the digest a fast path may hand over instead of a parsed record. */
export interface StreamSink<D = never> {
  /** A record of the stream, met inline or read from a BATCH file (which `file` then names). */
  record(msg: Numbered<RecordMessage>): Promise<void> | void;
  /** A record reduced to a digest by a fast path (fast/); `text` parses nothing, it is the line as it came. */
  digest?(line: number, digest: D, text: () => string): Promise<void> | void;
  /** Called before a BATCH's records are handed over. */
  beforeBatch?(): Promise<void> | void;
  /** The stream's SCHEMA may not change its properties once given (the fields to write were chosen from it). */
  fixedSchema?: boolean;
}

export interface Routes<D> {
  /** The sink of each stream the run knows. */
  sinks: ReadonlyMap<string, StreamSink<D>>;
  /** Why a stream without a sink cannot be read (the message names the stream and says what to do). */
  unknownStream: (stream: string) => string;
  /** A tap STATE, in input order, once the messages before it have been handed to their sinks. */
  onState?: (value: unknown, line: number) => Promise<void> | void;
  /** A stream's SCHEMA, before its records: a run that learns its streams from the input registers sinks here. */
  onSchema?: (msg: Numbered<SchemaMessage>) => Promise<void> | void;
}

/** The RECORD or BATCH of a stream whose SCHEMA has not come: refused, here and by the input head alike. */
export function requireSchema(msg: Numbered<SingerMessage> & { stream: string }, schemas: { has(stream: string): boolean }): void {
  if (!schemas.has(msg.stream)) throw new InputError(msg.line, `${msg.type} for stream "${msg.stream}" before its SCHEMA`);
}

export class SingerRouter<D = never> {
  readonly evidence = new EvidenceBook();
  /** Each stream's SCHEMA properties, sorted, as JSON: the stream is declared. */
  private readonly schemas = new Map<string, string>();
  /** The tap's latest state. */
  tapState: { value: unknown; line: number } | undefined;
  /** The partial last line set aside, once the input has ended there. */
  cut: InputError | undefined;
  /** An unparsable line not yet known to be the last. */
  private pending: InputError | undefined;

  private opts: Routes<D> = { sinks: new Map(), unknownStream: () => 'which this run does not read' };

  /** Where each stream goes, once the run knows (the input's head is read before). */
  use(routes: Routes<D>): this {
    this.opts = routes;
    return this;
  }

  /** Messages from a source that parses its own lines: a parse error is held until the source says what followed. */
  async consume(source: AsyncIterator<Numbered<SingerMessage>>): Promise<void> {
    for (;;) {
      const msg = await this.pull(source);
      if (!msg) return;
      await this.route(msg);
    }
  }

  /** The next message of `source`, or undefined at its end; an unparsable line is held (see `lineFailed`). */
  async pull(source: AsyncIterator<Numbered<SingerMessage>>): Promise<Numbered<SingerMessage> | undefined> {
    for (;;) {
      let next: IteratorResult<Numbered<SingerMessage>>;
      try {
        next = await source.next();
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        this.lineFailed(e);
        continue;
      }
      if (next.done) return undefined;
      this.lineParsed();
      return next.value;
    }
  }

  /** A raw line (the fast path hands over those it did not digest). */
  async line(text: string, line: number): Promise<void> {
    let msg: Numbered<SingerMessage> | undefined;
    try {
      msg = parseSingerLine(text, line);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.lineFailed(e);
      return;
    }
    if (msg) {
      this.lineParsed();
      await this.route(msg);
    }
  }

  /** A record of `stream` that a fast path reduced to a digest. */
  async digested(stream: string, line: number, digest: D, text: () => string): Promise<void> {
    this.lineParsed();
    const sink = this.sinkOf({ type: 'RECORD', stream, line });
    this.evidence.record(stream, line);
    await (sink.digest as NonNullable<StreamSink<D>['digest']>).call(sink, line, digest, text);
  }

  /** Whether `stream`'s SCHEMA has come (a fast path hands over digests only after it). */
  declared(stream: string): boolean {
    return this.schemas.has(stream);
  }

  async route(msg: Numbered<SingerMessage>): Promise<void> {
    switch (msg.type) {
      case 'SCHEMA':
        this.schema(msg);
        await this.opts.onSchema?.(msg);
        return;
      case 'STATE':
        this.tapState = { value: msg.value, line: msg.line };
        this.evidence.state(msg.value, msg.line);
        await this.opts.onState?.(msg.value, msg.line);
        return;
      case 'ACTIVATE_VERSION':
        this.evidence.activateVersion(msg.stream, msg.line);
        return;
      case 'BATCH': {
        const sink = this.sinkOf(msg);
        await sink.beforeBatch?.();
        for await (const record of batchRecords(msg)) {
          this.evidence.record(msg.stream, msg.line);
          await sink.record(record);
        }
        return;
      }
      case 'RECORD': {
        const sink = this.sinkOf(msg);
        this.evidence.record(msg.stream, msg.line);
        await sink.record(msg);
        return;
      }
    }
  }

  /** The input has ended: a held line error is the cut of a partial last line, or bad input. */
  end(ending: InputEnding): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    if (!ending.cutTail) throw pending;
    this.cut = pending;
  }

  private schema(msg: Numbered<SchemaMessage>): void {
    const props = JSON.stringify(Object.keys((msg.schema.properties as object | undefined) ?? {}).sort());
    const before = this.schemas.get(msg.stream);
    if (before !== undefined && before !== props && this.opts.sinks.get(msg.stream)?.fixedSchema) {
      throw new InputError(msg.line, `SCHEMA for stream "${msg.stream}" changed its properties mid-stream`);
    }
    this.schemas.set(msg.stream, props);
    this.evidence.schema(msg);
  }

  private sinkOf(msg: { type: string; stream: string; line: number }): StreamSink<D> {
    requireSchema(msg as Numbered<SingerMessage> & { stream: string }, this.schemas);
    const sink = this.opts.sinks.get(msg.stream);
    if (!sink) throw new InputError(msg.line, `${msg.type} for stream "${msg.stream}", ${this.opts.unknownStream(msg.stream)}`);
    return sink;
  }

  /** A line that does not parse: bad input, unless it turns out to be the input's partial last line. */
  private lineFailed(e: InputError): void {
    // A second bad line: the first was not the last.
    if (this.pending) throw this.pending;
    this.pending = e;
  }

  private lineParsed(): void {
    if (this.pending) throw this.pending;
  }
}
