/**
 * The lines of a byte stream. Lines end as readline's do with `crlfDelay: Infinity`: at `\n`, `\r\n` or a lone
 * `\r`, and a last line without an ending still counts.
 *
 * The stream is first cut into line-aligned blocks: byte ranges that end where a line ends, so a block can be
 * split into lines on its own, on this thread or another (UTF-8 never puts a `\n` or `\r` byte inside a
 * character). Reading a block of lines at a time rather than line by line (readline's async iterator) takes a few
 * async steps per chunk instead of per line: measured on a million-record audience, most of the reader's own cost.
 */
import type { Readable } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;
const LINE_END = /\r\n|\n|\r/;

/** An unterminated line grew past the limit; `line` is its number where the reader knows it (else undefined). */
export class LineTooLong extends Error {
  constructor(
    readonly limitBytes: number,
    readonly line?: number,
  ) {
    super(`line is longer than ${limitBytes.toLocaleString('en-US')} bytes`);
  }
}

/** Where a block may end: after the last line end that cannot be the first half of a `\r\n`. 0: nowhere yet. */
function blockEnd(data: Buffer): number {
  const lf = data.lastIndexOf(LF);
  let cr = data.lastIndexOf(CR);
  if (cr === data.length - 1) cr = cr > 0 ? data.lastIndexOf(CR, cr - 1) : -1;
  return Math.max(lf, cr) + 1;
}

/** Where a block may end at the earliest: after the first line end that cannot be half of a `\r\n`. 0: nowhere yet. */
function firstBlockEnd(data: Buffer): number {
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === LF) return i + 1;
    if (c === CR) return i + 1 < data.length ? (data[i + 1] === LF ? i + 2 : i + 1) : 0;
  }
  return 0;
}

/**
 * How the input ended. A tap killed mid-write leaves a last line without its line end (Meltano passes on what the
 * tap wrote, then closes our input): `cutTail` is then true. A last line that is only blanks does not count.
 */
export class InputEnding {
  cutTail = false;
}

const isBlankByte = (b: number) => b === 0x20 || b === 0x09;

/**
 * The input cut into line-aligned blocks; `maxLineBytes` bounds the memory one unterminated line may take; `ending`
 * hears whether the input ended in the middle of a line.
 */
export async function* lineAlignedBlocks(input: Readable | AsyncIterable<Buffer | string>, maxLineBytes = Infinity, ending?: InputEnding): AsyncGenerator<Buffer> {
  let carry: Buffer | undefined;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (carry) {
      // The line carried over is finished by the head of this chunk, in a small block of its own: the rest of the
      // chunk then goes on as it came, not copied in behind the carry (a copy of the whole input, and garbage).
      const head = firstBlockEnd(data);
      if (head > 0) {
        yield Buffer.concat([carry, data.subarray(0, head)]);
        data = data.subarray(head);
      } else data = Buffer.concat([carry, data]);
    }
    const end = blockEnd(data);
    carry = end < data.length ? data.subarray(end) : undefined;
    if (carry && carry.length > maxLineBytes) throw new LineTooLong(maxLineBytes);
    if (end > 0) yield data.subarray(0, end);
  }
  // A carry ending in `\r` (held back in case a `\n` followed) ends its line after all.
  if (carry && ending) ending.cutTail = carry[carry.length - 1] !== CR && !carry.every(isBlankByte);
  if (carry) yield carry;
}

/** A block's lines. */
export function splitBlock(block: Buffer): string[] {
  const lines = block.toString('utf8').split(LINE_END);
  // The block's own last line end leaves an empty piece after it; a last line without an ending does not.
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Batches of lines, in order: a block's worth at a time. */
export async function* lineBatches(input: Readable | AsyncIterable<Buffer | string>, maxLineBytes = Infinity): AsyncGenerator<string[]> {
  let lines = 0;
  try {
    for await (const block of lineAlignedBlocks(input, maxLineBytes)) {
      const batch = splitBlock(block);
      lines += batch.length;
      yield batch;
    }
  } catch (e) {
    if (e instanceof LineTooLong) throw new LineTooLong(e.limitBytes, lines + 1);
    throw e;
  }
}

/**
 * One line at a time, numbered from 1, split a block at a time underneath. detach() hands over what is left: the
 * lines already split, then the blocks not yet split (for a reader that splits them elsewhere).
 */
export class LineReader {
  private readonly blocks: AsyncGenerator<Buffer>;
  private batch: string[] = [];
  private at = 0;
  /** Number of the line last returned. */
  line = 0;

  constructor(input: Readable | AsyncIterable<Buffer | string>, maxLineBytes?: number, ending?: InputEnding) {
    this.blocks = lineAlignedBlocks(input, maxLineBytes, ending);
  }

  /** The next line, or undefined at the end of the input. */
  async next(): Promise<string | undefined> {
    while (this.at >= this.batch.length) {
      let b: IteratorResult<Buffer>;
      try {
        b = await this.blocks.next();
      } catch (e) {
        if (e instanceof LineTooLong) throw new LineTooLong(e.limitBytes, this.line + 1);
        throw e;
      }
      if (b.done) return undefined;
      this.batch = splitBlock(b.value);
      this.at = 0;
    }
    this.line++;
    return this.batch[this.at++];
  }

  /** The lines split but not yet returned (numbered from line + 1), and the blocks after them. */
  detach(): { lines: string[]; blocks: AsyncGenerator<Buffer> } {
    const lines = this.batch.slice(this.at);
    this.batch = [];
    this.at = 0;
    return { lines, blocks: this.blocks };
  }

  async close(): Promise<void> {
    await this.blocks.return(undefined);
  }
}
