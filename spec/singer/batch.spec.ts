import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/errors.js';
import { batchRecords, manifestFiles } from '../../src/singer/batch.js';
import { parseSingerLine } from '../../src/singer/reader.js';
import type { BatchMessage, Numbered } from '../../src/singer/messages.js';
import { tempDir } from '../support/tmp.js';

/** A BATCH line as the Meltano SDK writes it, parsed by the reader as any input line is. */
function batchLine(manifest: string[], compression: string | null = 'gzip', line = 7): Numbered<BatchMessage> {
  const text = JSON.stringify({ type: 'BATCH', stream: 'audience', encoding: { format: 'jsonl', compression }, manifest });
  return parseSingerLine(text, line) as Numbered<BatchMessage>;
}

async function all(msg: Numbered<BatchMessage>) {
  const out = [];
  for await (const r of batchRecords(msg)) out.push(r);
  return out;
}

describe('BATCH messages', () => {
  const dir = tempDir('batch');
  const file = (name: string, lines: string[], gzip: boolean) => {
    const path = join(dir, name);
    const text = lines.join('\n') + '\n';
    writeFileSync(path, gzip ? gzipSync(text) : text);
    return path;
  };

  it('reads gzipped and plain jsonl files in manifest order, each record naming its file and line', async () => {
    const a = file('a.jsonl.gz', ['{"phone":"1"}', '', '{"phone":"2"}'], true);
    const b = file('b.jsonl', ['{"phone":"3"}'], false);
    const gz = await all(batchLine([pathToFileURL(a).href]));
    const plain = await all(batchLine([pathToFileURL(b).href], 'none'));
    const unset = await all(batchLine([pathToFileURL(b).href], null));
    expect(gz.map((r) => [r.type, r.stream, r.record.phone, r.file, r.line])).to.deep.equal([
      ['RECORD', 'audience', '1', a, 1],
      ['RECORD', 'audience', '2', a, 3],
    ]);
    expect(plain.map((r) => [r.record.phone, r.file, r.line])).to.deep.equal([['3', b, 1]]);
    expect(unset).to.deep.equal(plain);
  });

  it('refuses, naming the BATCH line, a manifest entry that is not a readable local file, before reading any', async () => {
    const good = pathToFileURL(file('good.jsonl', ['{"phone":"1"}'], false)).href;
    const unreadable = file('secret.jsonl', ['{}'], false);
    chmodSync(unreadable, 0o000);
    const cases: [string, RegExp][] = [
      ['https://example.com/a.jsonl.gz', /input line 7: BATCH for stream "audience": manifest entry https:\/\/example.com\/a.jsonl.gz is not a local file/],
      ['s3://bucket/a.jsonl', /is not a local file/],
      ['relative/a.jsonl', /is not a local file:\/\/ URL/],
      [pathToFileURL(join(dir, 'missing.jsonl')).href, /cannot be read \(ENOENT\)/],
      [pathToFileURL(dir).href, /is not a file/],
    ];
    // root reads any file whatever its mode; anyone else is refused this one.
    if (process.getuid?.() !== 0) cases.push([pathToFileURL(unreadable).href, /cannot be read \(EACCES\)/]);
    for (const [entry, message] of cases) {
      expect(() => manifestFiles(batchLine([good, entry])), entry).to.throw(InputError, message);
      const read = await all(batchLine([good, entry])).catch((e: unknown) => e);
      expect(read, `${entry}: nothing handed out`).to.be.instanceOf(InputError);
    }
  });

  it('names the file and line of a malformed record, and of a damaged gzip file', async () => {
    const bad = file('bad.jsonl', ['{"phone":"1"}', '{"phone":'], false);
    const err = await all(batchLine([pathToFileURL(bad).href], 'none')).catch((e: unknown) => e);
    expect((err as Error).message).to.match(new RegExp(`^BATCH file ${bad} line 2: malformed JSON`));
    const notObject = file('array.jsonl', ['[1,2]'], false);
    expect(((await all(batchLine([pathToFileURL(notObject).href], 'none')).catch((e: unknown) => e)) as Error).message).to.match(/line 1: a batch record must be a JSON object/);
    const damaged = join(dir, 'damaged.jsonl.gz');
    writeFileSync(damaged, gzipSync('{"phone":"1"}\n'.repeat(1000)).subarray(0, 40));
    expect(((await all(batchLine([pathToFileURL(damaged).href])).catch((e: unknown) => e)) as Error).message).to.match(/^BATCH file .*damaged\.jsonl\.gz line \d+: cannot be read/);
  });

  it('validates the message: only jsonl, gzip or none', () => {
    const line = (encoding: object) => () => parseSingerLine(JSON.stringify({ type: 'BATCH', stream: 's', encoding, manifest: [] }), 3);
    expect(line({ format: 'parquet' })).to.throw(InputError, /input line 3: invalid BATCH message: encoding.format: only jsonl batch files are read/);
    expect(line({ format: 'jsonl', compression: 'zstd' })).to.throw(InputError, /encoding.compression: must be gzip or none/);
    expect(() => parseSingerLine('{"type":"BATCH","stream":"s","encoding":{"format":"jsonl"}}', 4)).to.throw(InputError, /manifest/);
  });
});
