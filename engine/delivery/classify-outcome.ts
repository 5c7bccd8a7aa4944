/**
 * The one place that decides what a delivery attempt's outcome means: delivered, retry (maybe
 * after a server-given delay), or failed for good. Everything else about delivery (backoff,
 * records, redrive) works from this verdict.
 *
 * Errors are recognised by `name`, `code` and `status` only, never `instanceof`: they come from
 * actions-core (whose classes may be loaded twice), from undici/Node, and from destination
 * functions, whose errors cross the isolate boundary as plain `{ name, message }`.
 */

import { ADDRESS_REFUSED_CODE } from '../../destinations/outbound-guard.ts';

/**
 * What one attempt produced: a response (a plain send, or one event's result in a batch, with
 * its `errormessage` as `message`) or a thrown error.
 */
export type AttemptOutcome =
  | { status: number; headers?: HeadersLike; message?: string; errortype?: string }
  | { error: unknown };

/** Response headers as fetch (`get`), node:http (lower-case record) or a hand-built record give them. */
export type HeadersLike = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** The verdict on one attempt. */
export type OutcomeClass =
  | { kind: 'delivered'; status?: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'failed'; reason: string };

/** Options of classifyOutcome. */
export interface ClassifyOptions {
  /** Engine time in epoch ms, to read a `Retry-After` HTTP-date. Default Date.now(). */
  now?: number;
  /**
   * Longest `Retry-After` taken as given; longer ones are cut to this. Default: none. Why: a
   * server's wait is honoured in full, and one that goes past the retry window makes the retry
   * policy give up with that reason instead of retrying earlier than asked.
   */
  maxRetryAfterMs?: number;
}

// Destination function error names (Segment's function API) and their meaning.
const FUNCTION_PERMANENT = new Set(['ValidationError', 'InvalidEventPayload', 'EventNotSupported']);
// actions-core, ajv-human-errors and mapping-kit names for "this payload or config will never work".
const PERMANENT_NAMES = new Set(['PayloadValidationError', 'AggregateAjvError', 'InvalidAudienceMembershipError']);
const AUTH_CODES = new Set(['INVALID_AUTHENTICATION', 'REFRESH_TOKEN_EXPIRED', 'OAUTH_REFRESH_FAILED']);
const PERMANENT_CODES = new Set(['PAYLOAD_VALIDATION_FAILED', 'INVALID_AUDIENCE_MEMBERSHIP', 'ERR_INVALID_URL']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeoutError', 'SelfTimeoutError', 'AbortError', 'ConnectTimeoutError', 'HeadersTimeoutError', 'BodyTimeoutError']);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'REQUESTTIMEOUTERROR', 'SELF_TIMEOUT', 'ABORT_ERR',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);
// Connection-level failures: the request may not have reached the destination, or its answer was lost.
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN',
  'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'EPROTO',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_ABORTED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);
const RETRY_STATUSES = new Set([408, 423, 429]);
// The private-address policy refused the destination's address: a plugin's request
// (destinations/outbound-guard.ts; node-fetch copies the code onto its FetchError) or a
// function's fetch (FetchRefusedError, which crosses the sandbox by name only).
const REFUSED_CODES = new Set([ADDRESS_REFUSED_CODE, 'ERR_FETCH_REFUSED']);
const REFUSED_NAMES = new Set(['AddressRefusedError', 'FetchRefusedError']);

/** Classifies one attempt: 2xx delivered; timeouts, connection errors, 5xx, 408/423/429 retry; the rest failed. */
export function classifyOutcome(outcome: AttemptOutcome, options: ClassifyOptions = {}): OutcomeClass {
  if ('status' in outcome) {
    // A batch item whose request was refused (the webhook reports it with a placeholder status).
    if (outcome.errortype !== undefined && REFUSED_CODES.has(outcome.errortype)) {
      return { kind: 'failed', reason: `address refused: ${String(outcome.message ?? '').slice(0, 500)}` };
    }
    return classifyStatus(outcome.status, outcome.headers, options, `HTTP ${outcome.status}${message(outcome)}`);
  }
  return classifyError(outcome.error, options);
}

/** The verdict for an HTTP status; `what` names the attempt in the reason ("HTTP 503", "APIError: down (HTTP 503)"). */
function classifyStatus(status: number, headers: HeadersLike | undefined, options: ClassifyOptions, what: string): OutcomeClass {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 500 || RETRY_STATUSES.has(status)) {
    const retryAfterMs = readRetryAfter(headers, options);
    if (retryAfterMs === undefined) return { kind: 'retry', reason: what };
    return { kind: 'retry', reason: `${what}, Retry-After ${Math.ceil(retryAfterMs / 1000)}s`, retryAfterMs };
  }
  if (status === 401 || status === 403) return { kind: 'failed', reason: `authentication rejected: ${what}` };
  return { kind: 'failed', reason: what };
}

function classifyError(error: unknown, options: ClassifyOptions): OutcomeClass {
  if (typeof error !== 'object' || error === null) return { kind: 'failed', reason: `unexpected error: ${String(error)}` };
  const e = error as ErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const label = `${name}${code && code !== name ? ` ${code}` : ''}${message(e)}`;

  if (FUNCTION_PERMANENT.has(name)) return { kind: 'failed', reason: label };
  // Checked before the connection-error rules below (node-fetch names its errors FetchError too):
  // the address will be refused on every retry. The message says which address and why, in full.
  if (REFUSED_NAMES.has(name) || (code !== undefined && REFUSED_CODES.has(code))) {
    return { kind: 'failed', reason: `address refused: ${name}: ${String(e.message ?? '').slice(0, 500)}` };
  }
  if (name === 'RetryError' || name === 'RetryableError' || code === 'RETRYABLE_ERROR') return { kind: 'retry', reason: label };
  // A function's fetch that could not connect (functions-runtime/host-fetch.ts): only the name and
  // message cross the sandbox boundary, so the name stands for the lost socket error code.
  if (name === 'FetchError') return { kind: 'retry', reason: `connection error: ${label}` };
  // The sandbox disposed the isolate under this call (another call of the function ran out of memory or time).
  if (name === 'SandboxResetError') return { kind: 'retry', reason: label };
  if (PERMANENT_NAMES.has(name) || (code !== undefined && PERMANENT_CODES.has(code))) return { kind: 'failed', reason: label };
  if (name === 'InvalidAuthenticationError' || (code !== undefined && AUTH_CODES.has(code))) {
    return { kind: 'failed', reason: `authentication rejected: ${label}` };
  }
  // An explicit verdict from the thrower (IntegrationError.retry) wins over its status.
  if (typeof e.retry === 'boolean') return e.retry ? { kind: 'retry', reason: label } : { kind: 'failed', reason: label };
  if (TIMEOUT_NAMES.has(name) || (code !== undefined && TIMEOUT_CODES.has(code))) return { kind: 'retry', reason: `timeout: ${label}` };

  const responseStatus = typeof e.response?.status === 'number' ? e.response.status : undefined;
  if (responseStatus !== undefined) return classifyStatus(responseStatus, e.response?.headers, options, `HTTP ${responseStatus}${message(e)}`);
  if (typeof e.status === 'number' && e.status >= 300 && e.status < 600) {
    return classifyStatus(e.status, undefined, options, `${label} (HTTP ${e.status})`);
  }

  // undici wraps socket errors (`TypeError: fetch failed`, cause ECONNREFUSED); Node's dual-stack
  // connect reports an AggregateError of per-address failures. Look through both.
  for (const inner of causes(e)) {
    const innerCode = typeof inner.code === 'string' ? inner.code : undefined;
    const innerName = typeof inner.name === 'string' ? inner.name : '';
    if (innerCode !== undefined && NETWORK_CODES.has(innerCode)) return { kind: 'retry', reason: `connection error: ${innerCode}${message(inner)}` };
    if (TIMEOUT_NAMES.has(innerName) || (innerCode !== undefined && TIMEOUT_CODES.has(innerCode))) {
      return { kind: 'retry', reason: `timeout: ${innerName}${innerCode ? ` ${innerCode}` : ''}${message(inner)}` };
    }
  }
  // Unknown errors fail at once, as Segment does for destination functions: a bug in plugin or
  // function code will not heal by retrying for hours, and a failed delivery can be re-driven.
  return { kind: 'failed', reason: `unexpected error: ${label}` };
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  retry?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  response?: { status?: unknown; headers?: HeadersLike };
}

/** The error itself, its `cause` chain and AggregateError members, breadth-first, a few levels deep. */
function causes(error: ErrorShape): ErrorShape[] {
  const seen: ErrorShape[] = [];
  const queue: ErrorShape[] = [error];
  while (queue.length > 0 && seen.length < 16) {
    const next = queue.shift() as ErrorShape;
    if (seen.includes(next)) continue;
    seen.push(next);
    if (typeof next.cause === 'object' && next.cause !== null) queue.push(next.cause as ErrorShape);
    if (Array.isArray(next.errors)) {
      for (const member of next.errors) if (typeof member === 'object' && member !== null) queue.push(member as ErrorShape);
    }
  }
  return seen;
}

/** Reads `Retry-After` as delay-seconds or an HTTP-date, capped; undefined when absent or unreadable. */
export function readRetryAfter(headers: HeadersLike | undefined, options: ClassifyOptions = {}): number | undefined {
  const raw = header(headers, 'retry-after')?.trim();
  if (raw === undefined || raw === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(raw)) {
    ms = Number(raw) * 1000;
  } else {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - (options.now ?? Date.now()));
  }
  return options.maxRetryAfterMs === undefined ? ms : Math.min(ms, options.maxRetryAfterMs);
}

function header(headers: HeadersLike | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

function message(e: ErrorShape): string {
  const text = typeof e.message === 'string' ? e.message.trim() : '';
  return text === '' ? '' : `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
