/**
 * A destination instance's settings against its plugin's `authentication.fields`: validation
 * (every problem, with its path), redaction of secrets for API answers, and merging an update
 * into stored settings without losing secrets the client never saw.
 *
 * Secret = a field of `type: 'password'`. Redaction REPLACES a set secret with SECRET_MARKER
 * (it does not omit it), so a client can tell "set" from "not set" and send the marker back
 * unchanged; mergeSettings then keeps the stored value.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fieldsToJsonSchema } from './actions-core.ts';
import type { Plugin } from './plugin.ts';

/** One problem with a settings object; `path` is `settings.<field>` (or `settings`). */
export interface SettingsProblem {
  path: string;
  code: 'required' | 'invalid_type' | 'invalid_format' | 'invalid_choice' | 'unknown_setting' | 'invalid_value';
  message: string;
}

/** The settings object of a destination instance. */
export type DestinationSettings = Record<string, unknown>;

/** What redactSettings puts in place of a set secret (and what mergeSettings recognises). */
export const SECRET_MARKER = '••••';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// Our own ajv instance, not actions-core's: no type coercion and no `removeAdditional`, so a
// wrong type or an unknown key is reported instead of silently "fixed", and no shared cache.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
for (const format of ['password', 'text', 'date-like']) ajv.addFormat(format, true);

const validators = new WeakMap<Plugin, ValidateFunction>();

function settingsFields(plugin: Plugin) {
  return plugin.definition.authentication?.fields ?? {};
}

function validatorFor(plugin: Plugin): ValidateFunction {
  let validate = validators.get(plugin);
  if (!validate) {
    const { $schema: _ignored, ...schema } = fieldsToJsonSchema(settingsFields(plugin)) as Record<string, unknown>;
    validate = ajv.compile(schema);
    validators.set(plugin, validate);
  }
  return validate;
}

/** The keys of the plugin's secret (password) settings. */
export function secretSettingKeys(plugin: Plugin): string[] {
  return Object.entries(settingsFields(plugin)).filter(([, field]) => field.type === 'password').map(([key]) => key);
}

function toProblem(error: ErrorObject): SettingsProblem | undefined {
  const field = error.instancePath.split('/').filter(Boolean).join('.');
  const path = field ? `settings.${field}` : 'settings';
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { path: `settings.${missing}`, code: 'required', message: `"${missing}" is required` };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return { path: `settings.${extra}`, code: 'unknown_setting', message: `"${extra}" is not a setting of this destination` };
    }
    case 'type':
      return { path, code: 'invalid_type', message: `must be ${(error.params as { type: string }).type}` };
    case 'format':
      return { path, code: 'invalid_format', message: `must be a valid ${(error.params as { format: string }).format}` };
    case 'enum':
      return { path, code: 'invalid_choice', message: `must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}` };
    case 'if':
      return undefined; // conditional requirements also report the `required` error itself
    default:
      return { path, code: 'invalid_value', message: error.message ?? 'is invalid' };
  }
}

/** Every problem of `settings` against the plugin's settings fields; empty when valid. */
export function validateSettings(plugin: Plugin, settings: unknown): SettingsProblem[] {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    return [{ path: 'settings', code: 'invalid_type', message: 'settings must be an object' }];
  }
  const problems: SettingsProblem[] = [];
  const validate = validatorFor(plugin);
  if (!validate(settings)) {
    for (const error of validate.errors ?? []) {
      const problem = toProblem(error);
      if (problem) problems.push(problem);
    }
  }
  // A required text setting sent as "" is as missing as an absent one.
  for (const [key, field] of Object.entries(settingsFields(plugin))) {
    if (field.required === true && (settings as DestinationSettings)[key] === '') {
      problems.push({ path: `settings.${key}`, code: 'required', message: `"${key}" is required and must not be empty` });
    }
  }
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const id = `${problem.path}|${problem.code}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

/** A copy of `settings` safe to return from the API: every set secret replaced by SECRET_MARKER. */
export function redactSettings(plugin: Plugin, settings: DestinationSettings): DestinationSettings {
  return redactSecrets(secretSettingKeys(plugin), settings);
}

/** redactSettings for any list of secret keys (destination functions declare theirs in a schema). */
export function redactSecrets(secretKeys: readonly string[], settings: DestinationSettings): DestinationSettings {
  const redacted = { ...settings };
  for (const key of secretKeys) {
    if (redacted[key] !== undefined && redacted[key] !== null && redacted[key] !== '') redacted[key] = SECRET_MARKER;
  }
  return redacted;
}

/** Secrets shorter than this are not searched for in text (they would mask ordinary words). */
const MIN_REDACTED_LENGTH = 4;

/**
 * The values of the secret settings that are set, as text: what redactSecretValues looks for.
 * A list or map secret counts item by item, and each value also in the forms a URL carries it
 * (encodeURIComponent, `+` for spaces, URLSearchParams' form encoding, encodeURI, escape), since
 * code puts keys in query strings, and as it reads inside JSON text (quotes, backslashes and
 * newlines escaped), since logs and stored responses are JSON.
 */
export function secretValues(secretKeys: readonly string[], settings: DestinationSettings): string[] {
  const texts: string[] = [];
  const add = (value: unknown): void => {
    if (value === undefined || value === null || value === '') return;
    if (Array.isArray(value)) return value.forEach(add);
    if (typeof value === 'object') return Object.values(value).forEach(add);
    const text = String(value);
    const component = encodeURIComponent(text);
    const forms = [text, component, component.replace(/%20/g, '+'), new URLSearchParams([['k', text]]).toString().slice(2), encodeURI(text), escape(text)];
    for (const form of forms) texts.push(form, JSON.stringify(form).slice(1, -1));
  };
  for (const key of secretKeys) add(settings[key]);
  return [...new Set(texts)].filter((v) => v.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * `text` with every occurrence of a secret value replaced by SECRET_MARKER: for text that comes
 * back from a destination or a plugin (a response body echoing the request's headers, an error
 * message quoting a URL with a key in it) before the engine stores, shows or logs it.
 */
export function redactSecretValues(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) if (redacted.includes(secret)) redacted = redacted.split(secret).join(SECRET_MARKER);
  // Text cut to a length limit may end in the first characters of a secret.
  for (const secret of secrets) {
    for (let n = secret.length - 1; n >= MIN_REDACTED_LENGTH; n--) {
      if (redacted.endsWith(secret.slice(0, n))) {
        redacted = `${redacted.slice(0, -n)}${SECRET_MARKER}`;
        break;
      }
    }
  }
  return redacted;
}

/**
 * `value` (any JSON-like value) with every secret value masked in its strings and object keys, at
 * any depth: for what customer code returns, which may carry a secret it was given.
 */
export function redactSecretValuesDeep(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactSecretValues(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactSecretValuesDeep(v, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactSecretValues(k, secrets), redactSecretValuesDeep(v, secrets)]));
  }
  return value;
}

/**
 * The settings to store after an update: `incoming` wins, except that a secret absent from it or
 * equal to SECRET_MARKER keeps its stored value. Sending `null` for a secret clears it. Non-secret
 * settings absent from `incoming` are removed (an update is a replacement, as PUT is).
 */
export function mergeSettings(plugin: Plugin, stored: DestinationSettings, incoming: DestinationSettings): DestinationSettings {
  return mergeSecrets(secretSettingKeys(plugin), stored, incoming);
}

/** mergeSettings for any list of secret keys. */
export function mergeSecrets(secretKeys: readonly string[], stored: DestinationSettings, incoming: DestinationSettings): DestinationSettings {
  const merged: DestinationSettings = { ...incoming };
  for (const key of secretKeys) {
    const value = incoming[key];
    if (value === null) delete merged[key];
    else if ((value === undefined || value === SECRET_MARKER) && stored[key] !== undefined) merged[key] = stored[key];
    else if (value === SECRET_MARKER) delete merged[key]; // marker for a secret that was never set
  }
  return merged;
}
