/**
 * Errors of the host side of a function's `fetch`. They cross the sandbox boundary as plain
 * `{ name, message }`, so the name says what kind of failure it was and the message says which
 * URL and why; `code` is for host-side callers (the delivery classifier reads `name` and `code`).
 *
 * Retry meaning, as the delivery classifier sees them: TimeoutError, AbortError and FetchError
 * with a connection code are worth retrying; a refusal, an oversized response or a redirect loop
 * will fail the same way next time.
 */

/** The request was refused before connecting: a private/loopback/link-local address, a non-HTTP scheme, a forbidden method. */
export class FetchRefusedError extends Error {
  readonly code = 'ERR_FETCH_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'FetchRefusedError';
  }
}

/** The request (resolve, connect, headers, redirects and body together) took longer than the configured timeout. */
export class TimeoutError extends Error {
  readonly code = 'ERR_FETCH_TIMEOUT';
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** The caller's AbortSignal fired (e.g. the function call's wall-clock limit) before the request finished. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** The response body is larger than the configured cap; the connection was dropped. */
export class ResponseTooLargeError extends Error {
  readonly code = 'ERR_FETCH_RESPONSE_TOO_LARGE';
  constructor(message: string) {
    super(message);
    this.name = 'ResponseTooLargeError';
  }
}

/** The server redirected more times than allowed. */
export class TooManyRedirectsError extends Error {
  readonly code = 'ERR_FETCH_TOO_MANY_REDIRECTS';
  constructor(message: string) {
    super(message);
    this.name = 'TooManyRedirectsError';
  }
}

/**
 * A network-level failure (DNS, connect, reset, bad compression). Named after node-fetch's
 * FetchError, which Segment function authors know; `code` is the underlying one (ECONNREFUSED,
 * ENOTFOUND…) and is repeated in the message because only the message crosses the boundary.
 */
export class FetchError extends Error {
  readonly code: string;
  constructor(url: string, cause: unknown) {
    const inner = cause as { code?: unknown; message?: unknown } | null;
    const code = typeof inner?.code === 'string' ? inner.code : 'ERR_FETCH_FAILED';
    const reason = typeof inner?.message === 'string' ? inner.message : String(cause);
    super(`request to ${url} failed: ${reason}${reason.includes(code) ? '' : ` (${code})`}`, { cause });
    this.name = 'FetchError';
    this.code = code;
  }
}
