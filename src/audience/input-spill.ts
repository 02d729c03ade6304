/**
 * A copy of the raw Singer input on disk, kept while the member index is still being read.
 *
 * The audience is read while the members phase runs (on the other core): a record that arrives before the index
 * is known is kept only as a digest (phone key and fingerprints, see plan.ts). Most of them turn out unchanged and
 * need nothing more; the few that need a write are read again from this copy, by line number, once the index is
 * there. The copy starts at the input's first byte, so its line numbers are the input's.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { parseSingerLine } from '../singer/reader.js';
import type { Numbered, SingerMessage } from '../singer/messages.js';

export class InputSpill {
  readonly path: string;
  private out: WriteStream | undefined;
  private tee: Transform | undefined;
  private written = 0;
  private failure?: Error;
  /** The pass-through of a chunk that waits for the copy to drain; stop() releases it (no drain after end). */
  private waiting?: () => void;

  constructor(dir: string) {
    this.path = join(dir, 'input.jsonl');
    this.out = createWriteStream(this.path);
    this.out.on('error', (e) => (this.failure ??= e));
  }

  /** Bytes copied so far. */
  get bytes(): number {
    return this.written;
  }

  /** The input, passed through unchanged; each chunk is copied to disk first while copying is on. */
  tap(input: Readable): Readable {
    this.tee = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        const out = this.out;
        if (this.failure) return done(this.failure);
        if (!out) return done(null, chunk);
        this.written += chunk.length;
        if (out.write(chunk)) return done(null, chunk);
        const go = () => {
          this.waiting = undefined;
          done(null, chunk);
        };
        this.waiting = go;
        out.once('drain', go);
      },
    });
    input.on('error', (e) => this.tee?.destroy(e));
    return input.pipe(this.tee);
  }

  /** Fail the reading of the input with this error (the members phase failed: stop reading the audience). */
  abort(e: Error) {
    this.tee?.destroy(e);
  }

  /** Stop copying; resolves once what was copied is on disk. */
  async stop(): Promise<void> {
    const out = this.out;
    if (!out) return;
    this.out = undefined;
    const waiting = this.waiting;
    if (waiting) {
      out.off('drain', waiting);
      waiting();
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (this.failure) throw this.failure;
  }

  /** A forward-only reader of the copied lines: `at(n)` returns line n's message; calls go in increasing n. */
  reader(): SpillReader {
    return new SpillReader(this.path);
  }
}

export class SpillReader {
  private readonly lines: AsyncIterator<string>;
  private line = 0;

  constructor(path: string) {
    this.lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })[Symbol.asyncIterator]();
  }

  async at(wanted: number): Promise<Numbered<SingerMessage>> {
    for (;;) {
      const next = await this.lines.next();
      if (next.done) throw new Error(`input copy: line ${wanted} is missing`);
      this.line++;
      if (this.line < wanted) continue;
      const msg = parseSingerLine(next.value, this.line);
      if (!msg) throw new Error(`input copy: line ${wanted} is empty`);
      return msg;
    }
  }

  close() {
    void this.lines.return?.();
  }
}
