/** Byte-level helpers for ASCII text, shared by the JSON scanner and the contact rules' byte tests. */

const ZERO = 0x30;

/** The value of a run of decimal digits, bytes [start, end) (exact up to 15 digits). */
export function digitsValue(b: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + ((b[i] as number) - ZERO);
  return n;
}
