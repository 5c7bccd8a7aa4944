import { invalidRequest } from '../errors.ts';
import { parseIsoInstant } from '../conditions/iso-instant.ts';
import type { ActivityPosition, ActivityRecord } from '../store/activity-store.ts';

/**
 * An activity page's cursor: the (time, id) of its last record, opaque to clients. Not the id
 * alone, so a page starts with an index seek instead of first looking the record up, and records
 * sharing a time are neither repeated nor skipped.
 */
export function encodeActivityCursor(record: Pick<ActivityRecord, 'at' | 'id'>): string {
  return Buffer.from(JSON.stringify([record.at, record.id])).toString('base64url');
}

/** The position a cursor stands for; 400 `invalid_request` at `?cursor` when it is not one of ours. */
export function decodeActivityCursor(cursor: string): ActivityPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  // Both parts as this API writes them: a made-up time would sort past every record and restart the paging.
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string'
    || parseIsoInstant(parsed[0]) === undefined || parsed[1] === '') {
    throw invalidRequest('cursor is not a cursor this API returned (use nextCursor from the previous page)', '?cursor');
  }
  return { at: parsed[0], id: parsed[1] };
}
