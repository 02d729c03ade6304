import { expect } from 'chai';
import { DECLINED, JsonScanner, KeyTable, Picked, Picks } from '../../src/fast/json-scanner.js';
import { Random } from '../support/random.js';

/** Spaces JSON allows between tokens, sometimes. */
function ws(r: Random): string {
  return r.chance(0.8) ? '' : r.pick([' ', '\t', '\n', '\r\n', '  ']);
}

const STRINGS = ['', 'a', 'Store 7', ' edge ', 'é', 'naïve café', '😀', 'tab\there', 'quote"d', 'back\\slash', 'line\nend', '\u0000', '\u007f', '\u2028', '__proto__', 'ctrl\u0001'];
const NUMBERS = ['0', '-0', '7', '-12', '123456789012345', '1234567890123456789', '0.5', '-1.25e3', '1E-7', '1e400', '3.0'];

/** A random JSON text: strings written raw or escaped, numbers of every form, nesting, repeated keys. */
function text(r: Random, depth = 0): string {
  const roll = r.int(depth > 3 ? 4 : 7);
  if (roll === 0) return stringText(r, r.pick(STRINGS));
  if (roll === 1) return r.pick(NUMBERS);
  if (roll === 2) return r.pick(['true', 'false', 'null']);
  if (roll === 3) return stringText(r, String(r.int(1000)));
  if (roll === 4) {
    const n = r.int(4);
    return `[${ws(r)}${Array.from({ length: n }, () => text(r, depth + 1)).join(`${ws(r)},${ws(r)}`)}${ws(r)}]`;
  }
  const n = r.int(5);
  const keys = ['a', 'b', 'phone', '__proto__', 'é', 'a'];
  const members = Array.from({ length: n }, () => `${stringText(r, r.pick(keys))}${ws(r)}:${ws(r)}${text(r, depth + 1)}`);
  return `{${ws(r)}${members.join(`${ws(r)},${ws(r)}`)}${ws(r)}}`;
}

/** A string literal: JSON.stringify's spelling, or every character as a \u escape. */
function stringText(r: Random, s: string): string {
  if (r.chance(0.15)) return `"${[...s].map((c) => [...c].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')).join('')}"`;
  return JSON.stringify(s);
}

/** A comparable spelling of a value, telling -0 from 0 and keeping own `__proto__` keys. */
function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (Object.is(x, -0) ? '(-0)' : x));
}

function scanned(t: string, lineMode = false): unknown {
  const s = new JsonScanner().reset(Buffer.from(t), 0, lineMode);
  s.skipWhitespace();
  const v = s.value();
  if (!s.atEnd()) throw DECLINED;
  return v;
}

function outcome(f: () => unknown): { ok: true; value: string } | { ok: false; declined: boolean } {
  try {
    return { ok: true, value: show(f()) };
  } catch (e) {
    return { ok: false, declined: e === DECLINED };
  }
}

describe('JSON scanner', () => {
  it('builds exactly what JSON.parse builds, on 3,000 random texts', () => {
    const r = new Random(11);
    for (let i = 0; i < 3000; i++) {
      const t = ws(r) + text(r) + ws(r);
      const ours = outcome(() => scanned(t));
      expect(ours, t).to.deep.equal({ ok: true, value: show(JSON.parse(t)) });
    }
  });

  it('never accepts a text JSON.parse rejects (20,000 random edits of valid texts)', () => {
    const r = new Random(12);
    const pieces = ['{', '}', '[', ']', '"', ',', ':', '\\', 'n', 't', 'e', '.', '-', '0', '1', ' ', '\u0001', 'x', 'u', '\\u12', 'é'];
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      let t = text(r);
      for (let edits = 1 + r.int(3); edits > 0; edits--) {
        const at = r.int(t.length + 1);
        const op = r.int(3);
        if (op === 0) t = t.slice(0, at) + t.slice(at + 1);
        else if (op === 1) t = t.slice(0, at) + r.pick(pieces) + t.slice(at);
        else t = t.slice(0, at);
      }
      // The scanner reads bytes: compare with JSON.parse of what those bytes decode to (an edit may split a
      // surrogate pair, which UTF-8 cannot carry).
      const reference = outcome(() => JSON.parse(Buffer.from(t).toString('utf8')));
      const ours = outcome(() => scanned(t));
      if (!reference.ok) {
        rejected++;
        expect(ours, t).to.deep.equal({ ok: false, declined: true });
      } else expect(ours, t).to.deep.equal(reference);
    }
    // The edits must actually have produced broken texts for this to mean anything.
    expect(rejected).to.be.greaterThan(5000);
  });

  it('in line mode, treats a line end as the end of the text, never as whitespace', () => {
    expect(scanned('{"a":1}\n{"b":2}', true)).to.deep.equal({ a: 1 });
    expect(scanned('{"a":1} \r\n', true)).to.deep.equal({ a: 1 });
    expect(() => scanned('{"a":\n1}', true)).to.throw().that.equals(DECLINED);
    expect(() => scanned('{"a":"x\ny"}', true)).to.throw().that.equals(DECLINED);
    expect(scanned('{"a":\n1}')).to.deep.equal({ a: 1 });
  });

  it('leaves nesting deeper than it recurses to JSON.parse', () => {
    const deep = '['.repeat(300) + ']'.repeat(300);
    expect(() => scanned(deep)).to.throw().that.equals(DECLINED);
    expect(show(scanned('['.repeat(200) + ']'.repeat(200)))).to.equal(show(JSON.parse('['.repeat(200) + ']'.repeat(200))));
  });

  it('picks the last of a repeated key, and tells which values need building', () => {
    const table = new KeyTable(['phone', 'email', 'points', 'name', 'tags', 'gone']);
    const picks = new Picks(table);
    const t = '{"phone":"1","email":"a@b.co","phone":"12025550100","points":42,"name":"Jos\\u00e9","tags":[1],"x":{"phone":"no"}}';
    const s = new JsonScanner().reset(Buffer.from(t), 0, false);
    s.pick(picks);
    expect(s.atEnd()).to.equal(true);
    const text = (k: number) => t.slice(picks.start[k], picks.end[k]);
    expect([picks.kind[0], text(0)]).to.deep.equal([Picked.Ascii, '12025550100']);
    expect([picks.kind[1], text(1)]).to.deep.equal([Picked.Ascii, 'a@b.co']);
    expect([picks.kind[2], s.integerAt(picks.start[2] as number, picks.end[2] as number)]).to.deep.equal([Picked.Integer, 42]);
    expect([picks.kind[3], s.valueAt(picks.at[3] as number)]).to.deep.equal([Picked.Other, 'José']);
    expect([picks.kind[4], s.valueAt(picks.at[4] as number)]).to.deep.equal([Picked.Other, [1]]);
    expect(picks.kind[5]).to.equal(Picked.Absent);
  });

  it('matches keys written with escapes or non-ASCII characters by their meaning', () => {
    const table = new KeyTable(['phone', 'prénom']);
    const picks = new Picks(table);
    const s = new JsonScanner().reset(Buffer.from('{"ph\\u006fne":"1","prénom":"x"}'), 0, false);
    s.pick(picks);
    expect([picks.kind[0], picks.kind[1]]).to.deep.equal([Picked.Ascii, Picked.Ascii]);
  });

  it('picks the same values whatever order keys come in, guessing from order or not (one table, 5,000 objects)', () => {
    const r = new Random(13);
    const names = ['phone', 'email', 'points', 'p', 'phone2'];
    const table = new KeyTable(names);
    const picks = new Picks(table);
    const s = new JsonScanner();
    // Keys in a usual order most of the time, sometimes shuffled, and more distinct keys than the table learns.
    const usual = ['id', 'phone', 'email', 'status', 'points', 'p'];
    for (let i = 0; i < 5000; i++) {
      const keys = r.chance(0.7) ? [...usual] : [...usual, `k${r.int(100)}`, 'phone', 'ph\\u006fne', 'phone2'].filter(() => r.chance(0.7)).sort(() => r.next() - 0.5);
      const text = `{${keys.map((k, j) => `"${k}":"v${j}"`).join(',')}}`;
      s.reset(Buffer.from(text), 0, false).pick(picks);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      names.forEach((n, k) => {
        const ours = picks.kind[k] === Picked.Absent ? undefined : s.valueAt(picks.at[k] as number);
        expect(ours, `${text} ${n}`).to.equal(parsed[n]);
      });
    }
  });
});

