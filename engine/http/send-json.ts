import type { ServerResponse } from 'node:http';
import { EngineError } from '../errors.ts';

/** Writes a JSON response with the request id echoed. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Maps any thrown value to the API's error body; unknown errors become a 500 without internals. */
export function toEngineError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  return new EngineError('internal_error', 'an unexpected error occurred', {}, { cause: error });
}
