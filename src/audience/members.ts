/**
 * The list's current members as a compact index: phone keys (canonical phones as numbers) in a sorted
 * Float64Array, with two fingerprints each (system fields, custom fields) and a "seen in the audience" flag.
 * About 25 bytes a member, so a list of millions costs tens of MB, not a Map of objects.
 *
 * Members whose stored phone is not in canonical form keep their exact spelling in `rawPhones`, because calls
 * about them (unsubscribe) must name the number as Listrak has it.
 */
import { indexOfKey } from './keys.js';
import { grown } from './typed.js';

export class MemberIndex {
  constructor(
    readonly keys: Float64Array,
    readonly systemFp: Float64Array,
    readonly customFp: Float64Array,
    readonly seen: Uint8Array,
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

  /** Approximate bytes held, for the report and the benchmark. */
  bytes(): number {
    return this.keys.byteLength + this.systemFp.byteLength + this.customFp.byteLength + this.seen.byteLength + this.rawPhones.size * 64;
  }
}

/** Collects members page by page in growable typed arrays, then sorts once. */
export class MemberIndexBuilder {
  private keys = new Float64Array(1024);
  private sys = new Float64Array(1024);
  private cus = new Float64Array(1024);
  private n = 0;
  private readonly rawPhones = new Map<number, string>();
  private readonly unmatchable: string[] = [];

  /** raw: the phone as Listrak spells it; undefined when that is the key's own digits. */
  add(key: number, raw: string | undefined, systemFp: number, customFp: number) {
    if (this.n === this.keys.length) this.grow();
    this.keys[this.n] = key;
    this.sys[this.n] = systemFp;
    this.cus[this.n] = customFp;
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
  }

  /** What was collected, unsorted, trimmed to size: to send to another thread, or build with buildMemberIndex. */
  parts(): MemberParts {
    const parts = { keys: this.keys.slice(0, this.n), systemFp: this.sys.slice(0, this.n), customFp: this.cus.slice(0, this.n), rawPhones: this.rawPhones, unmatchable: this.unmatchable };
    this.keys = this.sys = this.cus = new Float64Array(0);
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
  rawPhones: Map<number, string>;
  unmatchable: string[];
}

/**
 * The index of several builders' members (pages parsed by several threads). Sort keys with the native numeric
 * typed-array sort, drop repeats (a member listed twice while the list changed under the pager), then place each
 * member's fingerprints at its key's sorted position.
 */
export function buildMemberIndex(all: MemberParts[]): MemberIndex {
  const total = all.reduce((n, p) => n + p.keys.length, 0);
  const sorted = new Float64Array(total);
  let offset = 0;
  for (const p of all) {
    sorted.set(p.keys, offset);
    offset += p.keys.length;
  }
  sorted.sort();
  let unique = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[unique - 1]) sorted[unique++] = sorted[i] as number;
  const keys = sorted.slice(0, unique);
  const rawPhones = all.length === 1 ? (all[0] as MemberParts).rawPhones : new Map(all.flatMap((p) => [...p.rawPhones]));
  const index = new MemberIndex(keys, new Float64Array(unique), new Float64Array(unique), new Uint8Array(unique), rawPhones, all.flatMap((p) => p.unmatchable));
  for (const p of all) {
    for (let i = 0; i < p.keys.length; i++) {
      const at = index.find(p.keys[i] as number);
      index.systemFp[at] = p.systemFp[i] as number;
      index.customFp[at] = p.customFp[i] as number;
    }
  }
  return index;
}
