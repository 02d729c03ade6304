/**
 * A copy of the raw Singer input on disk, kept while the member index is still being read.
 *
 * The audience is read while the members phase runs (on the other core): a record that arrives before the index
 * is known is kept only as a digest (phone key and fingerprints, see diff.ts). Most of them turn out unchanged and
 * need nothing more; the few that need a write are read again from this copy, by line number, once the index is
 * there. The copy starts at the input's first byte, so its line numbers are the input's.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LineReader } from '../singer/lines.js';
import { parseSingerLine } from '../singer/reader.js';
import type { Numbered, SingerMessage } from '../singer/messages.js';
import { openUnlinked, readUnlinked } from '../private-file.js';

/** Chunks are gathered to about this size before each write: a few hundred writes for a large input, not thousands. */
const WRITE_BYTES = 1 << 20;

export class InputSpill {
  readonly path: string;
  /** The copy's descriptor: the file itself is unlinked from the start (see openUnlinked). */
  private readonly fd: number;
  /** The stream that writes the copy and owns its descriptor; `out` while copying is on. */
  private readonly stream: WriteStream;
  private out: WriteStream | undefined;
  private input: Readable | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private failure?: Error;
  /** Set by abort(); the chunk being waited for is abandoned at once, whatever the input is waiting for. */
  private abortError?: Error;
  private rejectWait?: (e: Error) => void;

  constructor(dir: string) {
    this.path = join(dir, 'input.jsonl');
    this.fd = openUnlinked(this.path);
    this.stream = this.out = createWriteStream(this.path, { fd: this.fd, autoClose: false });
    this.out.on('error', (e) => (this.failure ??= e));
  }

  /** Bytes copied so far. */
  get bytes(): number {
    return this.written + this.pendingBytes;
  }

  /** The input's chunks, as bytes (text chunks encoded once, here); each is copied while copying is on. */
  async *tap(input: Readable): AsyncGenerator<Buffer> {
    this.input = input;
    const chunks = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        // Not Promise.race with a long-lived promise: each race would leave it a reaction holding its chunk.
        const next = await new Promise<IteratorResult<Buffer | string>>((resolve, reject) => {
          if (this.abortError) return reject(this.abortError);
          this.rejectWait = reject;
          chunks.next().then(resolve, reject);
        });
        this.rejectWait = undefined;
        if (next.done) return;
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        if (this.out) {
          this.pending.push(chunk);
          this.pendingBytes += chunk.length;
          if (this.pendingBytes >= WRITE_BYTES) await this.flush();
        }
        yield chunk;
      }
    } finally {
      // Stopped early (an error, or a reader that has read enough): let the input close too.
      void chunks.return?.();
      this.input = undefined;
    }
  }

  private async flush(): Promise<void> {
    const out = this.out;
    if (!out || this.pendingBytes === 0) return;
    if (this.failure) throw this.failure;
    const buf = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    this.written += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }

  /** Fail the reading of the input with this error (the members phase failed: stop reading the audience). */
  abort(e: Error) {
    this.abortError ??= e;
    this.rejectWait?.(e);
    this.input?.destroy(e);
  }

  /** Stop copying; resolves once what was copied is on disk. */
  async stop(): Promise<void> {
    await this.flush();
    const out = this.out;
    if (!out) return;
    this.out = undefined;
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (this.failure) throw this.failure;
  }

  /** A forward-only reader of the copied lines: `at(n)` returns line n's message; calls go in increasing n. */
  reader(): SpillReader {
    return new SpillReader(this.fd);
  }

  /** Free the copy: its space goes with its descriptor, which the write stream closes. */
  dispose() {
    this.stream.destroy();
  }
}

export class SpillReader {
  /** The same line splitting as the input's reader, so line numbers agree. */
  private readonly lines: LineReader;

  constructor(fd: number) {
    this.lines = new LineReader(readUnlinked(fd, 1 << 20));
  }

  async at(wanted: number): Promise<Numbered<SingerMessage>> {
    for (;;) {
      const text = await this.lines.next();
      if (text === undefined) throw new Error(`input copy: line ${wanted} is missing`);
      if (this.lines.line < wanted) continue;
      const msg = parseSingerLine(text, this.lines.line);
      if (!msg) throw new Error(`input copy: line ${wanted} is empty`);
      return msg;
    }
  }

  close() {
    void this.lines.close();
  }
}
