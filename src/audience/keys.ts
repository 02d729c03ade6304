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
