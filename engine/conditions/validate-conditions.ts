import {
  CASE_FOLDING_OPERATORS,
  CONDITION_OPERATORS,
  ORDERING_OPERATORS,
  VALUELESS_OPERATORS,
  isConditionOperator,
  type ConditionOperator,
} from './condition.ts';
import type { ConditionProblem, ConditionProblemCode } from './condition-problem.ts';
import { toOrderedValue, type OrderedValue } from './ordered-value.ts';
import { parsePath } from './parse-path.ts';

const KNOWN_PROPERTIES = new Set(['path', 'operator', 'value', 'ignoreCase']);

const EXPECTED_VALUE: Record<ConditionOperator, string> = {
  equals: 'a value',
  not_equals: 'a value',
  equals_any_of: 'a non-empty array of strings, numbers or booleans',
  contains: 'a string, number or boolean',
  starts_with: 'a string',
  exists: 'no value',
  not_exists: 'no value',
  gt: 'a number, a numeric string or an ISO-8601 date',
  gte: 'a number, a numeric string or an ISO-8601 date',
  lt: 'a number, a numeric string or an ISO-8601 date',
  lte: 'a number, a numeric string or an ISO-8601 date',
  between: 'value [min, max]',
};

/** Every problem in a condition list (not just the first), located under `basePath` (e.g. `/entry/conditions`). */
export function validateConditions(conditions: unknown, basePath: string): ConditionProblem[] {
  if (!Array.isArray(conditions)) {
    return [problem('condition_list_not_array', basePath, `conditions must be an array at ${at(basePath)}`)];
  }
  return conditions.flatMap((condition, i) => validateCondition(condition, `${basePath}/${i}`));
}

/** Every problem in one condition, located under `basePath` (the condition's own location). */
export function validateCondition(condition: unknown, basePath: string): ConditionProblem[] {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    return [problem('condition_not_object', basePath, `condition must be an object with path and operator at ${at(basePath)}`)];
  }
  const record = condition as Record<string, unknown>;
  const problems: ConditionProblem[] = [];
  for (const key of Object.keys(record)) {
    if (!KNOWN_PROPERTIES.has(key)) {
      const where = `${basePath}/${segment(key)}`;
      problems.push(problem('condition_unknown_property', where, `unknown property '${key}' at ${where}; a condition has path, operator, value and ignoreCase`));
    }
  }
  problems.push(...validatePath(record.path, `${basePath}/path`));
  const { operator } = record;
  if (operator === undefined) {
    problems.push(problem('condition_missing_operator', `${basePath}/operator`, `operator is required at ${basePath}/operator`));
  } else if (!isConditionOperator(operator)) {
    const where = `${basePath}/operator`;
    const shown = typeof operator === 'string' ? `'${operator}'` : JSON.stringify(operator);
    problems.push(problem('condition_unknown_operator', where, `unknown operator ${shown} at ${where}; expected one of ${CONDITION_OPERATORS.join(', ')}`));
  } else {
    problems.push(...validateValue(operator, record.value, `${basePath}/value`));
  }
  problems.push(...validateIgnoreCase(record.ignoreCase, operator, `${basePath}/ignoreCase`));
  return problems;
}

function validatePath(path: unknown, where: string): ConditionProblem[] {
  if (path === undefined) return [problem('condition_invalid_path', where, `path is required at ${where}`)];
  if (typeof path !== 'string') return [problem('condition_invalid_path', where, `path must be a string at ${where}`)];
  const parsed = parsePath(path);
  if (parsed.kind !== 'invalid') return [];
  return [problem('condition_invalid_path', where, `path '${path}' ${parsed.reason} at ${where}`)];
}

function validateValue(operator: ConditionOperator, value: unknown, where: string): ConditionProblem[] {
  if (VALUELESS_OPERATORS.has(operator)) {
    return value === undefined ? [] : [problem('condition_unexpected_value', where, `operator '${operator}' takes no value at ${where}`)];
  }
  if (value === undefined) {
    return [problem('condition_missing_value', where, `operator '${operator}' needs ${EXPECTED_VALUE[operator]} at ${where}`)];
  }
  const invalid = (): ConditionProblem[] => [
    problem('condition_invalid_value', where, `operator '${operator}' needs ${EXPECTED_VALUE[operator]} at ${where}`),
  ];
  // JSON.parse reads 1e400 as Infinity, which is stored as null: the condition kept would not be the one validated.
  const overflow = nonFiniteNumberAt(value, where);
  if (overflow !== undefined) {
    return [problem('condition_invalid_value', overflow, `a number at ${overflow} is too large to store (it overflows to Infinity); use a finite number`)];
  }
  if (ORDERING_OPERATORS.has(operator)) return toOrderedValue(value) === undefined ? invalid() : [];
  switch (operator) {
    case 'equals':
    case 'not_equals':
      return value === null
        ? [problem('condition_invalid_value', where, `operator '${operator}' cannot compare with null at ${where}; use 'exists' or 'not_exists'`)]
        : [];
    case 'contains':
      return isScalar(value) ? [] : invalid();
    case 'starts_with':
      return typeof value === 'string' ? [] : invalid();
    case 'equals_any_of':
      if (!Array.isArray(value) || value.length === 0) return invalid();
      return value.flatMap((item: unknown, i) =>
        isScalar(item)
          ? []
          : [problem('condition_invalid_value', `${where}/${i}`, `operator 'equals_any_of' needs strings, numbers or booleans, not ${describe(item)}, at ${where}/${i}`)],
      );
    case 'between':
      return validateBetween(value, where);
    default:
      return [];
  }
}

function validateBetween(value: unknown, where: string): ConditionProblem[] {
  if (!Array.isArray(value) || value.length !== 2) {
    return [problem('condition_invalid_value', where, `operator 'between' needs value [min, max] at ${where}`)];
  }
  const bounds: (OrderedValue | undefined)[] = value.map(toOrderedValue);
  const problems = bounds.flatMap((bound, i) => {
    if (bound !== undefined) return [];
    const name = i === 0 ? 'min' : 'max';
    const message = `operator 'between' needs a number, a numeric string or an ISO-8601 date as ${name}, not ${describe(value[i])}, at ${where}/${i}`;
    return [problem('condition_invalid_value', `${where}/${i}`, message)];
  });
  const [min, max] = bounds;
  if (min === undefined || max === undefined) return problems;
  if (min.kind !== max.kind) {
    return [problem('condition_invalid_value', where, `operator 'between' needs min and max both numbers or both ISO-8601 dates at ${where}`)];
  }
  if (min.value > max.value) {
    const message = `operator 'between' has min ${JSON.stringify(value[0])} greater than max ${JSON.stringify(value[1])} at ${where}`;
    return [problem('condition_invalid_range', where, message)];
  }
  return [];
}

function validateIgnoreCase(ignoreCase: unknown, operator: unknown, where: string): ConditionProblem[] {
  if (ignoreCase === undefined) return [];
  if (typeof ignoreCase !== 'boolean') {
    return [problem('condition_invalid_ignore_case', where, `ignoreCase must be true or false at ${where}`)];
  }
  // ignoreCase: false is harmless anywhere; true on a non-string operator suggests a misunderstanding.
  if (ignoreCase && isConditionOperator(operator) && !CASE_FOLDING_OPERATORS.has(operator)) {
    const allowed = [...CASE_FOLDING_OPERATORS].join(', ');
    return [problem('condition_invalid_ignore_case', where, `ignoreCase does not apply to operator '${operator}' at ${where}; it applies to ${allowed}`)];
  }
  return [];
}

/** Where in `value` (as a JSON pointer under `where`) a non-finite number is, if anywhere. */
function nonFiniteNumberAt(value: unknown, where: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : where;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nonFiniteNumberAt(item, `${where}/${segment(key)}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value) ?? typeof value;
}

/** A key as a JSON pointer segment (RFC 6901), so a key holding '/' or '~' still names one place. */
function segment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function at(path: string): string {
  return path === '' ? '/' : path;
}

function problem(code: ConditionProblemCode, path: string, message: string): ConditionProblem {
  return { path, code, message };
}
