import type { Request } from 'express';
import { invalidRequest } from '../errors.ts';
import { stringParam } from '../http/query-params.ts';
import { parseIsoInstant } from '../conditions/iso-instant.ts';

/** An optional `?from=` / `?to=` pair as epoch ms: from inclusive, to exclusive. */
export interface TimeRange {
  from: number | null;
  to: number | null;
}

/**
 * Reads `?from=` and `?to=` (ISO-8601 date or date-time; without an offset, UTC). 400
 * `invalid_request` naming the parameter when one is not a date, or when from is after to.
 */
export function timeRangeParams(req: Request): TimeRange {
  const read = (name: 'from' | 'to'): number | null => {
    const raw = stringParam(req, name);
    if (raw === undefined) return null;
    const ms = parseIsoInstant(raw);
    if (ms === undefined) throw invalidRequest(`${name} must be an ISO-8601 date or date-time, got '${raw}'`, `?${name}`);
    return ms;
  };
  const range = { from: read('from'), to: read('to') };
  // from = to is an empty range (nothing happened in it); from after to is a mistake.
  if (range.from !== null && range.to !== null && range.from > range.to) {
    throw invalidRequest('from must not be after to', '?from');
  }
  return range;
}
