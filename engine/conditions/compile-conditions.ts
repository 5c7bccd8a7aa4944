import { EngineError } from '../errors.ts';
import type { Condition } from './condition.ts';
import type { ConditionProblem } from './condition-problem.ts';
import { compilePath } from './compile-path.ts';
import { validateCondition, validateConditions } from './validate-conditions.ts';
import { compileValuePredicate } from './value-predicate.ts';

/** A compiled condition or condition list: true when the subject matches. */
export type SubjectMatcher = (subject: unknown) => boolean;

/** Compiles one condition; throws an `invalid_conditions` EngineError listing every problem if it is invalid. */
export function compileCondition(condition: Condition): SubjectMatcher {
  throwIfProblems(validateCondition(condition, ''));
  return compileValidCondition(condition);
}

/** Compiles a condition list, ANDed (an empty list always matches); throws an `invalid_conditions` EngineError if invalid. */
export function compileConditions(conditions: readonly Condition[]): SubjectMatcher {
  throwIfProblems(validateConditions(conditions, ''));
  const matchers = conditions.map(compileValidCondition);
  const [first, second] = matchers;
  switch (matchers.length) {
    case 0:
      return () => true;
    case 1:
      return first!;
    case 2:
      return (subject) => first!(subject) && second!(subject);
    default:
      return (subject) => matchers.every((matches) => matches(subject));
  }
}

/** Compiles and evaluates in one go; on a hot path keep the result of compileConditions instead. */
export function evaluateConditions(conditions: readonly Condition[], subject: unknown): boolean {
  return compileConditions(conditions)(subject);
}

function compileValidCondition(condition: Condition): SubjectMatcher {
  const reader = compilePath(condition.path);
  const { test, negate } = compileValuePredicate(condition);
  if (!reader.multi) {
    const { read } = reader;
    return negate ? (subject) => !test(read(subject)) : (subject) => test(read(subject));
  }
  const { readAll } = reader;
  return negate ? (subject) => !readAll(subject).some(test) : (subject) => readAll(subject).some(test);
}

function throwIfProblems(problems: readonly ConditionProblem[]): void {
  if (problems.length === 0) return;
  const summary = problems.map((p) => p.message).join('; ');
  throw new EngineError('invalid_conditions', `invalid conditions: ${summary}`, { problems });
}
