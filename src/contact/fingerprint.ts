/**
 * A 53-bit fingerprint of a group of canonical values (cyrb53: two 32-bit multiply-xor lanes), stored in a
 * Float64Array slot per member. 53 bits make a false "unchanged" about one in 9·10^15 per member: far below any
 * other source of error, at 8 bytes a member instead of the values themselves.
 *
 * The hash runs over the values' UTF-16 code units. FingerprintHasher takes them one value at a time, and also
 * straight from ASCII bytes (one byte, one code unit), so the scanners can fingerprint a value already in canonical
 * form without building its string (see canonical-bytes.ts).
 */

const NULL_MARK = 0;
const SEPARATOR = 1;

export class FingerprintHasher {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  /** Start a new fingerprint. */
  start(): this {
    this.h1 = 0xdeadbeef;
    this.h2 = 0x41c6ce57;
    return this;
  }

  addString(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.mix(SEPARATOR);
  }

  /** The value whose text is the ASCII bytes [start, end) of b. */
  addAscii(b: Uint8Array, start: number, end: number): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = start; i < end; i++) {
      const ch = b[i] as number;
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.mix(SEPARATOR);
  }

  addNull(): void {
    this.mix(NULL_MARK);
    this.mix(SEPARATOR);
  }

  add(v: string | null): void {
    if (v === null) this.addNull();
    else this.addString(v);
  }

  finish(): number {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  private mix(ch: number): void {
    this.h1 = Math.imul(this.h1 ^ ch, 2654435761);
    this.h2 = Math.imul(this.h2 ^ ch, 1597334677);
  }
}

const shared = new FingerprintHasher();

export function fingerprint(values: readonly (string | null)[]): number {
  const h = shared.start();
  for (let v = 0; v < values.length; v++) h.add(values[v] ?? null);
  return h.finish();
}
