import { expect } from 'chai';
import { Readable } from 'node:stream';
import { InputError } from '../../src/errors.js';
import { parseSingerLine, readSinger } from '../../src/singer/reader.js';

async function readAll(text: string) {
  const out = [];
  for await (const m of readSinger(Readable.from([text]))) out.push(m);
  return out;
}

describe('Singer reader', () => {
  it('reads every message type with its line number, skipping blank lines and CRLF', async () => {
    const msgs = await readAll(
      '{"type":"SCHEMA","stream":"s","schema":{},"key_properties":[]}\r\n\n{"type":"RECORD","stream":"s","record":{"a":1}}\n{"type":"STATE","value":{"x":1}}\n{"type":"ACTIVATE_VERSION","stream":"s","version":3}',
    );
    expect(msgs.map((m) => [m.type, m.line])).to.deep.equal([
      ['SCHEMA', 1],
      ['RECORD', 3],
      ['STATE', 4],
      ['ACTIVATE_VERSION', 5],
    ]);
  });

  const cases: [string, RegExp][] = [
    ['{"type":"RECORD","stream":"s","record":{"a":1}', /malformed JSON/],
    ['[1,2]', /must be a JSON object/],
    ['{"stream":"s"}', /no "type"/],
    ['{"type":"HELLO"}', /unknown message type "HELLO"/],
    ['{"type":"RECORD","record":{}}', /RECORD has no "stream"/],
    ['{"type":"RECORD","stream":"s","record":[1]}', /RECORD has no "record" object/],
    ['{"type":"SCHEMA","stream":"s"}', /invalid SCHEMA message: schema/],
    ['{"type":"ACTIVATE_VERSION","stream":"s","version":"x"}', /invalid ACTIVATE_VERSION message: version/],
  ];
  for (const [line, msg] of cases) {
    it(`names the line and the reason: ${line.slice(0, 40)}`, () => {
      const err = (() => {
        try {
          parseSingerLine(line, 7);
        } catch (e) {
          return e;
        }
      })();
      expect(err).to.be.instanceOf(InputError);
      expect((err as InputError).line).to.equal(7);
      expect((err as Error).message).to.match(/^input line 7: /).and.match(msg);
    });
  }

  it('fails on a stream cut in the middle of its last record', async () => {
    const err = await readAll('{"type":"SCHEMA","stream":"s","schema":{}}\n{"type":"RECORD","stream":"s","rec').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InputError);
    expect((err as InputError).line).to.equal(2);
  });
});
