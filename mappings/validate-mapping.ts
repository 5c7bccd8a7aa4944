/**
 * Checks a send step's mapping against its destination action's fields when a journey is saved or
 * published, without any event: unknown keys, required fields left unmapped, invalid directives,
 * literal values of the wrong type, and paths that can never find anything.
 */
import { validateMappingStructure, type InputField } from '../destinations/actions-core.ts';
import { checkLiteral } from './action-schema.ts';
import { checkDirectives, isLiteralValue } from './check-directives.ts';
import type { PathScope } from './mapping-path.ts';
import { joinPath, mappingProblem, type MappingProblem } from './mapping-problem.ts';

/** Options of validateMapping. */
export interface ValidateMappingOptions {
  /** Where the mapping sits in the document, e.g. `steps[2].mapping` or `/steps/2/mapping`. */
  basePath: string;
  /** Keys the action accepts besides its fields (e.g. `__segment_internal_sync_mode`). Default none. */
  extraKeys?: readonly string[];
  /**
   * What paths may start with (e.g. SEND_EVENT_ROOTS and the journey's context names); without it,
   * paths are only checked for syntax.
   */
  scope?: PathScope;
}

/** Every problem of `mapping` for an action with `fields`; empty when the mapping is sound. */
export function validateMapping(
  fields: Record<string, InputField>, mapping: Record<string, unknown>, options: ValidateMappingOptions,
): MappingProblem[] {
  const { basePath, extraKeys = [], scope } = options;
  const problems: MappingProblem[] = [];
  for (const [key, value] of Object.entries(mapping)) {
    const at = joinPath(basePath, key);
    if (!Object.hasOwn(fields, key) && !extraKeys.includes(key)) {
      problems.push(mappingProblem('unknown_field', at, `"${key}" is not a field of this action (fields: ${Object.keys(fields).join(', ')})`));
      continue;
    }
    const fieldProblems = checkDirectives(value, at, scope);
    if (fieldProblems.length === 0) fieldProblems.push(...structureProblems(value, at));
    if (fieldProblems.length === 0 && Object.hasOwn(fields, key) && isLiteralValue(value)) {
      fieldProblems.push(...checkLiteral(fields, key, value, basePath));
    }
    problems.push(...fieldProblems);
  }
  for (const [key, field] of Object.entries(fields)) {
    // Conditionally required fields (`required: { conditions }`) depend on other fields' values,
    // which may come from the event: mapEvent reports them when a payload lacks them.
    const unmapped = mapping[key] === undefined || (mapping[key] === null && field.allowNull !== true);
    if (field.required === true && unmapped && field.default === undefined) {
      problems.push(mappingProblem('required_field_unmapped', joinPath(basePath, key), `required field "${key}" (${field.label}) has no mapping and no default`));
    }
  }
  return problems;
}

/**
 * mapping-kit's own check, run as a backstop behind checkDirectives: whatever `transform` would
 * reject up front is reported, even if the stricter checker above missed it. Its messages carry
 * the place inside the value (`/@if/exists/@path should be ...`), so they are kept whole.
 */
function structureProblems(value: unknown, at: string): MappingProblem[] {
  try {
    validateMappingStructure(value, []);
    return [];
  } catch (error) {
    const errors = Symbol.iterator in Object(error) ? [...(error as Iterable<Error>)] : [error as Error];
    return errors.map((e) => mappingProblem('invalid_directive', at, `mapping-kit: ${e.message.replace(/\.$/, '')}`));
  }
}
