/**
 * What crosses the sandbox boundary for outbound HTTP: plain data only. The isolate's `fetch`
 * sends a HostFetchRequest to the host, which makes the request (with its own checks) and
 * answers a HostFetchResponse.
 */

/** An outbound request from a function. */
export interface HostFetchRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** Request body as text (functions send JSON, forms or text), or null. */
  body: string | null;
}

/** The host's answer, as plain data. */
export interface HostFetchResponse {
  /** The final URL (after redirects). */
  url: string;
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  /** Response body decoded as UTF-8 text (capped at the configured size). */
  body: string;
  redirected: boolean;
}

/** Makes a function's outbound request, or rejects with an Error whose `name`/`message` explain the refusal. */
export type HostFetch = (request: HostFetchRequest, options: { signal: AbortSignal }) => Promise<HostFetchResponse>;
