import { booleanOfString, foldCase, isNumericString, looseEquals } from './loose-equality.ts';

/**
 * Compiles `x equals any of values` into set lookups, so long lists cost no more than short ones.
 * The sets are split by the type each entry came from because string/string equality is exact
 * while number/string equality is numeric (see loose-equality.ts): the string "7" matches 7 and
 * "7", the number 7 matches 7, "7" and "7.0".
 */
export function compileEqualsAnyOf(values: readonly unknown[], ignoreCase: boolean): (x: unknown) => boolean {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const numbersOfStrings = new Set<number>();
  const booleans = new Set<boolean>();
  const booleansOfStrings = new Set<boolean>();
  const others: unknown[] = [];
  for (const value of values) {
    if (typeof value === 'string') {
      strings.add(ignoreCase ? foldCase(value) : value);
      if (isNumericString(value)) numbersOfStrings.add(Number(value));
      const b = booleanOfString(value, ignoreCase);
      if (b !== undefined) booleansOfStrings.add(b);
    } else if (typeof value === 'number') {
      // Set.has treats NaN as equal to NaN, which equality must not.
      if (Number.isFinite(value)) numbers.add(value);
    } else if (typeof value === 'boolean') {
      booleans.add(value);
    } else if (value !== null && value !== undefined) {
      others.push(value);
    }
  }
  return (x) => {
    switch (typeof x) {
      case 'string': {
        const key = ignoreCase ? foldCase(x) : x;
        if (strings.has(key)) return true;
        if (numbers.size > 0 && isNumericString(x) && numbers.has(Number(x))) return true;
        const b = booleans.size > 0 ? booleanOfString(key, false) : undefined;
        return b !== undefined && booleans.has(b);
      }
      case 'number':
        return numbers.has(x) || numbersOfStrings.has(x);
      case 'boolean':
        return booleans.has(x) || booleansOfStrings.has(x);
      case 'object':
        return x !== null && others.some((other) => looseEquals(x, other, ignoreCase));
      default:
        return false;
    }
  };
}
