import type { Request } from 'express';
import { invalidRequest } from '../errors.ts';

/** A page size from `?limit=` (1…max, default `fallback`). */
export function limitParam(req: Request, fallback = 100, max = 1000): number {
  const raw = req.query['limit'];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 1 || n > max) {
    throw invalidRequest(`limit must be an integer between 1 and ${max}`, '?limit');
  }
  return n;
}

/**
 * Refuses any query parameter the endpoint does not take (400 at `?<name>`). Why: a misspelt
 * filter (`?userid=`, `?form=`) would otherwise be ignored, and the answer would silently cover
 * everything instead of what was asked for.
 */
export function onlyParams(req: Request, names: readonly string[]): void {
  for (const name of Object.keys(req.query)) {
    if (!names.includes(name)) {
      throw invalidRequest(`unknown query parameter '${name}': this endpoint takes ${names.map((n) => `?${n}=`).join(', ') || 'none'}`, `?${name}`);
    }
  }
}

/** An optional single string query parameter. */
export function stringParam(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0) throw invalidRequest(`${name} must be a single non-empty value`, `?${name}`);
  return raw;
}
