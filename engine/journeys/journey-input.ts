import { invalidRequest } from '../errors.ts';
import { objectWithKeys } from '../http/object-body.ts';
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
  return { ...(doc as unknown as JourneyDefinition), name: doc['name'].trim() };
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
  const b = objectWithKeys(body ?? {}, ['previousVersion']);
  const previous = b['previousVersion'] ?? 'drain';
  if (previous !== 'drain' && previous !== 'archive') {
    throw invalidRequest("previousVersion must be 'drain' (let its instances finish) or 'archive' (exit them)", '/previousVersion');
  }
  return { previousVersion: previous };
}
