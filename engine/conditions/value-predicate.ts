import type { Condition, ConditionOperator } from './condition.ts';
import { compileEqualsAnyOf } from './equals-any-of.ts';
import { compileEquality, foldCase } from './loose-equality.ts';
import { readerFor, toOrderedValue } from './ordered-value.ts';

/**
 * What a condition asks of each value its path yields. The condition holds when `test` passes for
 * some yielded value; when `negate` is set it holds when `test` passes for none, which is how
 * not_equals ("no value equals") and not_exists ("no value is present") are defined.
 */
export interface ValuePredicate {
  readonly test: (x: unknown) => boolean;
  readonly negate: boolean;
}

const isPresent = (x: unknown): boolean => x !== undefined && x !== null;

/** Compiles the value test of an already validated condition; throws TypeError on a value the operator cannot use. */
export function compileValuePredicate(condition: Condition): ValuePredicate {
  const { operator, value } = condition;
  const ignoreCase = condition.ignoreCase === true;
  switch (operator) {
    case 'equals':
      return { test: compileEquality(value, ignoreCase), negate: false };
    case 'not_equals':
      return { test: compileEquality(value, ignoreCase), negate: true };
    case 'equals_any_of':
      if (!Array.isArray(value)) throw badValue(operator, 'an array');
      return { test: compileEqualsAnyOf(value, ignoreCase), negate: false };
    case 'contains':
      return { test: compileContains(value, ignoreCase), negate: false };
    case 'starts_with': {
      if (typeof value !== 'string') throw badValue(operator, 'a string');
      const prefix = ignoreCase ? foldCase(value) : value;
      return { test: (x) => typeof x === 'string' && (ignoreCase ? foldCase(x) : x).startsWith(prefix), negate: false };
    }
    case 'exists':
      return { test: isPresent, negate: false };
    case 'not_exists':
      return { test: isPresent, negate: true };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { test: compileOrdering(operator, value), negate: false };
    case 'between':
      return { test: compileBetween(value), negate: false };
    default:
      return assertNever(operator);
  }
}

/** A string contains a substring; an array contains an element that equals the value. Nothing else contains anything. */
function compileContains(value: unknown, ignoreCase: boolean): (x: unknown) => boolean {
  const equals = compileEquality(value, ignoreCase);
  if (typeof value !== 'string') return (x) => Array.isArray(x) && x.some(equals);
  const needle = ignoreCase ? foldCase(value) : value;
  return (x) => (typeof x === 'string' ? (ignoreCase ? foldCase(x) : x).includes(needle) : Array.isArray(x) && x.some(equals));
}

function compileOrdering(operator: 'gt' | 'gte' | 'lt' | 'lte', value: unknown): (x: unknown) => boolean {
  const bound = toOrderedValue(value);
  if (bound === undefined) throw badValue(operator, 'a number, a numeric string or an ISO-8601 date');
  const read = readerFor(bound.kind);
  const b = bound.value;
  switch (operator) {
    case 'gt':
      return (x) => {
        const v = read(x);
        return v !== undefined && v > b;
      };
    case 'gte':
      return (x) => {
        const v = read(x);
        return v !== undefined && v >= b;
      };
    case 'lt':
      return (x) => {
        const v = read(x);
        return v !== undefined && v < b;
      };
    case 'lte':
      return (x) => {
        const v = read(x);
        return v !== undefined && v <= b;
      };
    default:
      return assertNever(operator);
  }
}

function compileBetween(value: unknown): (x: unknown) => boolean {
  const min = Array.isArray(value) && value.length === 2 ? toOrderedValue(value[0]) : undefined;
  const max = Array.isArray(value) && value.length === 2 ? toOrderedValue(value[1]) : undefined;
  if (min === undefined || max === undefined || min.kind !== max.kind) {
    throw badValue('between', '[min, max], both numbers or both ISO-8601 dates');
  }
  const read = readerFor(min.kind);
  const lo = min.value;
  const hi = max.value;
  return (x) => {
    const v = read(x);
    return v !== undefined && v >= lo && v <= hi;
  };
}

function badValue(operator: ConditionOperator, expected: string): TypeError {
  return new TypeError(`operator '${operator}' needs ${expected} as value`);
}

function assertNever(value: never): never {
  throw new TypeError(`unknown operator '${String(value)}'`);
}
