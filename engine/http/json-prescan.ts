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
const COMMA = 0x2c;
const COLON = 0x3a;

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
  /**
   * Asked for with `batchElements`: where each element of the top-level object's `batch` array
   * lies in the text, as flat [start, end) pairs without the whitespace around it (the last
   * `batch` key's, as JSON.parse keeps the last). Null when the text has no such array, or when a
   * top-level key holds an escape (it might decode to `batch`), so that the spans could belong to
   * an array JSON.parse does not return.
   */
  batchSpans: number[] | null;
}

/**
 * One pass over the raw text before it is parsed: whether arrays and objects nest deeper than
 * `maxDepth`, whether any number literal could overflow to Infinity, and (with `batchElements`)
 * where the messages of a Segment batch lie.
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
export function prescanJson(text: string, maxDepth: number, batchElements = false): JsonPrescan {
  let depth = 0;
  let mayOverflow = false;
  // The batch elements' bookkeeping (batchElements): whether the last top-level key was `batch`,
  // whether the scan is inside its array, and where the current element's text began.
  let collect = batchElements;
  let batchKey = false;
  let inBatch = false;
  let elementStart = 0;
  let spans: number[] | null = null;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const open = i;
      i = closingQuote(text, i);
      if (i === -1) break;
      // At the top level of an object a string is a key when a colon follows it.
      if (collect && depth === 1 && text.charCodeAt(skipWhitespace(text, i + 1)) === COLON) {
        if (hasBackslash(text, open + 1, i)) {
          collect = false;
          spans = null;
        }
        batchKey = i - open === 6 && text.startsWith('batch', open + 1);
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return { tooDeep: true, mayOverflow, batchSpans: null };
      if (depth === 2 && collect && batchKey && c === OPEN_ARRAY) {
        inBatch = true;
        spans = [];
        elementStart = i + 1;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth === 2 && inBatch) {
        inBatch = false;
        // Only `[]` leaves nothing before the bracket; in valid JSON every other element has text.
        addSpan(spans!, text, elementStart, i);
      }
      depth--;
    } else if (c === MINUS || isDigit(c)) {
      const end = numberEnd(text, i);
      if (end < 0) mayOverflow = true;
      i = Math.abs(end) - 1;
    } else if (c === COMMA && inBatch && depth === 2) {
      addSpan(spans!, text, elementStart, i);
      elementStart = i + 1;
    }
  }
  return { tooDeep: false, mayOverflow, batchSpans: collect ? spans : null };
}

/** Adds the span of [start, end) without JSON whitespace at either end, unless nothing is left. */
function addSpan(spans: number[], text: string, start: number, end: number): void {
  const from = skipWhitespace(text, start);
  let to = end;
  while (to > from && isWhitespace(text.charCodeAt(to - 1))) to--;
  if (to > from) spans.push(from, to);
}

/** Whether [from, to) holds a backslash. A loop over the range alone: a search of the text could pass `to` and make a body of many keys quadratic. */
function hasBackslash(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === BACKSLASH) return true;
  return false;
}

/** The first position from `at` that is not JSON whitespace. */
function skipWhitespace(text: string, at: number): number {
  let i = at;
  while (isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
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
