/**
 * The engine's error hierarchy. Every error that can reach a client has a stable `code`
 * (listed in ERROR_CODES and documented in the README), an HTTP status and optional details
 * such as the offending JSON path or batch index.
 */

/** Every machine-readable error code the API can answer, with its HTTP status and meaning. */
export const ERROR_CODES = {
  invalid_json: { status: 400, meaning: 'The request body is not valid JSON, is not UTF-8 (`offset` names the first bad byte), or holds a number too large to represent (`path` says where, and `index` in a batch).' },
  payload_too_deep: { status: 400, meaning: 'The JSON body nests arrays and objects deeper than the limit (MAX_JSON_DEPTH, 64 levels by default); `limit` says how deep it may go.' },
  invalid_message: { status: 400, meaning: 'A Segment message breaks the spec: missing ids, missing event name, bad timestamp, wrong type. `path` (and `index` in a batch) say where.' },
  invalid_request: { status: 400, meaning: 'A management API body or query breaks its schema; `path` says where.' },
  invalid_conditions: { status: 400, meaning: 'A condition list is malformed; `problems` lists every problem with its path.' },
  invalid_journey: { status: 400, meaning: 'The journey cannot be published as it is; `problems` lists every problem with its JSON path and code.' },
  message_too_large: { status: 400, meaning: 'One message is larger than 32 KB; `index` says which one in a batch.' },
  payload_too_large: { status: 413, meaning: 'The request body (after gzip decoding) is larger than its limit: 500 KB for batches, 32 KB for single calls, 1 MB for the management API by default; `limit` says how many bytes.' },
  unsupported_media_type: { status: 415, meaning: 'The body is not JSON, uses an encoding other than gzip, or declares a charset other than UTF-8.' },
  missing_credentials: { status: 401, meaning: 'No write key (HTTP Basic username) or Bearer token was sent.' },
  invalid_credentials: { status: 401, meaning: 'The write key or token is unknown or has been revoked.' },
  forbidden: { status: 403, meaning: 'The credential is valid but may not do this (e.g. a space token on operator routes).' },
  unknown_plugin: { status: 400, meaning: 'No destination plugin has this slug (see `GET /api/v1/destination-plugins`); `path` says where it was named.' },
  invalid_settings: { status: 400, meaning: 'A destination\'s settings break its plugin\'s settings schema (or a function\'s settings its declared settings); `path` names the first problem, `problems` lists every problem with its path and code.' },
  destination_in_use: { status: 409, meaning: 'The destination is the target of send steps; `journeys` lists the journeys that use it. Change them first.' },
  invalid_function_code: { status: 400, meaning: 'The function source does not compile; `line` and `column` say where.' },
  function_in_use: { status: 409, meaning: 'The function is the target of send steps; `journeys` lists the journeys that use it. Change them first.' },
  not_found: { status: 404, meaning: 'No such resource in this space.' },
  route_not_found: { status: 404, meaning: 'No such endpoint.' },
  method_not_allowed: { status: 405, meaning: 'The endpoint exists but not with this HTTP method.' },
  conflict: { status: 409, meaning: 'The change conflicts with existing state, e.g. a name already used in the space.' },
  invalid_transition: { status: 409, meaning: 'The lifecycle operation does not apply in the journey\'s current status (e.g. pausing a draft).' },
  version_conflict: { status: 409, meaning: 'The record changed since it was read; read it again and retry.' },
  request_timeout: { status: 408, meaning: 'The request\'s headers or body did not arrive within the server\'s time limits (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS); the connection is closed and nothing was stored.' },
  rate_limited: { status: 429, meaning: 'This write key sent more events than its rate limit allows (INGEST_RATE_LIMIT_PER_SECOND); nothing was stored. Retry after `Retry-After` seconds.' },
  backpressure: { status: 429, meaning: 'Processing is behind (too many stored events waiting, or the oldest waiting too long); nothing was stored. Retry after `Retry-After` seconds: ingest resumes by itself once processing catches up.' },
  not_ready: { status: 503, meaning: 'The engine is starting or stopping.' },
  overloaded: { status: 503, meaning: 'The engine has as many ingest requests in flight as it takes (INGEST_MAX_CONCURRENT_REQUESTS); nothing was stored. Retry after `Retry-After` seconds.' },
  store_unavailable: { status: 503, meaning: 'The store is locked or failing over for a moment; nothing was changed by the failed step. Retry after `Retry-After` seconds.' },
  internal_error: { status: 500, meaning: 'An unexpected failure; the request id in the logs identifies it.' },
} as const;

/** A machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Extra, machine-readable facts about an error (path, batch index, problems…). */
export type ErrorDetails = Record<string, unknown>;

/** An error the API reports to its caller with a code, a status and details. */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails;
  /** Seconds the client should wait before retrying (the `Retry-After` header of a 429 or 503), or null. */
  readonly retryAfterSeconds: number | null;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
    this.retryAfterSeconds = options?.retryAfterSeconds ?? null;
  }

  /** The JSON body answered to the client. */
  toBody(): { error: { code: ErrorCode; message: string } & ErrorDetails } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** Shorthand for a 404 on a resource of this space. */
export function notFound(what: string, id: string): EngineError {
  return new EngineError('not_found', `${what} '${id}' was not found${what === 'space' ? '' : ' in this space'}`);
}

/** Shorthand for a 400 on a management API body, at a JSON pointer path. */
export function invalidRequest(message: string, path: string, details: ErrorDetails = {}): EngineError {
  return new EngineError('invalid_request', `${message} at ${path || '/'}`, { path, ...details });
}
