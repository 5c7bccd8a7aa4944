import type { Condition } from './condition.ts';
import { compileConditions, type SubjectMatcher } from './compile-conditions.ts';

const cache = new WeakMap<readonly Condition[], SubjectMatcher>();
const ALWAYS: SubjectMatcher = () => true;

/** The compiled matcher of a condition list, compiled once per list object (definitions are cached). */
export function matcherFor(conditions: readonly Condition[] | undefined): SubjectMatcher {
  if (!conditions || conditions.length === 0) return ALWAYS;
  let matcher = cache.get(conditions);
  if (!matcher) {
    matcher = compileConditions(conditions);
    cache.set(conditions, matcher);
  }
  return matcher;
}
