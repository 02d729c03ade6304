/** Growable typed-array storage for the compact per-member and per-record tables. */

type Typed = Float64Array | Uint32Array | Uint8Array;

/** A typed array of `size` elements that starts with `a`'s (amortized growth: callers double `size`). */
export function grown<T extends Typed>(a: T, size: number): T {
  const b = new (a.constructor as new (length: number) => T)(size);
  b.set(a);
  return b;
}
