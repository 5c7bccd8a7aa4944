import { EngineError, invalidRequest } from '../errors.ts';
import type { Condition } from '../conditions/condition.ts';
import { validateConditions } from '../conditions/validate-conditions.ts';
import type { ProfileRef } from '../profiles/profile-ref.ts';

/** The body of `POST /api/v1/audiences` and `PUT /api/v1/audiences/{id}`. */
export interface AudienceInput {
  name: string;
  description: string | null;
  rule: Condition[] | null;
}

const FIELDS = new Set(['name', 'description', 'rule']);

/** Checks an audience body and reports every condition problem with its path. */
export function parseAudienceInput(body: unknown): AudienceInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('the body must be a JSON object', '');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!FIELDS.has(key)) throw invalidRequest(`unknown field '${key}'`, `/${key}`);
  if (typeof b['name'] !== 'string' || b['name'].trim().length === 0 || b['name'].length > 200) {
    throw invalidRequest('name must be a non-empty string of at most 200 characters', '/name');
  }
  if (b['description'] !== undefined && b['description'] !== null && typeof b['description'] !== 'string') {
    throw invalidRequest('description must be a string', '/description');
  }
  if (b['rule'] !== undefined && b['rule'] !== null) {
    const problems = validateConditions(b['rule'], '/rule');
    if (problems.length > 0) {
      throw new EngineError('invalid_conditions', `${problems.length} problem(s) in the rule; first: ${problems[0]!.message}`,
        { path: problems[0]!.path, problems });
    }
  }
  return {
    name: b['name'].trim(),
    description: (b['description'] as string | null | undefined) ?? null,
    rule: (b['rule'] as Condition[] | null | undefined) ?? null,
  };
}


const REF_KEYS = ['profileId', 'userId', 'anonymousId', 'email'] as const;

/** Parses `{ "add": [ref…], "remove": [ref…] }`. */
export function parseMembershipChange(body: unknown): { add: ProfileRef[]; remove: ProfileRef[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('the body must be a JSON object', '');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (key !== 'add' && key !== 'remove') throw invalidRequest(`unknown field '${key}'`, `/${key}`);
  const parseList = (key: 'add' | 'remove'): ProfileRef[] => {
    const list = b[key] ?? [];
    if (!Array.isArray(list)) throw invalidRequest(`${key} must be an array`, `/${key}`);
    if (list.length > 1000) throw invalidRequest(`${key} takes at most 1000 profiles per request`, `/${key}`);
    return list.map((ref, i) => {
      const entries = ref !== null && typeof ref === 'object' ? Object.entries(ref as object) : [];
      const [k, v] = entries[0] ?? [];
      if (entries.length !== 1 || !(REF_KEYS as readonly unknown[]).includes(k) || typeof v !== 'string' || v.length === 0) {
        throw invalidRequest('each profile must be one of {profileId}, {userId}, {anonymousId}, {email} with a non-empty string', `/${key}/${i}`);
      }
      return { [k as string]: v } as ProfileRef;
    });
  };
  const change = { add: parseList('add'), remove: parseList('remove') };
  if (change.add.length + change.remove.length === 0) throw invalidRequest('add or remove at least one profile', '');
  return change;
}
