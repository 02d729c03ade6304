/**
 * The digest of each line of a block of audience input, read from the block's bytes.
 *
 * An audience RECORD line is scanned (and fully checked as JSON) without being built: its phone and managed values,
 * when already in canonical form, are fingerprinted from their bytes; a record with a value that is not is built
 * from its picked properties alone and digested by digestRecord, the reference. Any other line (another message,
 * another stream, anything unusual or not JSON) goes the reference way too: JSON.parse, parseSingerLine and
 * digestRecord, and what they cannot digest is left to the main thread, which raises the errors.
 */
import { DECLINED, JsonScanner, KeyTable, Picked, Picks, bytesEqual } from './json-scanner.js';
import { MAX_LINE_CHARS, parseSingerLine } from '../singer/reader.js';
import { LineKind, digestRecord, type Digest, type DigestContext } from '../contact/digest.js';
import { DELETED_AT_PROPERTY, type ManagedField } from '../contact/fields.js';
import { FingerprintHasher } from '../contact/fingerprint.js';
import { grown } from '../tables/typed.js';
import { identityDigitsKey, type CanonicalTest, type IdentityBytesContext } from '../contact/canonical-bytes.js';

const LF = 0x0a;
const CR = 0x0d;
const TOP_KEYS = new KeyTable(['type', 'stream', 'record']);
const TYPE = 0;
const STREAM = 1;
const RECORD = 2;
const RECORD_TYPE = Buffer.from('RECORD');

export interface DigestedLines {
  /** One LineKind per line; the digests of lines of kind Digest at the same positions. */
  kinds: Uint8Array;
  keys: Float64Array;
  systemFp: Float64Array;
  customFp: Float64Array;
}

export class RecordLineDigester {
  private readonly scanner = new JsonScanner();
  private readonly hasher = new FingerprintHasher();
  private readonly top = new Picks(TOP_KEYS);
  /** The record's picked properties: the phone (slot 0), then each system field, then each custom field. */
  private readonly record: Picks;
  private readonly stream: Buffer;
  private readonly phone: IdentityBytesContext;
  /** The picks' slot of the soft-delete column, after the managed properties. */
  private readonly deletedSlot: number;
  /** The picks' slot of the consent property, last; -1 when the schema declares none. */
  private readonly consentSlot: number;
  /** False when the stream name is empty (a RECORD may not have one): then every line goes the reference way. */
  private readonly scannable: boolean;
  /** For each system field, then each custom field: the test its picked text passes when already canonical. */
  private readonly tests: FieldTest[];
  private key = 0;
  private systemFp = 0;
  private customFp = 0;

  constructor(
    private readonly ctx: DigestContext,
    private readonly audienceStream: string,
  ) {
    const names = [ctx.plan.phoneProperty, ...ctx.plan.system.map((f) => f.property), ...ctx.plan.custom.map((f) => f.property), DELETED_AT_PROPERTY];
    this.deletedSlot = names.length - 1;
    this.consentSlot = ctx.plan.consent ? names.push(ctx.plan.consent.property) - 1 : -1;
    this.record = new Picks(new KeyTable(names));
    this.stream = Buffer.from(audienceStream);
    this.phone = { callingCode: Number(ctx.phone.callingCode), callingCodeDigits: ctx.phone.callingCode.length, nationalLengths: ctx.phone.nationalLengths };
    this.scannable = audienceStream !== '';
    this.tests = [...ctx.plan.system.map(fieldTest), ...ctx.plan.custom.map(fieldTest)];
  }

  digestBlock(block: Buffer): DigestedLines {
    let capacity = Math.max(16, block.length >> 7);
    let kinds = new Uint8Array(capacity);
    let keys = new Float64Array(capacity);
    let systemFp = new Float64Array(capacity);
    let customFp = new Float64Array(capacity);
    let n = 0;
    for (let pos = 0; pos < block.length; n++) {
      if (n === capacity) {
        capacity *= 2;
        kinds = grown(kinds, capacity);
        keys = grown(keys, capacity);
        systemFp = grown(systemFp, capacity);
        customFp = grown(customFp, capacity);
      }
      let kind: number;
      let end: number;
      try {
        kind = this.scanLine(block, pos);
        end = this.scanner.p;
      } catch (e) {
        if (e !== DECLINED) throw e;
        end = lineEnd(block, pos);
        kind = this.parseLine(block.toString('utf8', pos, end));
      }
      kinds[n] = kind;
      if (kind === LineKind.Digest) {
        keys[n] = this.key;
        systemFp[n] = this.systemFp;
        customFp[n] = this.customFp;
      }
      // Past the line's end: `\r\n` counts as one, as the line splitter counts it.
      pos = end + (block[end] === CR && block[end + 1] === LF ? 2 : 1);
    }
    return { kinds: kinds.slice(0, n), keys: keys.slice(0, n), systemFp: systemFp.slice(0, n), customFp: customFp.slice(0, n) };
  }

  /** The reference way: what the worker did with every line before lines were scanned. */
  private parseLine(text: string): number {
    try {
      // The line number only matters for errors, and those are raised by the main thread.
      const msg = parseSingerLine(text, 0);
      if (!msg) return LineKind.Blank;
      if (msg.type !== 'RECORD' || msg.stream !== this.audienceStream) return LineKind.Parse;
      return this.keep(digestRecord(msg.record, this.ctx));
    } catch {
      return LineKind.Parse;
    }
  }

  private keep(d: Digest | undefined): number {
    if (!d) return LineKind.Parse;
    this.key = d.key;
    this.systemFp = d.systemFp;
    this.customFp = d.customFp;
    return LineKind.Digest;
  }

  /** A blank line or an audience RECORD in the usual shape, scanned up to the line's end; else DECLINED. */
  private scanLine(block: Buffer, pos: number): number {
    const s = this.scanner.reset(block, pos, true);
    if (s.atEnd()) return LineKind.Blank;
    if (!this.scannable) throw DECLINED;
    const top = this.top;
    top.kind.fill(Picked.Absent);
    let record = false;
    if (s.openObject()) {
      do {
        const k = s.key(TOP_KEYS);
        if (k !== RECORD) {
          if (k < 0) s.skipValue();
          else s.pickValue(top, k);
          continue;
        }
        // JSON.parse keeps the last `record`; a non-object one is an error the reference raises.
        record = s.peek() === 0x7b;
        if (record) s.pick(this.record);
        else s.skipValue();
      } while (s.nextMember());
    }
    if (!s.atEnd() || s.p - pos > MAX_LINE_CHARS || !record) throw DECLINED;
    const b = s.bytes;
    if (!(top.kind[TYPE] === Picked.Ascii && bytesEqual(b, top.start[TYPE] as number, top.end[TYPE] as number, RECORD_TYPE))) throw DECLINED;
    if (!(top.kind[STREAM] === Picked.Ascii && bytesEqual(b, top.start[STREAM] as number, top.end[STREAM] as number, this.stream))) throw DECLINED;
    return this.digestPicked();
  }

  /** The picked record's digest: from its bytes when every value is canonical, else built and digested. */
  private digestPicked(): number {
    const { kind, start, end } = this.record;
    const b = this.scanner.bytes;
    const plan = this.ctx.plan;
    const key = kind[0] === Picked.Ascii ? identityDigitsKey(b, start[0] as number, end[0] as number, this.phone) : -1;
    // A row deleted in the source is no audience member: the reference path says so (digestRecord).
    if (key < 0 || !this.empty(this.deletedSlot)) return this.digestBuilt();
    // A consent value (one that is not plainly empty) is weighed by the reference: digestRecord declines it.
    if (this.consentSlot >= 0 && !this.empty(this.consentSlot)) return this.digestBuilt();
    const h = this.hasher.start();
    const tests = this.tests;
    const systemCount = plan.system.length;
    for (let i = 0; i < systemCount; i++) if (!this.addPicked(1 + i, tests[i] as FieldTest)) return this.digestBuilt();
    const systemFp = h.finish();
    h.start();
    for (let i = systemCount; i < tests.length; i++) if (!this.addPicked(1 + i, tests[i] as FieldTest)) return this.digestBuilt();
    this.key = key;
    this.systemFp = systemFp;
    this.customFp = h.finish();
    return LineKind.Digest;
  }

  /** Whether the value picked at `slot` is absent, null or "". */
  private empty(slot: number): boolean {
    const { kind, start, end } = this.record;
    const k = kind[slot];
    return k === Picked.Absent || k === Picked.Null || (k === Picked.Ascii && start[slot] === end[slot]);
  }

  /**
   * Hash the value picked at `slot` when it is empty (absent, null or "": every coercer makes that null) or is ASCII
   * text its field's test finds canonical; false when it is neither (the record is then built and digested).
   */
  private addPicked(slot: number, field: FieldTest): boolean {
    const { kind, start, end } = this.record;
    const k = kind[slot];
    if (k === Picked.Absent || k === Picked.Null) return this.hasher.addNull(), true;
    if (k !== Picked.Ascii && k !== Picked.Integer) return false;
    const b = this.scanner.bytes;
    const st = start[slot] as number;
    const en = end[slot] as number;
    if (st === en) return this.hasher.addNull(), true;
    if ((field.maxLength && en - st > field.maxLength) || !field.canonical(k === Picked.Integer, b, st, en)) return false;
    this.hasher.addAscii(b, st, en);
    return true;
  }

  /** The reference for a record with a value not in canonical form: build its picked properties and digest them. */
  private digestBuilt(): number {
    const { kind, at } = this.record;
    // No prototype: a property named `__proto__` is then an own value, as JSON.parse makes it.
    const rec = Object.create(null) as Record<string, unknown>;
    const names = this.record.table.names;
    for (let i = 0; i < names.length; i++) if (kind[i] !== Picked.Absent) rec[names[i] as string] = this.scanner.valueAt(at[i] as number);
    try {
      return this.keep(digestRecord(rec, this.ctx));
    } catch {
      return LineKind.Parse;
    }
  }
}

/** When a picked text is already what a field's coercer would make of it; longer than maxLength, it never is. */
interface FieldTest {
  maxLength: number | null | undefined;
  canonical: CanonicalTest;
}

function fieldTest(f: ManagedField): FieldTest {
  return { maxLength: f.maxLength, canonical: f.type.recordBytes };
}

/** Where the line starting at `pos` ends: its `\n` or `\r`, or the block's end. */
function lineEnd(block: Buffer, pos: number): number {
  let p = pos;
  while (p < block.length && block[p] !== LF && block[p] !== CR) p++;
  return p;
}
