import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const VALID = /^[\w.:-]{1,128}$/;

/** The request's id: the caller's `x-request-id` when sane, a new UUID otherwise; echoed in the response. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && VALID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}
