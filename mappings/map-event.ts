/**
 * Runs a send step's mapping on one event and checks the result as the destination action would:
 * the payload a preview shows and a send hands to `perform`, or every problem with its field path.
 * `applyMapping` is the same without an action's fields, for destination functions.
 */
import { transform, type InputField, type JSONObject } from '../destinations/actions-core.ts';
import { checkPayload } from './action-schema.ts';
import { joinPath, mappingProblem, type MappingProblem } from './mapping-problem.ts';
import type { SendEvent } from './send-event.ts';

/** The payload a send would carry, or why there is none. */
export type MapEventResult =
  | { ok: true; payload: Record<string, unknown> }
  | { ok: false; problems: MappingProblem[] };

/** Options of mapEvent. */
export interface MapEventOptions {
  /** Prefix of problem paths, e.g. `steps[2].mapping`. Default `mapping`. */
  basePath?: string;
}

/** transform(mapping, event), pruned and validated against the action's fields (actions-core semantics). */
export function mapEvent(
  fields: Record<string, InputField>, mapping: Record<string, unknown>, event: SendEvent | Record<string, unknown>,
  options: MapEventOptions = {},
): MapEventResult {
  const basePath = options.basePath ?? 'mapping';
  const applied = applyMapping(mapping, event, options);
  if (!applied.ok) return applied;
  const { payload, problems } = checkPayload(fields, applied.payload, basePath);
  return problems.length === 0 ? { ok: true, payload } : { ok: false, problems };
}

/**
 * transform(mapping, event) alone, for targets without a field schema (destination functions):
 * what the mapping makes of the event, or a transform_failed problem for each field it fails on.
 * Never throws.
 */
export function applyMapping(mapping: Record<string, unknown>, event: SendEvent | Record<string, unknown>, options: MapEventOptions = {}): MapEventResult {
  const basePath = options.basePath ?? 'mapping';
  try {
    return { ok: true, payload: transform(mapping as JSONObject, event as Record<string, unknown>) };
  } catch {
    return { ok: false, problems: locateTransformFailures(mapping, event as Record<string, unknown>, basePath) };
  }
}

/**
 * transform reports only the first failure and no field; re-running it field by field (only on
 * the failure path, so sends pay nothing) tells the author which fields to fix.
 */
function locateTransformFailures(mapping: Record<string, unknown>, event: Record<string, unknown>, basePath: string): MappingProblem[] {
  const problems: MappingProblem[] = [];
  for (const [key, value] of Object.entries(mapping)) {
    try {
      transform({ [key]: value } as JSONObject, event);
    } catch (error) {
      problems.push(mappingProblem('transform_failed', joinPath(basePath, key), `the mapping fails on this event: ${describeError(error)}`));
    }
  }
  if (problems.length === 0) problems.push(mappingProblem('transform_failed', basePath, 'the mapping fails on this event'));
  return problems;
}

function describeError(error: unknown): string {
  if (Symbol.iterator in Object(error) && typeof error === 'object') {
    return [...(error as Iterable<Error>)].map((e) => e.message).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
