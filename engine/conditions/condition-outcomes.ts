import type { Condition } from './condition.ts';
import { compileCondition, type SubjectMatcher } from './compile-conditions.ts';
import { compilePath, type PathReader } from './compile-path.ts';

/** How one condition of a list fared on a subject, and what its path found there. */
export interface ConditionOutcome {
  /** Position in the list. */
  index: number;
  condition: Condition;
  passed: boolean;
  /** The values the path yielded (absent ones left out): one at most, except for wildcard/filter JSONPath. */
  found: unknown[];
}

interface CompiledCondition {
  matches: SubjectMatcher;
  reader: PathReader;
}

const cache = new WeakMap<readonly Condition[], CompiledCondition[]>();

/**
 * Each condition of a list evaluated on its own, with the same predicates compileConditions ANDs
 * (so the list matches exactly when every outcome passed): for saying which condition failed
 * and why, off the hot path. Compiled once per list object; throws like compileConditions on an
 * invalid list.
 */
export function conditionOutcomes(conditions: readonly Condition[] | undefined, subject: unknown): ConditionOutcome[] {
  if (!conditions || conditions.length === 0) return [];
  let compiled = cache.get(conditions);
  if (!compiled) {
    compiled = conditions.map((c) => ({ matches: compileCondition(c), reader: compilePath(c.path) }));
    cache.set(conditions, compiled);
  }
  return compiled.map(({ matches, reader }, index) => ({
    index,
    condition: conditions[index]!,
    passed: matches(subject),
    found: (reader.multi ? reader.readAll(subject) : [reader.read(subject)]).filter((v) => v !== undefined),
  }));
}
