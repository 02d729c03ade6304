/** Phone keys (canonical phones as numbers) in sorted Float64Arrays: 8 bytes a phone, binary-searched. */

/** Position of `key` in ascending `keys`, or -1. */
export function indexOfKey(keys: Float64Array, key: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid] as number;
    if (k < key) lo = mid + 1;
    else if (k > key) hi = mid - 1;
    else return mid;
  }
  return -1;
}

export class SortedKeys {
  private constructor(private readonly keys: Float64Array) {}

  static from(keys: number[]): SortedKeys {
    return new SortedKeys(Float64Array.from(keys).sort());
  }

  get size(): number {
    return this.keys.length;
  }

  has(key: number): boolean {
    return indexOfKey(this.keys, key) >= 0;
  }
}

const DIGIT_BITS = 13;
const DIGIT_MASK = (1 << DIGIT_BITS) - 1;
const HALF = 2 ** 26;

/**
 * The positions of `keys` in ascending key order, equal keys in their original order (stable). Keys are phone keys:
 * whole numbers below 2^52. An LSD radix sort over 13-bit digits (each key split into two 26-bit halves), skipping
 * the digits all keys share: measured on a million members at several times the speed of sorting the keys
 * natively and then binary-searching each one's place, which was the member index's whole build time.
 */
export function sortedOrder(keys: Float64Array): Uint32Array {
  const n = keys.length;
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    const h = Math.floor(k / HALF);
    hi[i] = h;
    lo[i] = k - h * HALF;
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const counts = new Uint32Array(DIGIT_MASK + 2);
  for (const [half, shift] of [[lo, 0], [lo, DIGIT_BITS], [hi, 0], [hi, DIGIT_BITS]] as const) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const d = (((half[i] as number) >>> shift) & DIGIT_MASK) + 1;
      counts[d] = (counts[d] as number) + 1;
    }
    // A digit every key shares leaves the order as it is.
    if (counts.includes(n)) continue;
    for (let d = 1; d < counts.length; d++) counts[d] = (counts[d] as number) + (counts[d - 1] as number);
    for (let i = 0; i < n; i++) {
      const at = order[i] as number;
      const d = ((half[at] as number) >>> shift) & DIGIT_MASK;
      next[counts[d] as number] = at;
      counts[d] = (counts[d] as number) + 1;
    }
    [order, next] = [next, order];
  }
  return order;
}
