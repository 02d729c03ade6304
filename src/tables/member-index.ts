/**
 * The list's current members as a compact index: phone keys (canonical phones as numbers) in a sorted
 * Float64Array, with two fingerprints each (system fields, custom fields), a "managed by this tool" flag (the
 * managed removal scope) and a "seen in the audience" flag.
 * About 25 bytes a member, so a list of millions costs tens of MB, not a Map of objects.
 *
 * Members whose stored phone is not in canonical form keep their exact spelling in `rawPhones`, because calls
 * about them (unsubscribe) must name the number as Listrak has it.
 */
import { indexOfKey, sortedOrder } from './keys.js';
import { grown } from './typed.js';

export class MemberIndex {
  constructor(
    readonly keys: Float64Array,
    readonly systemFp: Float64Array,
    readonly customFp: Float64Array,
    readonly seen: Uint8Array,
    /** 1: the member carries the managed field, set (removal_scope "managed"). */
    readonly managed: Uint8Array,
    readonly rawPhones: Map<number, string>,
    /** Members whose phone could not be understood at all: never matched, so unsubscribed unless the guard stops it. */
    readonly unmatchable: string[],
  ) {}

  get size(): number {
    return this.keys.length;
  }

  /** Position of a phone key, or -1. */
  find(key: number): number {
    return indexOfKey(this.keys, key);
  }

  /**
   * Positions of many keys at once (-1: not a member): both in key order and merged, which for a large audience
   * costs less than a binary search each (whose reads jump about the whole index).
   */
  findAll(keys: Float64Array): Int32Array {
    const order = sortedOrder(keys);
    const at = new Int32Array(keys.length);
    const own = this.keys;
    let j = 0;
    for (let i = 0; i < order.length; i++) {
      const k = keys[order[i] as number] as number;
      while (j < own.length && (own[j] as number) < k) j++;
      at[order[i] as number] = j < own.length && own[j] === k ? j : -1;
    }
    return at;
  }

  /** The phone as Listrak stores it. */
  phoneAt(i: number): string {
    const key = this.keys[i] as number;
    return this.rawPhones.get(key) ?? String(key);
  }

  unseenCount(): number {
    let n = this.unmatchable.length;
    for (let i = 0; i < this.seen.length; i++) if (this.seen[i] === 0) n++;
    return n;
  }

  /** Phones of members the audience did not contain, in key order. */
  *unseen(): Generator<string> {
    for (const raw of this.unmatchable) yield raw;
    for (let i = 0; i < this.seen.length; i++) if (this.seen[i] === 0) yield this.phoneAt(i);
  }

  /** Members carrying the managed field. */
  managedCount(): number {
    let n = 0;
    for (let i = 0; i < this.managed.length; i++) n += this.managed[i] as number;
    return n;
  }

  /** Managed members the audience did not contain (a member whose phone could not be read is never one). */
  unseenManagedCount(): number {
    let n = 0;
    for (let i = 0; i < this.seen.length; i++) if (this.seen[i] === 0 && this.managed[i] === 1) n++;
    return n;
  }

  /** Phones of the managed members the audience did not contain, in key order. */
  *unseenManaged(): Generator<string> {
    for (let i = 0; i < this.seen.length; i++) if (this.seen[i] === 0 && this.managed[i] === 1) yield this.phoneAt(i);
  }

  /** Approximate bytes held, for the report and the benchmark. */
  bytes(): number {
    return this.keys.byteLength + this.systemFp.byteLength + this.customFp.byteLength + this.seen.byteLength + this.managed.byteLength + this.rawPhones.size * 64;
  }
}

/** Collects members page by page in growable typed arrays, then sorts once. */
export class MemberIndexBuilder {
  private keys = new Float64Array(1024);
  private sys = new Float64Array(1024);
  private cus = new Float64Array(1024);
  private man = new Uint8Array(1024);
  private n = 0;
  private readonly rawPhones = new Map<number, string>();
  private readonly unmatchable: string[] = [];

  /** raw: the phone as Listrak spells it; undefined when that is the key's own digits. */
  add(key: number, raw: string | undefined, systemFp: number, customFp: number, managed = false) {
    if (this.n === this.keys.length) this.grow();
    this.keys[this.n] = key;
    this.sys[this.n] = systemFp;
    this.cus[this.n] = customFp;
    this.man[this.n] = managed ? 1 : 0;
    this.n++;
    if (raw !== undefined && raw !== String(key)) this.rawPhones.set(key, raw);
  }

  addUnmatchable(raw: string) {
    this.unmatchable.push(raw);
  }

  get count(): number {
    return this.n + this.unmatchable.length;
  }

  private grow() {
    const size = this.keys.length * 2;
    this.keys = grown(this.keys, size);
    this.sys = grown(this.sys, size);
    this.cus = grown(this.cus, size);
    this.man = grown(this.man, size);
  }

  /** What was collected, unsorted, trimmed to size: to send to another thread, or build with buildMemberIndex. */
  parts(): MemberParts {
    const n = this.n;
    const parts = { keys: this.keys.slice(0, n), systemFp: this.sys.slice(0, n), customFp: this.cus.slice(0, n), managed: this.man.slice(0, n), rawPhones: this.rawPhones, unmatchable: this.unmatchable };
    this.keys = this.sys = this.cus = new Float64Array(0);
    this.man = new Uint8Array(0);
    return parts;
  }

  build(): MemberIndex {
    return buildMemberIndex([this.parts()]);
  }
}

/** Members collected by one builder, in the order they were read. */
export interface MemberParts {
  keys: Float64Array;
  systemFp: Float64Array;
  customFp: Float64Array;
  managed: Uint8Array;
  rawPhones: Map<number, string>;
  unmatchable: string[];
}

/**
 * The index of several builders' members (pages parsed by several threads): members in key order, a member listed
 * twice (the list changed under the pager) kept once, with the fingerprints it was last read with.
 */
export function buildMemberIndex(all: MemberParts[]): MemberIndex {
  const keys = joined(all.map((p) => p.keys));
  const systemFp = joined(all.map((p) => p.systemFp));
  const customFp = joined(all.map((p) => p.customFp));
  const managed = joined(all.map((p) => p.managed));
  const order = sortedOrder(keys);
  let unique = 0;
  for (let i = 0; i < order.length; i++) if (i === 0 || keys[order[i] as number] !== keys[order[i - 1] as number]) unique++;
  const rawPhones = all.length === 1 ? (all[0] as MemberParts).rawPhones : new Map(all.flatMap((p) => [...p.rawPhones]));
  const index = new MemberIndex(new Float64Array(unique), new Float64Array(unique), new Float64Array(unique), new Uint8Array(unique), new Uint8Array(unique), rawPhones, all.flatMap((p) => p.unmatchable));
  let u = -1;
  for (let i = 0; i < order.length; i++) {
    const at = order[i] as number;
    const key = keys[at] as number;
    if (u < 0 || index.keys[u] !== key) index.keys[++u] = key;
    index.systemFp[u] = systemFp[at] as number;
    index.customFp[u] = customFp[at] as number;
    index.managed[u] = managed[at] as number;
  }
  return index;
}

/** Arrays end to end (the one array itself when there is one). */
function joined<T extends Float64Array | Uint8Array>(arrays: T[]): T {
  if (arrays.length === 1) return arrays[0] as T;
  const out = new (arrays[0]?.constructor as new (length: number) => T)(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
