/**
 * A validating JSON scanner over bytes that builds only the values its caller asks for.
 *
 * JSON.parse builds every string, number and object of its text. The two hot reads of a sync need a few values out
 * of each object: a member page's 5,000 contacts (phone, system fields, profile values) and an audience line's
 * managed properties. Scanning the bytes and building only what is asked for (or nothing, where a value can be
 * fingerprinted from its bytes) spares the allocation and garbage collection of everything else.
 *
 * The scanner checks the whole text against the JSON grammar, so it never accepts what JSON.parse rejects. Whenever
 * it will not vouch for an answer (text that is not JSON, or JSON outside the shape its caller reads fast) it throws
 * DECLINED, and the caller falls back to JSON.parse, whose behaviour and error messages stay the reference.
 */
import { digitsValue } from '../ascii.js';

/** Thrown (one shared instance: declining is part of normal control flow) when the caller must use JSON.parse. */
export const DECLINED: unique symbol = Symbol('json-scanner-declined');

/** Nesting deeper than this is left to JSON.parse rather than recursed into. */
const MAX_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** The escapes JSON allows after a backslash, besides `u`: " \ / b f n r t. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** True when bytes [start, end) of `b` are `expected`. */
export function bytesEqual(b: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  const len = expected.length;
  if (end - start !== len || start < 0 || end > b.length) return false;
  for (let i = 0; i < len; i++) if (b[start + i] !== expected[i]) return false;
  return true;
}

/** How many distinct keys a KeyTable learns (see guess()); keys past that are still read, only not guessed. */
const MAX_LEARNED = 64;

/**
 * Names a caller picks out of an object, each matched by its UTF-8 bytes; index = position in `names`.
 *
 * The table also learns the keys it meets, in the order they come: objects of one kind (the contacts of a page,
 * the records of a stream) repeat their keys in the same order, so the key after `phoneNumber` is most likely the
 * one that followed it last time. A guessed key is confirmed by comparing its bytes, quotes included, which is
 * cheaper than reading the key and looking it up; a wrong guess costs one comparison.
 */
export class KeyTable {
  private readonly encoded: Buffer[];
  private readonly byName: Map<string, number>;
  /** Learned keys as `"name"` bytes, and each one's index in `names` (-1: not picked). */
  private readonly learned: Buffer[] = [];
  private readonly learnedIndex: number[] = [];
  /** after[k]: the learned key that followed learned key k last time (-1: none); after[MAX_LEARNED]: unknown. */
  private readonly after = new Int16Array(MAX_LEARNED + 1).fill(-1);
  private last = MAX_LEARNED;

  constructor(readonly names: readonly string[]) {
    this.encoded = names.map((n) => Buffer.from(n));
    this.byName = new Map(names.map((n, i) => [n, i]));
  }

  /** Index of the ASCII key in bytes [start, end), or -1. */
  indexOfBytes(b: Uint8Array, start: number, end: number): number {
    for (let k = 0; k < this.encoded.length; k++) if (bytesEqual(b, start, end, this.encoded[k] as Buffer)) return k;
    return -1;
  }

  indexOfName(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  /** The learned key likely to come next (its `"name"` bytes), or undefined. */
  guess(): Buffer | undefined {
    const k = this.after[this.last] as number;
    return k < 0 ? undefined : this.learned[k];
  }

  /** The guessed key came: its index in `names`. */
  confirmGuess(): number {
    const k = this.after[this.last] as number;
    this.last = k;
    return this.learnedIndex[k] as number;
  }

  /** A plain ASCII key read in full, bytes [start, end) between its quotes: learn it, and return its index in `names`. */
  met(b: Uint8Array, start: number, end: number): number {
    // The key's quotes are in `b` around it, so a learned key compares with them included.
    let k = 0;
    while (k < this.learned.length && !bytesEqual(b, start - 1, end + 1, this.learned[k] as Buffer)) k++;
    if (k === this.learned.length) {
      if (k === MAX_LEARNED) return this.metOther(this.indexOfBytes(b, start, end));
      this.learned.push(Buffer.from(b.subarray(start - 1, end + 1)));
      this.learnedIndex.push(this.indexOfBytes(b, start, end));
    }
    this.after[this.last] = k;
    this.last = k;
    return this.learnedIndex[k] as number;
  }

  /** A key that is not learned (escaped, non-ASCII, or past the limit): nothing follows it in the guesses. */
  metOther(index: number): number {
    this.last = MAX_LEARNED;
    return index;
  }
}

/** What a picked member's value is, as far as the scanner tells without building it. */
export const Picked = {
  /** The key did not occur. */
  Absent: 0,
  Null: 1,
  /** A string of ASCII characters without escapes: its content is bytes [start, end). */
  Ascii: 2,
  /** A non-negative integer of at most 15 digits: its text is bytes [start, end). */
  Integer: 3,
  /** Anything else (escapes, non-ASCII, other numbers, booleans, objects, arrays): build it with valueAt(at). */
  Other: 4,
} as const;

/** The picked members of one object: for each key index of a KeyTable, its value's kind and where it is. */
export class Picks {
  readonly kind: Uint8Array;
  readonly at: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;

  constructor(readonly table: KeyTable) {
    const n = table.names.length;
    this.kind = new Uint8Array(n);
    this.at = new Int32Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
  }
}

export class JsonScanner {
  private b: Buffer = Buffer.alloc(0);
  private end = 0;
  /** Position of the next byte to read. */
  p = 0;
  /** Whitespace is JSON's four characters, or in line mode only space and tab: a line end ends the text. */
  private lineMode = false;
  /** The last string scanned: its content's byte range, and whether it held escapes or non-ASCII bytes. */
  private strStart = 0;
  private strEnd = 0;
  private strEscaped = false;
  private strWide = false;

  /** Scan `b` from `start`; in line mode, `\n` and `\r` are not whitespace but the end of the text. */
  reset(b: Buffer, start: number, lineMode: boolean): this {
    this.b = b;
    this.end = b.length;
    this.p = start;
    this.lineMode = lineMode;
    return this;
  }

  /** The text being scanned. */
  get bytes(): Buffer {
    return this.b;
  }

  /** The byte at the current position, or -1 at the end. */
  peek(): number {
    return this.p < this.end ? (this.b[this.p] as number) : -1;
  }

  skipWhitespace(): void {
    // Most tokens follow one another directly: one test, small enough to be inlined where it is called.
    if ((this.b[this.p] as number) > SPACE) return;
    this.skipSpaces();
  }

  private skipSpaces(): void {
    const b = this.b;
    let p = this.p;
    if (this.lineMode) {
      while (p < this.end && (b[p] === SPACE || b[p] === TAB)) p++;
    } else {
      for (; p < this.end; p++) {
        const c = b[p];
        if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
      }
    }
    this.p = p;
  }

  /** True when only whitespace is left of the text (in line mode: of the line); the position is then its end. */
  atEnd(): boolean {
    this.skipWhitespace();
    if (this.p >= this.end) return true;
    const c = this.b[this.p];
    return this.lineMode && (c === LF || c === CR);
  }

  /** Enter an object: true when it has a first member (read it with key()), false when it is `{}`. */
  openObject(): boolean {
    return this.open(OPEN_OBJECT, CLOSE_OBJECT);
  }

  /** After a member's value: true when another member follows, false at the object's end. */
  nextMember(): boolean {
    return this.separator(CLOSE_OBJECT);
  }

  /** Enter an array: true when it has a first element, false when it is `[]`. */
  openArray(): boolean {
    return this.open(OPEN_ARRAY, CLOSE_ARRAY);
  }

  /** Past an opening bracket; true when something comes before the closing one. */
  private open(opening: number, closing: number): boolean {
    this.expect(opening);
    this.skipWhitespace();
    if (this.peek() === closing) {
      this.p++;
      return false;
    }
    return true;
  }

  /** After an element: true when another follows, false at the array's end. */
  nextElement(): boolean {
    return this.separator(CLOSE_ARRAY);
  }

  /** A member's key, as its index in `table` (-1: not picked); the position is then at the member's value. */
  key(table: KeyTable): number {
    const guess = table.guess();
    if (guess !== undefined && this.follows(guess)) {
      this.p += guess.length;
      this.colon();
      return table.confirmGuess();
    }
    if (this.peek() !== QUOTE) throw DECLINED;
    this.scanString();
    const start = this.strStart;
    const end = this.strEnd;
    const plain = !this.strEscaped && !this.strWide;
    const name = plain ? undefined : this.lastString();
    this.colon();
    return plain ? table.met(this.b, start, end) : table.metOther(table.indexOfName(name as string));
  }

  /** True when the bytes at the position are `bytes`. */
  private follows(bytes: Buffer): boolean {
    return bytesEqual(this.b, this.p, this.p + bytes.length, bytes);
  }

  /** Past the colon after a key, and the spaces around it. */
  private colon(): void {
    this.skipWhitespace();
    this.expect(COLON);
    this.skipWhitespace();
  }

  /**
   * Read the object at the position, noting where each of `picks`' keys has its value (the last one, as JSON.parse
   * keeps the last of a repeated key) and skipping, but checking, everything else.
   */
  pick(picks: Picks): void {
    picks.kind.fill(Picked.Absent);
    if (!this.openObject()) return;
    do {
      const k = this.key(picks.table);
      if (k < 0) {
        this.skipValue();
        continue;
      }
      this.pickValue(picks, k);
    } while (this.nextMember());
  }

  /** Read the value at the position as key index k of `picks` (what pick() does for each key it picks). */
  pickValue(picks: Picks, k: number): void {
    const at = this.p;
    picks.at[k] = at;
    const c = this.b[at];
    let kind: number = Picked.Other;
    if (c === QUOTE) {
      this.scanString();
      if (!this.strEscaped && !this.strWide) {
        kind = Picked.Ascii;
        picks.start[k] = this.strStart;
        picks.end[k] = this.strEnd;
      }
    } else if (c === 0x6e) {
      this.literal(NULL);
      kind = Picked.Null;
    } else if (c !== undefined && c >= ZERO && c <= NINE) {
      if (this.scanNumber()) {
        kind = Picked.Integer;
        picks.start[k] = at;
        picks.end[k] = this.p;
      }
    } else this.skipValue();
    picks.kind[k] = kind;
  }

  /** Build the value at `at` (a position pick() noted), leaving the position where it was. */
  valueAt(at: number): unknown {
    const p = this.p;
    this.p = at;
    try {
      return this.value();
    } finally {
      this.p = p;
    }
  }

  /** The value of an Integer pick's bytes. */
  integerAt(start: number, end: number): number {
    return digitsValue(this.b, start, end);
  }

  /** Read the value at the position without building it (but checking it all). */
  skipValue(depth = 0): void {
    const c = this.peek();
    if (c === QUOTE) this.scanString();
    else if (c === OPEN_OBJECT) {
      if (depth >= MAX_DEPTH) throw DECLINED;
      if (this.openObject()) {
        do {
          if (this.peek() !== QUOTE) throw DECLINED;
          this.scanString();
          this.colon();
          this.skipValue(depth + 1);
        } while (this.nextMember());
      }
    } else if (c === OPEN_ARRAY) {
      if (depth >= MAX_DEPTH) throw DECLINED;
      if (this.openArray()) {
        do this.skipValue(depth + 1);
        while (this.nextElement());
      }
    } else if (c === 0x74) this.literal(TRUE);
    else if (c === 0x66) this.literal(FALSE);
    else if (c === 0x6e) this.literal(NULL);
    else this.scanNumber();
  }

  /** Build the value at the position, as JSON.parse would. */
  value(depth = 0): unknown {
    const c = this.peek();
    if (c === QUOTE) {
      this.scanString();
      return this.lastString();
    }
    if (c === OPEN_OBJECT) {
      if (depth >= MAX_DEPTH) throw DECLINED;
      const obj: Record<string, unknown> = {};
      if (this.openObject()) {
        do {
          if (this.peek() !== QUOTE) throw DECLINED;
          this.scanString();
          const name = this.lastString();
          this.colon();
          const v = this.value(depth + 1);
          // JSON.parse makes `__proto__` an own property; plain assignment would set the prototype instead.
          if (name === '__proto__') Object.defineProperty(obj, name, { value: v, enumerable: true, writable: true, configurable: true });
          else obj[name] = v;
        } while (this.nextMember());
      }
      return obj;
    }
    if (c === OPEN_ARRAY) {
      if (depth >= MAX_DEPTH) throw DECLINED;
      const arr: unknown[] = [];
      if (this.openArray()) {
        do arr.push(this.value(depth + 1));
        while (this.nextElement());
      }
      return arr;
    }
    if (c === 0x74) return this.literal(TRUE), true;
    if (c === 0x66) return this.literal(FALSE), false;
    if (c === 0x6e) return this.literal(NULL), null;
    const start = this.p;
    // A short run of digits: its value without building a string (exact below 2^53).
    if (this.scanNumber()) return this.integerAt(start, this.p);
    return Number(this.b.toString('latin1', start, this.p));
  }

  private lastString(): string {
    // Escapes are rare: JSON.parse decodes them (the text is already checked), exactly as it would have.
    if (this.strEscaped) return JSON.parse(this.b.toString('utf8', this.strStart - 1, this.strEnd + 1)) as string;
    return this.b.toString(this.strWide ? 'utf8' : 'latin1', this.strStart, this.strEnd);
  }

  private scanString(): void {
    const b = this.b;
    const end = this.end;
    let p = this.p + 1;
    let escaped = false;
    let wide = false;
    for (;;) {
      if (p >= end) throw DECLINED;
      const c = b[p] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = p + 1 < end ? (b[p + 1] as number) : 0;
        if (e === 0x75) {
          if (p + 5 >= end || !HEX[b[p + 2] as number] || !HEX[b[p + 3] as number] || !HEX[b[p + 4] as number] || !HEX[b[p + 5] as number]) throw DECLINED;
          p += 6;
        } else if (SIMPLE_ESCAPE[e]) p += 2;
        else throw DECLINED;
        continue;
      }
      // Raw control characters (a line end among them) are not allowed in a JSON string.
      if (c < SPACE) throw DECLINED;
      if (c >= 0x80) wide = true;
      p++;
    }
    this.strStart = this.p + 1;
    this.strEnd = p;
    this.strEscaped = escaped;
    this.strWide = wide;
    this.p = p + 1;
  }

  /** Past a number; true when it is a plain run of at most 15 digits (its value is then read digit by digit). */
  private scanNumber(): boolean {
    const b = this.b;
    const end = this.end;
    let p = this.p;
    let plain = true;
    if (p < end && b[p] === MINUS) {
      p++;
      plain = false;
    }
    const digits = p;
    if (p < end && b[p] === ZERO) p++;
    else if (p < end && isDigit(b[p] as number)) while (p < end && isDigit(b[p] as number)) p++;
    else throw DECLINED;
    if (p - digits > 15) plain = false;
    if (p < end && b[p] === DOT) {
      p++;
      plain = false;
      if (!(p < end && isDigit(b[p] as number))) throw DECLINED;
      while (p < end && isDigit(b[p] as number)) p++;
    }
    if (p < end && (b[p] === 0x65 || b[p] === 0x45)) {
      p++;
      plain = false;
      if (p < end && (b[p] === PLUS || b[p] === MINUS)) p++;
      if (!(p < end && isDigit(b[p] as number))) throw DECLINED;
      while (p < end && isDigit(b[p] as number)) p++;
    }
    this.p = p;
    return plain;
  }

  private literal(word: Buffer): void {
    if (!this.follows(word)) throw DECLINED;
    this.p += word.length;
  }

  private expect(c: number): void {
    if (this.peek() !== c) throw DECLINED;
    this.p++;
  }

  private separator(close: number): boolean {
    this.skipWhitespace();
    const c = this.peek();
    this.p++;
    if (c === close) return false;
    if (c !== COMMA) throw DECLINED;
    this.skipWhitespace();
    return true;
  }
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}
