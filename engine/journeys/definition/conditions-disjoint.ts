import type { Condition } from '../../conditions/condition.ts';
import { foldCase, isNumericString } from '../../conditions/loose-equality.ts';
import { toOrderableNumber, toOrderedValue, type OrderedValue } from '../../conditions/ordered-value.ts';
import { parsePath } from '../../conditions/parse-path.ts';
import { compileValuePredicate } from '../../conditions/value-predicate.ts';

/*
 * Decides, conservatively, whether two ANDed condition lists can never both hold for one event:
 * true only when some condition of one and some condition of the other, on the same path, are
 * provably disjoint. "Not provably disjoint" is reported as an overlap, so a false "disjoint"
 * would be a bug and a false "overlap" only an inconvenience.
 *
 * For any path (even one yielding several values):
 *   - exists / not_exists; not_exists / any positive operator (each needs a present value);
 *   - equals v / not_equals v with the same value and ignoreCase ("some value equals" vs "none does").
 * For a path that yields at most one value (no wildcard or filter):
 *   - equals and equals_any_of whose value sets share no value under the engine's loose equality
 *     (1001 = "1001", true = "true", ignoreCase) — decided with the engine's own predicates;
 *   - numeric or date ranges (gt, gte, lt, lte, between) that do not intersect;
 *   - equals / equals_any_of against a numeric range containing none of their numbers.
 */

/** Whether no event can satisfy both condition lists (some cross pair is provably disjoint). */
export function conditionListsExclusive(a: readonly Condition[], b: readonly Condition[]): boolean {
  return a.some((x) => b.some((y) => conditionsDisjoint(x, y)));
}

/** Whether no event can satisfy both conditions (see the rules above); false when unsure. */
export function conditionsDisjoint(a: Condition, b: Condition): boolean {
  const pathA = normalizePath(a.path);
  const pathB = normalizePath(b.path);
  if (pathA === undefined || pathB === undefined || pathA.key !== pathB.key) return false;
  if (negationOfEachOther(a, b) || negationOfEachOther(b, a)) return true;
  if (!pathA.single) return false;
  const setA = equalitySet(a);
  const setB = equalitySet(b);
  const rangeA = rangeOf(a);
  const rangeB = rangeOf(b);
  if (setA !== undefined && setB !== undefined) return !valueSetsOverlap(a, setA, b, setB);
  if (rangeA !== undefined && rangeB !== undefined) return rangeA.kind === rangeB.kind && !rangesIntersect(rangeA, rangeB);
  if (setA !== undefined && rangeB !== undefined) return setOutsideRange(setA, rangeB);
  if (setB !== undefined && rangeA !== undefined) return setOutsideRange(setB, rangeA);
  return false;
}

/** A path as a comparable key, and whether it yields at most one value. */
function normalizePath(path: string): { key: string; single: boolean } | undefined {
  const parsed = parsePath(path);
  if (parsed.kind === 'keys') return { key: JSON.stringify(parsed.keys), single: true };
  if (parsed.kind === 'jsonpath') return { key: `jsonpath:${parsed.expression}`, single: false };
  return undefined;
}

const POSITIVE_NEEDING_A_VALUE = new Set(['equals', 'equals_any_of', 'contains', 'starts_with', 'exists', 'gt', 'gte', 'lt', 'lte', 'between']);

/** `b` holds exactly when some value passes a test, and `a` holds only when no value passes it (or none is present). */
function negationOfEachOther(a: Condition, b: Condition): boolean {
  if (a.operator === 'not_exists') return POSITIVE_NEEDING_A_VALUE.has(b.operator);
  return (
    a.operator === 'not_equals' &&
    b.operator === 'equals' &&
    (a.ignoreCase === true) === (b.ignoreCase === true) &&
    JSON.stringify(a.value) === JSON.stringify(b.value)
  );
}

type Scalar = string | number | boolean;

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** The values an equals / equals_any_of compares with, if they are all scalars. */
function equalitySet(condition: Condition): Scalar[] | undefined {
  const values = condition.operator === 'equals' ? [condition.value] : condition.operator === 'equals_any_of' ? condition.value : undefined;
  if (!Array.isArray(values) || !values.every(isScalar)) return undefined;
  return values;
}

/**
 * Whether some value equals a member of both sets. Under the loose equality, a value equal to
 * both a and b is always one of: a, b, their lower-cased forms, the numbers they spell, or a
 * boolean or "true"/"false" — so trying those with the engine's own predicates is exact.
 */
function valueSetsOverlap(a: Condition, setA: Scalar[], b: Condition, setB: Scalar[]): boolean {
  const testA = compileValuePredicate(a).test;
  const testB = compileValuePredicate(b).test;
  const witnesses: Scalar[] = [true, false, 'true', 'false'];
  for (const value of [...setA, ...setB]) {
    witnesses.push(value);
    if (typeof value === 'string') {
      witnesses.push(foldCase(value));
      if (isNumericString(value)) witnesses.push(Number(value));
    }
  }
  return witnesses.some((x) => testA(x) && testB(x));
}

/** An interval of numbers or instants; a missing end is unbounded. */
interface Range {
  kind: OrderedValue['kind'];
  low?: { value: number; inclusive: boolean };
  high?: { value: number; inclusive: boolean };
}

function rangeOf(condition: Condition): Range | undefined {
  const { operator, value } = condition;
  if (operator === 'between') {
    if (!Array.isArray(value)) return undefined;
    const low = toOrderedValue(value[0]);
    const high = toOrderedValue(value[1]);
    if (low === undefined || high === undefined || low.kind !== high.kind) return undefined;
    return { kind: low.kind, low: { value: low.value, inclusive: true }, high: { value: high.value, inclusive: true } };
  }
  if (operator !== 'gt' && operator !== 'gte' && operator !== 'lt' && operator !== 'lte') return undefined;
  const bound = toOrderedValue(value);
  if (bound === undefined) return undefined;
  const end = { value: bound.value, inclusive: operator === 'gte' || operator === 'lte' };
  return operator === 'gt' || operator === 'gte' ? { kind: bound.kind, low: end } : { kind: bound.kind, high: end };
}

function rangesIntersect(a: Range, b: Range): boolean {
  return !endsBefore(a.high, b.low) && !endsBefore(b.high, a.low);
}

/** Whether an interval ending at `high` lies wholly before one starting at `low`. */
function endsBefore(high: Range['high'], low: Range['low']): boolean {
  if (high === undefined || low === undefined) return false;
  return high.value < low.value || (high.value === low.value && !(high.inclusive && low.inclusive));
}

function contains(range: Range, n: number): boolean {
  const { low, high } = range;
  const aboveLow = low === undefined || n > low.value || (low.inclusive && n === low.value);
  const belowHigh = high === undefined || n < high.value || (high.inclusive && n === high.value);
  return aboveLow && belowHigh;
}

/**
 * Whether no value equal to a member of `set` lies in a numeric `range`. Such a value must read as
 * a number, and only numbers and numeric strings equal to a member's number do.
 */
function setOutsideRange(set: Scalar[], range: Range): boolean {
  if (range.kind !== 'number') return false;
  return set.every((value) => {
    const n = typeof value === 'boolean' ? undefined : toOrderableNumber(value);
    return n === undefined || !contains(range, n);
  });
}
