import type { ConditionProblemCode } from '../../conditions/condition-problem.ts';
import type { MappingProblemCode } from '../../../mappings/mapping-problem.ts';

/**
 * Every machine-readable journey_* code validateJourney and validateJourneyReferences can
 * report, with its meaning. Condition lists also report the condition_* codes of
 * engine/conditions/condition-problem.ts.
 */
export const JOURNEY_PROBLEM_CODES = {
  journey_schema: 'The document does not match the journey JSON Schema: a wrong type, a missing or unknown property, an unknown step type.',
  journey_duplicate_id: 'An id is used twice: step ids, branch ids within a step, exit rule ids, goal ids, activation keys.',
  journey_unknown_step: '`start` or a `next` (of a step, branch, timeout or otherwise) names no step.',
  journey_unreachable_step: 'No path leads from `start` to the step.',
  journey_cycle: 'Steps lead back to themselves without passing through a branch of a hold_until step that has `loop`.',
  journey_invalid_duration: 'A duration is not an ISO-8601 duration such as "PT30M", "P1D" or (offsets only) "-PT1H".',
  journey_duration_out_of_range: 'A duration is outside its range: waits, timeouts and goal windows 1 second to 2 years; look-backs 0 to 1 day; offsets at most 2 years either way.',
  journey_invalid_timezone: 'A timezone is not an IANA zone name such as "Europe/Berlin".',
  journey_invalid_date: 'A date is not a real calendar date written YYYY-MM-DD.',
  journey_invalid_date_range: 'An availability window starts after it ends.',
  journey_invalid_time: 'A time of day is not HH:mm between 00:00 and 23:59.',
  journey_duplicate_weekday: 'A weekday is listed twice.',
  journey_invalid_percent: 'A random split percentage is not greater than 0 and at most 100.',
  journey_percent_sum: 'The percentages of a random split do not add up to 100.',
  journey_branches_overlap: 'Two branches of a hold_until step wait for the same event and their conditions can both hold.',
  journey_identifier: 'The identifier is used inconsistently: multiple_active needs a simple property path, matchIdentifier needs an identifier.',
  journey_invalid_path: 'A property path (who enters, identifier, delay date) is malformed.',
  journey_limit: 'A count or setting is outside its limit (steps, branches, exit rules, goals, maxLoops, maxContextBytes, maxActiveInstancesPerProfile).',
  journey_invalid_activation_key: 'An activation key is not 4 to 64 letters, digits, `_` or `-`.',
  journey_invalid_payload: 'A payload context or traits list holds an empty name.',
  journey_event_not_in_catalog: "The entry event is not in the space's event catalog (checked when publishing).",
  journey_unknown_audience: 'An audience id names no audience of the space (checked when publishing).',
  journey_unknown_destination: 'A send targets a destination id the space does not have (checked when publishing).',
  journey_unknown_action: "A send names an action its destination's plugin does not have (checked when publishing).",
  journey_unknown_function: 'A send targets a function id the space does not have (checked when publishing).',
  journey_function_not_deployed: 'A send targets a function that has no deployed version (checked when publishing).',
} as const;

/** A machine-readable journey_* problem code. */
export type JourneyOwnProblemCode = keyof typeof JOURNEY_PROBLEM_CODES;

/** Any code a journey problem can carry: a journey_* code, a condition_* code, or a send mapping's code (mappings/README.md). */
export type JourneyProblemCode = JourneyOwnProblemCode | ConditionProblemCode | MappingProblemCode;

/** One thing wrong with a journey document, at a JSON pointer such as `/steps/3/timeout/after`. */
export interface JourneyProblem {
  path: string;
  code: JourneyProblemCode;
  message: string;
}

/** Builds a problem whose message says what is wrong, where (`at /steps/3/next`), then an optional hint. */
export function journeyProblem(code: JourneyProblemCode, path: string, what: string, hint?: string): JourneyProblem {
  const where = path === '' ? '/' : path;
  return { path, code, message: hint === undefined ? `${what} at ${where}` : `${what} at ${where}; ${hint}` };
}

/** A key as one JSON pointer segment (RFC 6901: `~` is written `~0`, `/` is written `~1`). */
export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}
