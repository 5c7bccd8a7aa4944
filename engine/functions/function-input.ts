import { invalidRequest } from '../errors.ts';
import { isJsonObject, objectWithKeys } from '../http/object-body.ts';
import type { FunctionSettingSpec } from '../store/function-store.ts';

/** A create or update body of `/api/v1/functions`. */
export interface FunctionInput {
  name: string;
  description: string | null;
  code: string;
  settingsSchema: FunctionSettingSpec[];
  settings: Record<string, unknown>;
}

/** Longest function source accepted. */
export const MAX_FUNCTION_CODE_BYTES = 512 * 1024;

const SETTING_TYPES = ['string', 'number', 'boolean', 'array', 'map'] as const;

/** Reads and checks a function body; throws invalid_request with the JSON pointer of the first bad field. */
export function parseFunctionInput(body: unknown): FunctionInput {
  const { name, description = null, code, settingsSchema = [], settings = {} } = objectWithKeys(body, ['name', 'description', 'code', 'settingsSchema', 'settings']);
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) throw invalidRequest('name must be a non-empty string of at most 200 characters', '/name');
  if (description !== null && typeof description !== 'string') throw invalidRequest('description must be a string', '/description');
  if (typeof code !== 'string' || code.trim() === '') throw invalidRequest('code must be the function source (a non-empty string)', '/code');
  if (Buffer.byteLength(code) > MAX_FUNCTION_CODE_BYTES) throw invalidRequest(`code is larger than ${MAX_FUNCTION_CODE_BYTES} bytes`, '/code');
  if (!Array.isArray(settingsSchema)) throw invalidRequest('settingsSchema must be an array of settings', '/settingsSchema');
  const names = new Set<string>();
  const schema = settingsSchema.map((spec, i): FunctionSettingSpec => {
    const at = `/settingsSchema/${i}`;
    objectWithKeys(spec, ['name', 'label', 'description', 'type', 'required', 'secret'], at, 'a setting must be an object');
    if (typeof spec['name'] !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(spec['name'])) {
      throw invalidRequest('name must be an identifier (letters, digits, _; at most 64)', `${at}/name`);
    }
    if (names.has(spec['name'])) throw invalidRequest(`setting '${spec['name']}' is declared twice`, `${at}/name`);
    names.add(spec['name']);
    if (!(SETTING_TYPES as readonly unknown[]).includes(spec['type'])) throw invalidRequest(`type must be one of ${SETTING_TYPES.join(', ')}`, `${at}/type`);
    for (const key of ['required', 'secret'] as const) {
      if (spec[key] !== undefined && typeof spec[key] !== 'boolean') throw invalidRequest(`${key} must be true or false`, `${at}/${key}`);
    }
    for (const key of ['label', 'description'] as const) {
      if (spec[key] !== undefined && typeof spec[key] !== 'string') throw invalidRequest(`${key} must be a string`, `${at}/${key}`);
    }
    return spec as unknown as FunctionSettingSpec;
  });
  if (!isJsonObject(settings)) throw invalidRequest('settings must be an object', '/settings');
  return { name: name.trim(), description, code, settingsSchema: schema, settings };
}

/** Reads a test body: `{event}` (or `{events}` for onBatch), optional `settings` and `version`. */
export function parseFunctionTest(body: unknown): { event?: Record<string, unknown>; events?: Array<Record<string, unknown>>; settings?: Record<string, unknown>; version?: number } {
  const b = objectWithKeys(body, ['event', 'events', 'settings', 'version']);
  const out: ReturnType<typeof parseFunctionTest> = {};
  if (b['event'] !== undefined) {
    if (!isJsonObject(b['event'])) throw invalidRequest('event must be a Segment message (an object)', '/event');
    out.event = b['event'];
  }
  if (b['events'] !== undefined) {
    const events = b['events'];
    if (!Array.isArray(events) || events.length === 0 || events.length > 1000 || !events.every(isJsonObject)) {
      throw invalidRequest('events must be a non-empty array of at most 1,000 messages', '/events');
    }
    out.events = events;
  }
  if ((out.event === undefined) === (out.events === undefined)) throw invalidRequest('give either `event` (one call of its handler) or `events` (onBatch)', '/event');
  if (b['settings'] !== undefined) {
    if (!isJsonObject(b['settings'])) throw invalidRequest('settings must be an object', '/settings');
    out.settings = b['settings'];
  }
  if (b['version'] !== undefined) {
    if (typeof b['version'] !== 'number' || !Number.isInteger(b['version']) || b['version'] < 1) throw invalidRequest('version must be a version number', '/version');
    out.version = b['version'];
  }
  return out;
}
