/**
 * Action field defaults, copied into a send step's stored mapping when the step is configured.
 * Why stored: actions-core does not apply `default` at run time, and copying once means a later
 * change of a plugin's defaults does not silently change what published journeys send.
 */
import type { InputField } from '../destinations/actions-core.ts';

/** `mapping` plus each field's `default` for every field the mapping has no key for; never overrides. */
export function withActionDefaults(fields: Record<string, InputField>, mapping: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...mapping };
  for (const [key, field] of Object.entries(fields)) {
    // `in` rather than `!== undefined`: a key the author set, even to null, is a choice to keep.
    if (!(key in result) && field.default !== undefined) result[key] = structuredClone(field.default);
  }
  return result;
}
