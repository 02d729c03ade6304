/**
 * Text that may echo input (a line of the Singer stream, a stream name, an answer body), made safe for a terminal
 * and a log: characters that print nothing or act on the terminal are shown as escapes, and the text is cut short.
 * A UTF-8 BOM then shows as `\uFEFF` instead of an invisible "Unexpected token", and binary input as escapes
 * instead of bytes that garble the screen.
 */

/** C0 and C1 controls, DEL, invisible format characters (zero-width, bidi, BOM), line separators, U+FFFD. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufffd]/g;

function escape(ch: string): string {
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  if (ch === '\n') return '\\n';
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export interface PrintableOptions {
  /** Keep line breaks (multi-line log messages such as the report); escaped otherwise. */
  keepNewlines?: boolean;
}

/** `text` with unprintable characters escaped, cut to about `max` characters. */
export function printable(text: string, max = Infinity, opts: PrintableOptions = {}): string {
  let cut = text;
  let dropped = 0;
  if (text.length > max) {
    // Never split a surrogate pair: half a character would print as a replacement glyph.
    let end = max;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    cut = text.slice(0, end);
    dropped = text.length - end;
  }
  const escaped = cut.replace(UNPRINTABLE, (ch) => (opts.keepNewlines && ch === '\n' ? ch : escape(ch)));
  return dropped ? `${escaped}… (${dropped.toLocaleString('en-US')} more characters)` : escaped;
}
