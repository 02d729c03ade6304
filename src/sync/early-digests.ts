/**
 * Audience records met before the member index is there (the members are read on the other core meanwhile), kept
 * as digests in input order: 28 bytes each. When the index arrives they are settled: a member whose fingerprints
 * match is unchanged (the common case); any other record is read again from the input's copy on disk
 * (input-spill.ts) and diffed in full.
 */
import type { Digest } from '../contact/digest.js';
import type { MemberIndex } from '../tables/member-index.js';
import { grown } from '../tables/typed.js';
import { digestedRecord, type RecordDiff } from './diff.js';
import type { InputSpill } from './input-spill.js';

/** Digests of the records met before the index, in input order: 28 bytes each. */
export class EarlyDigests {
  private lines = new Uint32Array(1024);
  private keys = new Float64Array(1024);
  private sys = new Float64Array(1024);
  private cus = new Float64Array(1024);
  private n = 0;

  add(line: number, d: Digest | undefined) {
    if (this.n === this.lines.length) this.grow();
    this.lines[this.n] = line;
    // A record without a digest keeps key 0, which no phone has: it is read again whatever the index says.
    if (d) {
      this.keys[this.n] = d.key;
      this.sys[this.n] = d.systemFp;
      this.cus[this.n] = d.customFp;
    }
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  /**
   * Settle every digest in input order; records that need more are read again from the input's copy.
   * Returns how many were read again.
   */
  async settle(index: MemberIndex, differ: RecordDiff, spill: InputSpill): Promise<number> {
    let reader: ReturnType<InputSpill['reader']> | undefined;
    let reread = 0;
    try {
      const positions = index.findAll(this.keys.subarray(0, this.n));
      for (let i = 0; i < this.n; i++) {
        const d = { key: this.keys[i] as number, systemFp: this.sys[i] as number, customFp: this.cus[i] as number };
        if (differ.settleUnchanged(d, index, positions[i])) continue;
        reader ??= spill.reader();
        reread++;
        const line = this.lines[i] as number;
        // Stryker disable next-line StringLiteral: equivalent, names the source in an error the worker's digests never cause
        await differ.diff(digestedRecord(await reader.at(line), line, 'input copy'), index);
      }
      return reread;
    } finally {
      reader?.close();
      this.n = 0;
      this.lines = new Uint32Array(0);
      this.keys = this.sys = this.cus = new Float64Array(0);
    }
  }

  private grow() {
    const size = this.lines.length * 2;
    this.lines = grown(this.lines, size);
    this.keys = grown(this.keys, size);
    this.sys = grown(this.sys, size);
    this.cus = grown(this.cus, size);
  }
}
