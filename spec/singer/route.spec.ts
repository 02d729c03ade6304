/** The one reader of Singer messages: routing, the stream checks, and a partial last line told from bad input. */
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { InputError } from '../../src/errors.js';
import { InputEnding } from '../../src/singer/lines.js';
import type { Numbered, RecordMessage } from '../../src/singer/messages.js';
import { readSinger } from '../../src/singer/reader.js';
import { SingerRouter, type StreamSink } from '../../src/singer/route.js';

const SCHEMA = (stream: string, props: string[] = ['phone']) => JSON.stringify({ type: 'SCHEMA', stream, schema: { properties: Object.fromEntries(props.map((p) => [p, {}])) } });
const RECORD = (stream: string, phone: string) => JSON.stringify({ type: 'RECORD', stream, record: { phone } });

function collecting(fixedSchema = false): StreamSink & { got: string[] } {
  const got: string[] = [];
  return { got, fixedSchema, record: (m: Numbered<RecordMessage>) => void got.push(`${m.line}:${String(m.record.phone)}`) };
}

async function route(text: string, sinks: Record<string, StreamSink>, states: unknown[] = []) {
  const router = new SingerRouter().use({ sinks: new Map(Object.entries(sinks)), unknownStream: (s) => `not "${s}"`, onState: (v) => void states.push(v) });
  const source = readSinger(Readable.from([text]));
  let error: unknown;
  try {
    await router.consume(source);
    router.end(source.ending);
  } catch (e) {
    error = e;
  }
  return { router, error: error as InputError | undefined };
}

describe('the Singer router', () => {
  it('hands each record to the sink of its stream, and the states in order with the evidence', async () => {
    const a = collecting();
    const b = collecting();
    const states: unknown[] = [];
    const { router, error } = await route([SCHEMA('a'), SCHEMA('b'), RECORD('a', '1'), RECORD('b', '2'), '{"type":"STATE","value":7}', RECORD('a', '3')].join('\n') + '\n', { a, b }, states);
    expect(error).to.equal(undefined);
    expect(a.got).to.deep.equal(['3:1', '6:3']);
    expect(b.got).to.deep.equal(['4:2']);
    expect(states).to.deep.equal([7]);
    expect(router.tapState).to.deep.equal({ value: 7, line: 5 });
    expect(router.evidence.of('a').closedBy).to.equal(undefined);
    expect(router.evidence.of('b').closedBy).to.deep.equal({ type: 'STATE', line: 5 });
  });

  it('refuses a record before its SCHEMA, a stream without a sink, and a fixed SCHEMA that changes', async () => {
    const early = await route(RECORD('a', '1') + '\n', { a: collecting() });
    expect(early.error?.message).to.equal('input line 1: RECORD for stream "a" before its SCHEMA');
    const unknown = await route([SCHEMA('c'), RECORD('c', '1')].join('\n') + '\n', { a: collecting() });
    expect(unknown.error?.message).to.equal('input line 2: RECORD for stream "c", not "c"');
    const changed = await route([SCHEMA('a'), SCHEMA('a', ['phone', 'email'])].join('\n') + '\n', { a: collecting(true) });
    expect(changed.error?.message).to.equal('input line 2: SCHEMA for stream "a" changed its properties mid-stream');
    const free = await route([SCHEMA('a'), SCHEMA('a', ['phone', 'email']), SCHEMA('a', ['phone', 'email'])].join('\n') + '\n', { a: collecting() });
    expect(free.error).to.equal(undefined);
  });

  it('sets aside a partial last line without its line end as the cut, keeping every record before it', async () => {
    const a = collecting();
    const { router, error } = await route([SCHEMA('a'), RECORD('a', '1'), RECORD('a', '2').slice(0, 20)].join('\n'), { a });
    expect(error).to.equal(undefined);
    expect(a.got).to.deep.equal(['2:1']);
    expect(router.cut).to.be.instanceOf(InputError);
    expect(router.cut?.line).to.equal(3);
  });

  it('refuses a malformed line that has its line end, or that more lines follow, naming the first', async () => {
    const ended = await route([SCHEMA('a'), RECORD('a', '2').slice(0, 20)].join('\n') + '\n', { a: collecting() });
    expect(ended.error?.message).to.match(/^input line 2: malformed JSON/);
    expect(ended.router.cut).to.equal(undefined);
    const followed = await route([SCHEMA('a'), '{"type":', RECORD('a', '1')].join('\n'), { a: collecting() });
    expect(followed.error?.message).to.match(/^input line 2: malformed JSON/);
    const twice = await route([SCHEMA('a'), '{"type":', '{"type":'].join('\n'), { a: collecting() });
    expect(twice.error?.message).to.match(/^input line 2: malformed JSON/);
    const blankAfter = await route([SCHEMA('a'), '{"type":', '   '].join('\n'), { a: collecting() });
    expect(blankAfter.error?.message).to.match(/^input line 2: malformed JSON/);
  });

  it('knows how the input ended: mid-line, or at a line end however written', () => {
    const state = '{"type":"STATE","value":1}';
    const endings: [string, boolean][] = [
      [`${state}\n{"b"`, true],
      [`${state}\n`, false],
      [`${state}\r\n`, false],
      [`${state}\r`, false],
      [`${state}\n  \t`, false],
      [state, true],
    ];
    return Promise.all(
      endings.map(async ([text, cut]) => {
        const reader = readSinger(Readable.from([text]));
        try {
          for await (const _ of reader) void _;
        } catch {
          // a malformed line: what matters here is how the input ended
        }
        expect(reader.ending.cutTail, JSON.stringify(text)).to.equal(cut);
      }),
    );
  });

  it('starts with no cut and no ending known', () => {
    expect(new InputEnding().cutTail).to.equal(false);
    expect(new SingerRouter().cut).to.equal(undefined);
  });
});
