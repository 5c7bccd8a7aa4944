const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/**
 * Integer digits from which a number with an exponent of at most two digits may pass 1.8e308
 * (the largest double): with fewer, only a three-digit exponent can.
 */
const OVERFLOW_INTEGER_DIGITS = 210;

/** What one pass over a JSON text found before it is parsed. */
export interface JsonPrescan {
  /** Arrays and objects nest deeper than the limit (`{}` and `[]` at the top are depth 1). */
  tooDeep: boolean;
  /**
   * A number literal may be too large for a double (JSON.parse turns it into ±Infinity): an
   * exponent of three digits or more, or 210 integer digits or more. Only then does the parsed
   * value need a walk (checkFiniteNumbers).
   */
  mayOverflow: boolean;
}

/**
 * One pass over the raw text before it is parsed: whether arrays and objects nest deeper than
 * `maxDepth`, and whether any number literal could overflow to Infinity.
 *
 * Why before parsing: V8's JSON.parse survives deep nesting, but spends ~100 ms on 1 MB of
 * `[[[[…`, and everything that walks the value afterwards (validation, JSON.stringify, catalog
 * key paths, mappings, the processing thread) recurses and would overflow its stack. The scan
 * skips string contents with `indexOf` (native), so it costs about a third of JSON.parse
 * (~1 GB/s) and stops at the first level too deep. It follows JSON's lexical rules exactly, so
 * for valid JSON the answers are exact; for invalid JSON any answer is fine, since JSON.parse then
 * refuses the text anyway.
 *
 * Why the numbers here: outside strings a digit or `-` can only start a number, and this loop
 * already visits every character outside strings. A separate regular expression over the whole
 * text cost as much again as this scan (1.5 against 1.3 µs per 1 KB event, measured).
 */
export function prescanJson(text: string, maxDepth: number): JsonPrescan {
  let depth = 0;
  let mayOverflow = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i === -1) break;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return { tooDeep: true, mayOverflow };
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    } else if (c === MINUS || isDigit(c)) {
      const end = numberEnd(text, i);
      if (end < 0) mayOverflow = true;
      i = Math.abs(end) - 1;
    }
  }
  return { tooDeep: false, mayOverflow };
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/**
 * Position just after the number literal starting at `start` (sign, digits, fraction, exponent),
 * negated when the literal may overflow to Infinity: a positive exponent of three digits or more,
 * or OVERFLOW_INTEGER_DIGITS integer digits or more. One pass over the literal answers both.
 */
function numberEnd(text: string, start: number): number {
  let i = text.charCodeAt(start) === MINUS ? start + 1 : start;
  const integerStart = i;
  while (isDigit(text.charCodeAt(i))) i++;
  let overflow = i - integerStart >= OVERFLOW_INTEGER_DIGITS;
  if (text.charCodeAt(i) === DOT) {
    i++;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === LOWER_E || e === UPPER_E) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === PLUS || sign === MINUS) i++;
    const exponentStart = i;
    while (isDigit(text.charCodeAt(i))) i++;
    // A negative exponent only ever makes a number smaller.
    if (sign !== MINUS && i - exponentStart >= 3) overflow = true;
  }
  return overflow ? -i : i;
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
