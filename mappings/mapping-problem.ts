/**
 * Every machine-readable code a mapping problem can carry, with its meaning. The first five come
 * from validateMapping (when a journey is saved or published); the last three from mapEvent
 * (preview, and the send itself).
 */
export const MAPPING_PROBLEM_CODES = {
  unknown_field: 'The mapping has a key that is not a field of the destination action.',
  required_field_unmapped: 'A required field of the action has no mapping and no default.',
  invalid_directive: 'A mapping directive is unknown (`@xyz`), has the wrong argument shape, or holds a malformed path or template.',
  field_type_mismatch: 'A literal (directive-free) value does not fit the field type, format or choices.',
  unknown_path: 'A path starts at something the send event does not have (e.g. `traits.email` instead of `context.traits.email`) or names an event the journey context never holds.',
  transform_failed: 'Applying the mapping to the event threw (e.g. `@case` with a non-string operator result).',
  required_value_missing: 'A required field resolved to nothing for this event (its path found no value).',
  value_invalid: 'A mapped value does not fit the field schema for this event (type, format, enum, ...).',
} as const;

/** A machine-readable mapping problem code. */
export type MappingProblemCode = keyof typeof MAPPING_PROBLEM_CODES;

/** One thing wrong with a send step's mapping, at a path that names the step and the field. */
export interface MappingProblem {
  path: string;
  code: MappingProblemCode;
  message: string;
}

/**
 * Appends path segments in the style of `basePath`: JSON pointer segments (`/email/@if`) when it
 * starts with `/` (journey problems use pointers), else dotted segments (`steps[2].mapping.email`)
 * with numeric indexes and awkward keys in brackets.
 */
export function joinPath(basePath: string, ...segments: Array<string | number>): string {
  let path = basePath;
  const pointer = basePath === '' ? false : basePath.startsWith('/');
  for (const segment of segments) {
    if (pointer) {
      path += `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`;
    } else if (typeof segment === 'number') {
      path += `[${segment}]`;
    } else if (/^[A-Za-z_$@][\w$@-]*$/.test(segment)) {
      path += path === '' ? segment : `.${segment}`;
    } else {
      path += `[${JSON.stringify(segment)}]`;
    }
  }
  return path;
}

/** Builds a problem whose message says what is wrong and where (`at steps[2].mapping.email`). */
export function mappingProblem(code: MappingProblemCode, path: string, what: string): MappingProblem {
  return { path, code, message: `${what} at ${path === '' ? '(mapping)' : path}` };
}
