import type { FunctionSettingSpec } from '../store/function-store.ts';
import { mergeSecrets, redactSecrets } from '../../destinations/settings.ts';


/** One problem with a function's settings, at a JSON pointer such as `/settings/apiKey`. */
export interface FunctionSettingProblem {
  path: string;
  code: 'required' | 'invalid_type' | 'unknown_setting';
  message: string;
}

function typeOk(spec: FunctionSettingSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'map': return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  }
}

/** Every problem of `settings` against the function's declared settings. */
export function validateFunctionSettings(schema: readonly FunctionSettingSpec[], settings: Record<string, unknown>): FunctionSettingProblem[] {
  const problems: FunctionSettingProblem[] = [];
  const byName = new Map(schema.map((s) => [s.name, s]));
  for (const key of Object.keys(settings)) {
    if (!byName.has(key)) problems.push({ path: `/settings/${key}`, code: 'unknown_setting', message: `'${key}' is not a declared setting (declared: ${[...byName.keys()].join(', ') || 'none'})` });
  }
  for (const spec of schema) {
    const value = settings[spec.name];
    if (value === undefined || value === null) {
      if (spec.required) problems.push({ path: `/settings/${spec.name}`, code: 'required', message: `setting '${spec.name}' is required` });
      continue;
    }
    if (!typeOk(spec, value)) {
      const want = spec.type === 'array' ? 'an array of strings' : spec.type === 'map' ? 'an object of strings' : `a ${spec.type}`;
      problems.push({ path: `/settings/${spec.name}`, code: 'invalid_type', message: `setting '${spec.name}' must be ${want}` });
    }
  }
  return problems;
}

const secretKeys = (schema: readonly FunctionSettingSpec[]) => schema.filter((s) => s.secret).map((s) => s.name);

/** Settings as the API shows them: each set secret replaced by the secret marker (as destinations' are). */
export function redactFunctionSettings(schema: readonly FunctionSettingSpec[], settings: Record<string, unknown>): Record<string, unknown> {
  return redactSecrets(secretKeys(schema), settings);
}

/**
 * An update's settings over the stored ones, as destinations' are merged: a secret left out or
 * sent back as the marker keeps its stored value (the client never saw it); null clears it.
 */
export function mergeFunctionSettings(schema: readonly FunctionSettingSpec[], stored: Record<string, unknown>, incoming: Record<string, unknown>): Record<string, unknown> {
  return mergeSecrets(secretKeys(schema), stored, incoming);
}
