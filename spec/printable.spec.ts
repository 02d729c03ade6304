import { expect } from 'chai';
import { printable } from '../src/printable.js';

describe('printable: input echoed in a message', () => {
  it('escapes what prints nothing or acts on a terminal, and keeps the rest', () => {
    expect(printable('\ufeff{"type"')).to.equal('\\uFEFF{"type"');
    expect(printable('a\x00b\x1b[2Jc\x7f\x9b')).to.equal('a\\x00b\\x1b[2Jc\\x7f\\x9b');
    expect(printable('bad \ufffd\ufffd bytes, \u202eevil, tab\there')).to.equal('bad \\uFFFD\\uFFFD bytes, \\u202Eevil, tab\\there');
    expect(printable('Café, 東京, emoji 🙂')).to.equal('Café, 東京, emoji 🙂');
  });

  it('keeps line breaks only when asked (a multi-line report), never in an error line', () => {
    expect(printable('one\ntwo\r\n')).to.equal('one\\ntwo\\r\\n');
    expect(printable('one\ntwo', Infinity, { keepNewlines: true })).to.equal('one\ntwo');
  });

  it('cuts long text short, saying how much was left out, without splitting a character', () => {
    expect(printable('x'.repeat(5000), 10)).to.equal('xxxxxxxxxx… (4,990 more characters)');
    expect(printable('abc🙂def', 4)).to.equal('abc… (5 more characters)');
    expect(printable('short', 10)).to.equal('short');
  });
});
