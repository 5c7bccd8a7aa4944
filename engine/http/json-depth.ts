const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether a JSON text nests arrays and objects deeper than `maxDepth`, found by one pass over
 * the raw text before it is parsed (`{}` and `[]` at the top are depth 1).
 *
 * Why before parsing: V8's JSON.parse survives deep nesting, but spends ~100 ms on 1 MB of
 * `[[[[…`, and everything that walks the value afterwards (validation, JSON.stringify, catalog
 * key paths, mappings, the processing thread) recurses and would overflow its stack. The scan
 * skips string contents with `indexOf` (native), so it costs about a third of JSON.parse
 * (~1 GB/s) and stops at the first level too deep. It follows JSON's lexical rules exactly, so
 * for valid JSON the answer is exact; for invalid JSON any answer is fine, since JSON.parse then
 * refuses the text anyway.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i === -1) return false;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** Position of the quote that closes the string opened at `open` (one preceded by an even run of backslashes), or -1. */
function closingQuote(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    if (((quote - 1 - before) & 1) === 0) return quote;
    from = quote + 1;
  }
}
