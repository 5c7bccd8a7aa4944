/**
 * Equality as conditions see it (README.md, "Equality"): a number equals a numeric string of the
 * same value, a boolean equals the string "true"/"false" (analytics libraries often stringify),
 * two strings compare as strings (so "007" ≠ "7": ids and postal codes keep their zeros), and
 * objects and arrays compare deeply with these same rules.
 */

const NUMERIC_STRING = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Whether a string is a plain decimal number (no spaces, hex, Infinity or empty string, which Number() would accept). */
export function isNumericString(text: string): boolean {
  return NUMERIC_STRING.test(text) && Number.isFinite(Number(text));
}

/** Lower-cases a string for `ignoreCase` comparisons. */
export function foldCase(text: string): string {
  return text.toLowerCase();
}

/** Whether a numeric string denotes the given number. */
export function numericStringEquals(text: string, n: number): boolean {
  return Number(text) === n && NUMERIC_STRING.test(text);
}

/** The boolean a string "true"/"false" stands for (after folding when `ignoreCase`), or undefined. */
export function booleanOfString(text: string, ignoreCase: boolean): boolean | undefined {
  const key = ignoreCase ? foldCase(text) : text;
  return key === 'true' ? true : key === 'false' ? false : undefined;
}

/** Whether two values are equal under the condition rules above; undefined and null equal nothing. */
export function looseEquals(a: unknown, b: unknown, ignoreCase: boolean): boolean {
  if (a === b) return a !== undefined && a !== null;
  switch (typeof a) {
    case 'string':
      if (typeof b === 'string') return ignoreCase && foldCase(a) === foldCase(b);
      if (typeof b === 'number') return numericStringEquals(a, b);
      return typeof b === 'boolean' && booleanOfString(a, ignoreCase) === b;
    case 'number':
      return typeof b === 'string' && numericStringEquals(b, a);
    case 'boolean':
      return typeof b === 'string' && booleanOfString(b, ignoreCase) === a;
    case 'object':
      return a !== null && typeof b === 'object' && b !== null && deepEquals(a, b, ignoreCase);
    default:
      return false;
  }
}

function deepEquals(a: object, b: object, ignoreCase: boolean): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => looseEquals(item, b[i], ignoreCase));
  }
  const aKeys = definedKeys(a);
  const bKeys = definedKeys(b);
  if (aKeys.length !== bKeys.length) return false;
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  return aKeys.every((key) => Object.hasOwn(b, key) && looseEquals(aRecord[key], bRecord[key], ignoreCase));
}

// JSON cannot hold undefined, so a key set to undefined in code counts as absent.
function definedKeys(value: object): string[] {
  return Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
}

/** Compiles `x equals value` into a predicate specialised on the type of `value` (the hot path). */
export function compileEquality(value: unknown, ignoreCase: boolean): (x: unknown) => boolean {
  switch (typeof value) {
    case 'string': {
      if (ignoreCase) {
        const folded = foldCase(value);
        return (x) => (typeof x === 'string' ? foldCase(x) === folded : looseEquals(x, value, true));
      }
      const n = isNumericString(value) ? Number(value) : undefined;
      const b = booleanOfString(value, false);
      if (n === undefined && b === undefined) return (x) => x === value;
      return (x) => x === value || (typeof x === 'number' ? x === n : typeof x === 'boolean' && x === b);
    }
    case 'number':
      return (x) => x === value || (typeof x === 'string' && numericStringEquals(x, value));
    case 'boolean':
      return (x) => x === value || (typeof x === 'string' && booleanOfString(x, ignoreCase) === value);
    default:
      return (x) => looseEquals(x, value, ignoreCase);
  }
}
