import { Router } from 'express';
import { invalidRequest } from '../errors.ts';
import { principalOf } from '../http/admin-auth.ts';
import { limitParam, onlyParams, stringParam } from '../http/query-params.ts';
import { cursorParam, encodeNextCursor } from '../http/page-cursor.ts';
import type { EventStore } from '../store/event-store.ts';
import { isMessageType, MESSAGE_TYPES } from './validate-message.ts';

/** A space's event log, newest first (`/api/v1/events`). */
export function createEventLogRoutes(events: EventStore): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    onlyParams(req, ['type', 'cursor', 'limit', 'userId', 'anonymousId', 'event']);
    const type = stringParam(req, 'type');
    if (type !== undefined && !isMessageType(type)) throw invalidRequest(`type must be one of ${MESSAGE_TYPES.join(', ')}`, '?type');
    const cursor = cursorParam(req, 'events');
    const userId = stringParam(req, 'userId');
    const anonymousId = stringParam(req, 'anonymousId');
    const name = stringParam(req, 'event');
    const page = await events.list(principalOf(res).spaceId, {
      limit: limitParam(req),
      ...(type !== undefined ? { type } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
      ...(userId !== undefined ? { userId } : {}),
      ...(anonymousId !== undefined ? { anonymousId } : {}),
      ...(name !== undefined ? { name } : {}),
    });
    res.json({ events: page.items.map((e) => e.message), nextCursor: encodeNextCursor('events', page.nextCursor) });
  });
  return router;
}
