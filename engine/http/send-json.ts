import type { ServerResponse } from 'node:http';
import { EngineError } from '../errors.ts';

/** Writes a JSON response with the request id echoed. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Maps any thrown value to the API's error body: a store that fails for a moment (`isTransient`,
 * the store's own judgement) becomes a 503 to retry; other unknown errors a 500 without internals.
 */
export function toEngineError(error: unknown, isTransient: (error: unknown) => boolean = () => false): EngineError {
  if (error instanceof EngineError) return error;
  if (isTransient(error)) {
    return new EngineError('store_unavailable', 'the store is locked or failing over; retry in a moment', {}, { cause: error });
  }
  return new EngineError('internal_error', 'an unexpected error occurred', {}, { cause: error });
}

/** Seconds a client is asked to wait before retrying a 503 that does not say otherwise. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Writes an error response; a 429 or 503 says when to retry (`Retry-After`, which Segment clients
 * honour: analytics-node waits that long on a 429 without counting it against its retries).
 */
export function sendError(res: ServerResponse, error: EngineError): void {
  const retryAfter = error.retryAfterSeconds ?? (error.status === 503 ? RETRY_AFTER_SECONDS : null);
  if (retryAfter !== null) res.setHeader('retry-after', String(retryAfter));
  sendJson(res, error.status, error.toBody());
}
