import { expect } from 'chai';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { LineTooLong, lineBatches } from '../../src/singer/lines.js';
import { rng } from '../support/random.js';

/** Splits bytes into chunks at the given cut points, as a pipe might deliver them. */
function chunked(bytes: Buffer, cuts: number[]): Readable {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > from) chunks.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  return Readable.from(chunks, { objectMode: false });
}

async function ours(input: Readable): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of lineBatches(input)) out.push(...batch);
  return out;
}

async function readline(input: Readable): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input, crlfDelay: Infinity })) out.push(line);
  return out;
}

describe('line splitting', () => {
  it('splits at \\n, \\r\\n and a lone \\r, keeps a last unterminated line, and blank lines', async () => {
    expect(await ours(Readable.from([Buffer.from('a\nb\r\nc\rd\n\ne')]))).to.deep.equal(['a', 'b', 'c', 'd', '', 'e']);
    expect(await ours(Readable.from([Buffer.from('a\n')]))).to.deep.equal(['a']);
    expect(await ours(Readable.from([Buffer.from('')]))).to.deep.equal([]);
  });

  it('agrees with readline on every chunking, \\r\\n and multi-byte characters split across chunks included', async () => {
    const next = rng(7);
    const alphabet = ['a', 'é', '€', '😀', '\n', '\r', '\r\n', '{"x":1}'];
    for (let t = 0; t < 300; t++) {
      let text = '';
      const len = Math.floor(next() * 40);
      for (let i = 0; i < len; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      const bytes = Buffer.from(text);
      const cuts = Array.from({ length: Math.floor(next() * 6) }, () => Math.floor(next() * (bytes.length + 1))).sort((x, y) => x - y);
      expect(await ours(chunked(bytes, cuts)), JSON.stringify({ text, cuts })).to.deep.equal(await readline(chunked(bytes, cuts)));
    }
  });

  it('stops on a line longer than the limit, naming it, without waiting for its end', async () => {
    const input = Readable.from([Buffer.from('ok\n'), Buffer.from('x'.repeat(50)), Buffer.from('x'.repeat(50))]);
    try {
      for await (const batch of lineBatches(input, 80)) void batch;
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(LineTooLong);
      expect((e as LineTooLong).line).to.equal(2);
    }
  });
});
