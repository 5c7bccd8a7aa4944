/**
 * Checks a resolved payload against an action's field schema exactly as actions-core's
 * `Action.execute` does before `perform`: prune empty values, then validate with actions-core's
 * own Ajv (type coercion, `text`/`date-like` formats, unknown keys removed). The payload is changed
 * in place the same way, so what passes is what the destination would receive.
 */
import { fieldsToJsonSchema, removeEmptyValues, validateSchema, type InputField } from '../destinations/actions-core.ts';
import { joinPath, mappingProblem, type MappingProblem } from './mapping-problem.ts';

type Schema = Parameters<typeof validateSchema>[1];

// Why cached per fields object: actions-core's Ajv caches compiled validators by schema object,
// so a fresh schema per call would recompile and grow that cache on every send.
const schemas = new WeakMap<Record<string, InputField>, Schema>();
const fieldSchemas = new WeakMap<Record<string, InputField>, Map<string, Schema>>();

/** The JSON Schema of an action's fields, built once per fields record. */
export function actionSchema(fields: Record<string, InputField>): Schema {
  let schema = schemas.get(fields);
  if (!schema) {
    schema = fieldsToJsonSchema(fields) as Schema;
    schemas.set(fields, schema);
  }
  return schema;
}

/** The schema of a payload holding only `key` (no required list): used to check one literal value. */
function singleFieldSchema(fields: Record<string, InputField>, key: string): Schema {
  let byKey = fieldSchemas.get(fields);
  if (!byKey) fieldSchemas.set(fields, (byKey = new Map()));
  let schema = byKey.get(key);
  if (!schema) {
    const properties = (actionSchema(fields).properties ?? {}) as Record<string, Schema>;
    schema = { type: 'object', properties: { [key]: properties[key] ?? {} } } as Schema;
    byKey.set(key, schema);
  }
  return schema;
}

/** Prunes and validates `payload` against the action's schema; returns the payload as perform would get it. */
export function checkPayload(
  fields: Record<string, InputField>, payload: Record<string, unknown>, basePath: string,
): { payload: Record<string, unknown>; problems: MappingProblem[] } {
  const schema = actionSchema(fields);
  const pruned = removeEmptyValues(payload, schema, true) as Record<string, unknown>;
  return { payload: pruned, problems: validate(pruned, schema, basePath) };
}

/** Problems with one directive-free field value, as the send would find them. */
export function checkLiteral(fields: Record<string, InputField>, key: string, value: unknown, basePath: string): MappingProblem[] {
  const schema = singleFieldSchema(fields, key);
  // Copied: validation coerces and prunes in place, and the stored mapping must stay as written.
  const payload = removeEmptyValues({ [key]: structuredClone(value) }, schema, true) as Record<string, unknown>;
  return validate(payload, schema, basePath).map((p) => ({ ...p, code: 'field_type_mismatch' as const }));
}

function validate(payload: Record<string, unknown>, schema: Schema, basePath: string): MappingProblem[] {
  try {
    validateSchema(payload, schema);
    return [];
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) return [mappingProblem('value_invalid', basePath, `the payload does not validate: ${(error as Error).message}`)];
    return errors.map((e: { pointer?: string; message?: string }) => toProblem(e.pointer ?? '', e.message ?? 'is invalid', basePath));
  }
}

function toProblem(pointer: string, message: string, basePath: string): MappingProblem {
  // Numeric segments are list indexes (`items[0].id`); field keys are never numeric.
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  // ajv-human-errors words a missing required property this way; it carries no keyword field.
  const missing = /is missing the required field '(.+)'\.?$/.exec(message);
  if (missing?.[1] !== undefined) {
    return mappingProblem('required_value_missing', joinPath(basePath, ...segments, missing[1]),
      `required field "${joinPath('', ...segments, missing[1])}" has no value for this event`);
  }
  return mappingProblem('value_invalid', joinPath(basePath, ...segments), message.replace(/\.$/, ''));
}
