/** Every operator a condition can use. */
export const CONDITION_OPERATORS = [
  'equals',
  'equals_any_of',
  'not_equals',
  'contains',
  'starts_with',
  'exists',
  'not_exists',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
] as const;

/** An operator a condition can use. */
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/**
 * One test on a subject (an event or a traits object). `value` is a scalar for equals,
 * not_equals, contains, starts_with, gt, gte, lt and lte (equals and not_equals also take an
 * object or array, compared deeply); a non-empty array of scalars for equals_any_of;
 * `[min, max]` (inclusive) for between; absent for exists and not_exists. See README.md.
 */
export interface Condition {
  path: string;
  operator: ConditionOperator;
  value?: unknown;
  ignoreCase?: boolean;
}

/** Operators that take no value. */
export const VALUELESS_OPERATORS: ReadonlySet<ConditionOperator> = new Set(['exists', 'not_exists']);

/** Operators that compare strings and so accept `ignoreCase`. */
export const CASE_FOLDING_OPERATORS: ReadonlySet<ConditionOperator> = new Set([
  'equals',
  'not_equals',
  'equals_any_of',
  'contains',
  'starts_with',
]);

/** Operators that order values (numbers or instants). */
export const ORDERING_OPERATORS: ReadonlySet<ConditionOperator> = new Set(['gt', 'gte', 'lt', 'lte']);

/** Whether a string names a known operator. */
export function isConditionOperator(name: unknown): name is ConditionOperator {
  return typeof name === 'string' && (CONDITION_OPERATORS as readonly string[]).includes(name);
}
