import { invalidRequest } from '../errors.ts';

/** Whether a JSON value is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `value` as an object holding only `allowed` keys, or an invalid_request: `notObject` at `path`
 * when it is not an object, `unknown property '<key>'` at `<path>/<key>` for a key not allowed.
 */
export function objectWithKeys(value: unknown, allowed: readonly string[], path = '', notObject = 'the body must be a JSON object'): Record<string, unknown> {
  if (!isJsonObject(value)) throw invalidRequest(notObject, path);
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw invalidRequest(`unknown property '${key}'`, `${path}/${key}`);
  return value;
}
