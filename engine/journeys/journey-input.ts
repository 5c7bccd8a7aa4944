import { invalidRequest } from '../errors.ts';
import { isJsonObject, objectWithKeys } from '../http/object-body.ts';
import type { JourneyDefinition } from './definition/journey-definition.ts';

/** The largest journey document accepted (bytes of JSON). */
export const MAX_JOURNEY_DOCUMENT_BYTES = 512 * 1024;

/**
 * Accepts a journey document as a draft. Drafts may be incomplete or invalid (builders save work
 * in progress; `validate` and `publish` report every problem), but they must be a JSON object
 * with a usable name.
 */
export function parseJourneyDocument(body: unknown): JourneyDefinition {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('the journey must be a JSON object', '');
  const doc = body as Record<string, unknown>;
  if (typeof doc['name'] !== 'string' || doc['name'].trim().length === 0 || doc['name'].length > 200) {
    throw invalidRequest('name must be a non-empty string of at most 200 characters', '/name');
  }
  if (doc['steps'] !== undefined && !Array.isArray(doc['steps'])) throw invalidRequest('steps must be an array', '/steps');
  if (Buffer.byteLength(JSON.stringify(doc)) > MAX_JOURNEY_DOCUMENT_BYTES) {
    throw invalidRequest(`the journey document is larger than ${MAX_JOURNEY_DOCUMENT_BYTES} bytes`, '');
  }
  checkSendShapes(doc);
  return { ...(doc as unknown as JourneyDefinition), name: doc['name'].trim() };
}

/**
 * A draft may be incomplete or invalid, but its sends are read when it is saved (activation keys
 * are given, destinations looked up and their defaults copied into the mapping) and when it is
 * previewed, so their parts must have the right JSON types: a send is an object, its target null
 * or an object whose ids are strings, its mapping and payload objects, its payload lists "all" or
 * arrays. Anything else is answered 400 at its path, before anything is stored.
 */
function checkSendShapes(doc: Record<string, unknown>): void {
  const sends: Array<{ spec: unknown; at: string }> = [];
  (Array.isArray(doc['steps']) ? doc['steps'] : []).forEach((step: unknown, i) => {
    if (isJsonObject(step) && step['type'] === 'send') sends.push({ spec: step, at: `/steps/${i}` });
  });
  (Array.isArray(doc['exitRules']) ? doc['exitRules'] : []).forEach((rule: unknown, i) => {
    if (isJsonObject(rule) && rule['send'] !== undefined) sends.push({ spec: rule['send'], at: `/exitRules/${i}/send` });
  });
  for (const { spec, at } of sends) {
    if (!isJsonObject(spec)) throw invalidRequest('a send must be an object', at);
    const target = spec['target'];
    if (target !== undefined && target !== null) {
      if (!isJsonObject(target)) throw invalidRequest('target must be null or an object', `${at}/target`);
      for (const key of ['destinationId', 'functionId', 'action']) {
        if (target[key] !== undefined && typeof target[key] !== 'string') throw invalidRequest(`${key} must be a string`, `${at}/target/${key}`);
      }
    }
    if (spec['mapping'] !== undefined && spec['mapping'] !== null && !isJsonObject(spec['mapping'])) {
      throw invalidRequest('mapping must be an object of field mappings', `${at}/mapping`);
    }
    const payload = spec['payload'];
    if (payload === undefined || payload === null) continue;
    if (!isJsonObject(payload)) throw invalidRequest('payload must be an object', `${at}/payload`);
    for (const part of ['context', 'traits']) {
      const list = payload[part];
      if (list !== undefined && list !== 'all' && !Array.isArray(list)) throw invalidRequest(`payload ${part} must be "all" or a list of names`, `${at}/payload/${part}`);
    }
  }
}

/** The body of `POST /api/v1/journeys/{id}/duplicate`. */
export function parseDuplicateBody(body: unknown): { name: string } {
  const name = (body as Record<string, unknown> | null)?.['name'];
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
    throw invalidRequest('a new, unique name is required: a non-empty string of at most 200 characters', '/name');
  }
  return { name: name.trim() };
}

/** The body of `POST /api/v1/journeys/{id}/publish`: what happens to the previous version's instances. */
export function parsePublishBody(body: unknown): { previousVersion: 'drain' | 'archive' } {
  // An absent body reads as {} (json-body.ts); a JSON null is not an object.
  const b = objectWithKeys(body === undefined ? {} : body, ['previousVersion']);
  const previous = b['previousVersion'] ?? 'drain';
  if (previous !== 'drain' && previous !== 'archive') {
    throw invalidRequest("previousVersion must be 'drain' (let its instances finish) or 'archive' (exit them)", '/previousVersion');
  }
  return { previousVersion: previous };
}
