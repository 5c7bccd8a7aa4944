import type { Request } from 'express';
import { invalidRequest } from '../errors.ts';
import { stringParam } from './query-params.ts';

/** Which listing a cursor belongs to: a cursor of one listing is refused by another. */
export type CursorKind = 'events' | 'instances' | 'deliveries' | 'journey-deliveries' | 'members';

/**
 * A listing's `nextCursor`, opaque to clients: the listing's name and the store's position (an id,
 * or the event log's sequence number on SQLite). Why not the position alone: a made-up or mistyped
 * value then read as a position, and the stores disagreed on what it meant (an empty page on one,
 * the first page again on the other).
 */
export function encodeCursor(kind: CursorKind, position: string): string {
  return Buffer.from(`${kind}:${position}`).toString('base64url');
}

/** `nextCursor` for a page: null stays null. */
export function encodeNextCursor(kind: CursorKind, position: string | null): string | null {
  return position === null ? null : encodeCursor(kind, position);
}

/**
 * The store position of `?cursor` for a `kind` listing, undefined when absent; 400
 * `invalid_request` at `?cursor` when it is not a cursor this listing returned.
 */
export function cursorParam(req: Request, kind: CursorKind): string | undefined {
  const cursor = stringParam(req, 'cursor');
  if (cursor === undefined) return undefined;
  const prefix = `${kind}:`;
  // base64url only: Buffer.from would skip other characters and decode what is left.
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith(prefix) || decoded.length === prefix.length || encodeCursor(kind, decoded.slice(prefix.length)) !== cursor) {
    throw invalidRequest('cursor is not a cursor this listing returned (use nextCursor from the previous page)', '?cursor');
  }
  return decoded.slice(prefix.length);
}
