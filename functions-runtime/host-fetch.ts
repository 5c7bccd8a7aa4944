/**
 * The host side of a destination function's `fetch`: makes the request the isolate asked for,
 * with the checks the sandbox promises (product.md "Security").
 *
 * Each hop (the first request and every redirect) resolves its host once, refuses it if any
 * resolved address is private, loopback, link-local or otherwise non-public (ssrf-guard.ts), and
 * then connects to exactly the addresses it checked (vetted-lookup.ts, shared with destination
 * plugins' requests), so a DNS answer that changes between the
 * check and the connect (DNS rebinding) cannot slip through. Redirects are followed here, not by
 * an HTTP library, so that every hop passes the same check. One timeout covers the whole request,
 * and the body is read only up to a size cap.
 *
 * Built on node:http/https rather than the global fetch: they take a `lookup` per request,
 * which is what pins the connection to the vetted addresses.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { HostFetch, HostFetchRequest, HostFetchResponse } from './host-fetch-types.ts';
import {
  AbortError, FetchError, FetchRefusedError, ResponseTooLargeError, TimeoutError, TooManyRedirectsError,
} from './host-fetch-errors.ts';
import { refusedAddress } from './ssrf-guard.ts';
import { pinnedLookup, systemResolve, type ResolvedAddress, type ResolveHost } from './vetted-lookup.ts';

export type { ResolvedAddress, ResolveHost } from './vetted-lookup.ts';

/** Settings of createHostFetch; every one has a default. */
export interface HostFetchOptions {
  /** Let functions reach private, loopback and link-local addresses (local development, tests). Default false. */
  allowPrivateNetwork?: boolean;
  /**
   * Exceptions to the private-address refusal, address by address (e.g. one internal API the
   * operator trusts; tests use it to let a loopback server through while refusing the rest).
   */
  isAllowedAddress?: (address: string) => boolean;
  /** Whole-request limit: resolve, connect, headers, every redirect and the body. Default 10,000 ms. */
  timeoutMs?: number;
  /** Largest response body accepted, in bytes after decompression. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Redirects followed before failing with TooManyRedirectsError. Default 5. */
  maxRedirects?: number;
  /** User-Agent sent when the function sets none. Default 'journey-engine-functions'. */
  userAgent?: string;
  /** Host name resolver; tests inject one because there is no DNS here. */
  lookup?: ResolveHost;
}

interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** Where a request is, for the timeout message. */
interface Progress {
  url: string;
  phase: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// The fetch standard forbids these methods; CONNECT in particular would turn the request into a tunnel.
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
// Headers the host owns. host: the connection goes to the URL's host. connection/upgrade/keep-alive/
// te/trailer/proxy-connection: a function must not hijack or reshape pooled sockets.
// content-length/transfer-encoding: the host frames the body itself; a mismatch would desync a
// kept-alive connection (request smuggling). expect: 100-continue would stall the request.
const HOST_OWNED_HEADERS = new Set([
  'host', 'connection', 'upgrade', 'keep-alive', 'te', 'trailer', 'proxy-connection',
  'content-length', 'transfer-encoding', 'expect',
]);
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** Creates the host's `fetch` for functions, with SSRF refusal, a timeout, a size cap and manual redirects. */
export function createHostFetch(options: HostFetchOptions = {}): HostFetch {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const settings = {
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    isAllowedAddress: options.isAllowedAddress ?? (() => false),
    maxResponseBytes: options.maxResponseBytes ?? 1_048_576,
    maxRedirects: options.maxRedirects ?? 5,
    userAgent: options.userAgent ?? 'journey-engine-functions',
    lookup: options.lookup ?? systemResolve,
    // Own keep-alive agents: pooled sockets were all opened to addresses this instance vetted, so
    // reusing them never bypasses its checks (a shared global agent could hand over a socket
    // opened by an instance that allows private networks).
    agents: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
  };

  return async (request, { signal }) => {
    const progress: Progress = { url: request.url, phase: 'starting' };
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort(new TimeoutError(`request to ${progress.url} timed out after ${timeoutMs} ms (while ${progress.phase})`));
    }, timeoutMs);
    const onCallerAbort = (): void => {
      const why = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
      deadline.abort(new AbortError(`request to ${progress.url} was aborted${why}`, { cause: signal.reason }));
    };
    if (signal.aborted) onCallerAbort();
    else signal.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await follow(firstHop(request, settings.userAgent), settings, deadline.signal, progress);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onCallerAbort);
    }
  };
}

type Settings = Required<Omit<HostFetchOptions, 'timeoutMs'>> & { agents: { http: http.Agent; https: https.Agent } };

async function follow(first: Hop, settings: Settings, signal: AbortSignal, progress: Progress): Promise<HostFetchResponse> {
  let hop = first;
  for (let redirects = 0; ; redirects++) {
    progress.url = hop.url.href;
    progress.phase = `resolving ${hop.url.hostname}`;
    const addresses = await abortable(vet(hop.url, settings, redirects > 0), signal);
    progress.phase = 'connecting and waiting for the response headers';
    const res = await send(hop, addresses, settings, signal);
    const status = res.statusCode ?? 0;
    const location = REDIRECT_STATUSES.has(status) ? res.headers.location : undefined;
    if (location === undefined) {
      progress.phase = 'reading the response body';
      const body = await readBody(res, settings.maxResponseBytes, signal, hop.url.href);
      return { url: hop.url.href, status, statusText: res.statusMessage ?? '', headers: headerPairs(res.rawHeaders), body, redirected: redirects > 0 };
    }
    // The body of a redirect is never read: dropping the socket is cheaper than draining an unknown amount.
    res.destroy();
    if (redirects >= settings.maxRedirects) {
      throw new TooManyRedirectsError(`request to ${first.url.href} was redirected more than ${settings.maxRedirects} times (last to ${location})`);
    }
    hop = redirectHop(hop, status, location);
  }
}

/** Validates the function's request and applies the host's header rules. */
function firstHop(request: HostFetchRequest, userAgent: string): Hop {
  const url = parseUrl(request.url);
  const method = request.method.toUpperCase();
  if (FORBIDDEN_METHODS.has(method)) throw new FetchRefusedError(`refused to fetch ${url.href}: method ${method} is not allowed`);
  if (request.body !== null && (method === 'GET' || method === 'HEAD')) {
    throw new TypeError(`request to ${url.href} with method ${method} cannot have a body`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const key = name.toLowerCase();
    if (!HOST_OWNED_HEADERS.has(key)) headers[key] = value;
  }
  headers['user-agent'] ??= userAgent;
  // Ask for compression as fetch does; readBody decompresses and caps the decompressed size.
  headers['accept-encoding'] ??= 'gzip, deflate, br';
  return { url, method, headers, body: request.body === null ? null : Buffer.from(request.body, 'utf8') };
}

/** The next hop of a redirect, with the fetch standard's method and header rules. */
function redirectHop(hop: Hop, status: number, location: string): Hop {
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch {
    throw new FetchError(hop.url.href, Object.assign(new Error(`invalid redirect location ${JSON.stringify(location)}`), { code: 'ERR_INVALID_REDIRECT' }));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefusedError(`refused to follow the redirect from ${hop.url.href} to ${url.href}: only http: and https: URLs are allowed`);
  }
  const headers = { ...hop.headers };
  // As fetch (and node-fetch, which Segment functions used): 303 turns anything but HEAD into GET,
  // 301/302 turn POST into GET; 307/308 and other cases keep the method and body.
  const toGet = (status === 303 && hop.method !== 'HEAD') || ((status === 301 || status === 302) && hop.method === 'POST');
  if (toGet) for (const name of BODY_HEADERS) delete headers[name];
  // Credentials meant for one origin must not be handed to another the server points us at.
  if (url.origin !== hop.url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  return { url, method: toGet ? 'GET' : hop.method, headers, body: toGet ? null : hop.body };
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Quoted at most in part: the text is the function's, of any length.
    throw new TypeError(`invalid URL: ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefusedError(`refused to fetch ${url.href}: only http: and https: URLs are allowed, not ${url.protocol}`);
  }
  return url;
}

/** Resolves the hop's host and refuses it if any address is non-public (unless configured otherwise). */
async function vet(url: URL, settings: Settings, isRedirect: boolean): Promise<ResolvedAddress[]> {
  const host = bareHost(url);
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal === 4 || literal === 6) addresses = [{ address: host, family: literal }];
  else {
    try {
      addresses = await settings.lookup(host);
    } catch (error) {
      throw new FetchError(url.href, error);
    }
    if (addresses.length === 0) {
      throw new FetchError(url.href, Object.assign(new Error(`${host} has no addresses`), { code: 'ENOTFOUND' }));
    }
  }
  const refused = refusedAddress(addresses.map((a) => a.address), settings);
  if (refused === null) return addresses;
  const subject = literal ? `${refused.address} is` : `${host} resolves to ${refused.address}, which is`;
  const context = isRedirect ? 'refused to follow a redirect to' : 'refused to fetch';
  throw new FetchRefusedError(`${context} ${url.href}: ${subject} ${refused.reason}; functions may not reach private, loopback or link-local addresses`);
}

/** Sends one hop to the vetted addresses and resolves when the response headers arrive. */
function send(hop: Hop, addresses: ResolvedAddress[], settings: Settings, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const secure = hop.url.protocol === 'https:';
    const headers = hop.body === null ? hop.headers : { ...hop.headers, 'content-length': String(hop.body.length) };
    let req: http.ClientRequest;
    try {
      req = (secure ? https : http).request({
        protocol: hop.url.protocol,
        hostname: bareHost(hop.url), // TLS still verifies the certificate against this name
        port: hop.url.port || undefined,
        path: `${hop.url.pathname}${hop.url.search}`,
        method: hop.method,
        headers,
        auth: hop.url.username ? `${decodeURIComponent(hop.url.username)}:${decodeURIComponent(hop.url.password)}` : undefined,
        agent: secure ? settings.agents.https : settings.agents.http,
        lookup: pinnedLookup(addresses),
      }, resolve);
    } catch (error) {
      // Invalid header names or values are thrown synchronously by node:http.
      const code = (error as { code?: unknown }).code;
      reject(Object.assign(new TypeError(`invalid request to ${hop.url.href}: ${(error as Error).message}`), { code }));
      return;
    }
    const onAbort = (): void => {
      req.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal.removeEventListener('abort', onAbort));
    req.on('error', (error) => reject(signal.aborted ? signal.reason : new FetchError(hop.url.href, error)));
    req.end(hop.body ?? undefined);
  });
}

/** Reads the (decompressed) body up to the cap and decodes it as UTF-8. */
async function readBody(res: http.IncomingMessage, maxBytes: number, signal: AbortSignal, url: string): Promise<string> {
  const tooLarge = (detail: string): ResponseTooLargeError =>
    new ResponseTooLargeError(`response from ${url} is larger than the ${maxBytes}-byte limit (${detail})`);
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip()
    : encoding === 'deflate' ? zlib.createInflate()
      : encoding === 'br' ? zlib.createBrotliDecompress() : null;
  const declared = Number(res.headers['content-length']);
  if (decoder === null && declared > maxBytes) {
    res.destroy();
    throw tooLarge(`Content-Length ${declared}`);
  }
  // pipeline forwards a failure of the socket to the decoder, so the loop below sees it.
  const stream: Readable = decoder ? pipeline(res, decoder, () => {}) : res;
  const onAbort = (): void => {
    stream.destroy();
    res.destroy();
  };
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      // Checked on the decompressed bytes: a small gzip body can inflate to gigabytes.
      if (total > maxBytes) throw tooLarge(`read ${total} bytes so far`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    res.destroy();
    if (signal.aborted) throw signal.reason;
    if (error instanceof ResponseTooLargeError) throw error;
    throw new FetchError(url, error);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  // TextDecoder drops a leading byte-order mark, as fetch's text() does.
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks, total));
}

function headerPairs(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return pairs;
}

/** The URL's host without IPv6 brackets, as DNS and node:net want it. */
function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Settles with the promise, or rejects with the signal's reason as soon as it aborts (DNS cannot be cancelled). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
