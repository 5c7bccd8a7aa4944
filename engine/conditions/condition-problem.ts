/** Every machine-readable code validateConditions can report, with its meaning. */
export const CONDITION_PROBLEM_CODES = {
  condition_list_not_array: 'The conditions are not an array.',
  condition_not_object: 'A condition is not an object.',
  condition_unknown_property: 'A condition has a property other than path, operator, value and ignoreCase.',
  condition_invalid_path: 'The path is missing, not a string, empty, or malformed (unbalanced brackets, invalid JSONPath).',
  condition_missing_operator: 'The operator is missing.',
  condition_unknown_operator: 'The operator is not one of the known operators.',
  condition_missing_value: 'The operator needs a value and there is none.',
  condition_unexpected_value: 'exists and not_exists take no value, and one was given.',
  condition_invalid_value: 'The value has the wrong shape or type for the operator.',
  condition_invalid_range: "between's min is greater than its max.",
  condition_invalid_ignore_case: 'ignoreCase is not a boolean, or is set on an operator that does not compare strings.',
} as const;

/** A machine-readable condition problem code. */
export type ConditionProblemCode = keyof typeof CONDITION_PROBLEM_CODES;

/** One thing wrong with a condition list, at a JSON-pointer-like location such as `/entry/conditions/2/value`. */
export interface ConditionProblem {
  path: string;
  code: ConditionProblemCode;
  message: string;
}
