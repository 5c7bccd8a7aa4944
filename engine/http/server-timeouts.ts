import type { ServerOptions } from 'node:http';
import type { EngineConfig } from '../config.ts';

/**
 * node:http options that close connections of clients too slow to send a request (slowloris):
 * headers within `headersTimeoutMs` (counted from the connection or, on a kept-alive one, from
 * the request's first byte), the whole request, body included, within `requestTimeoutMs`, an
 * idle kept-alive connection after `keepAliveTimeoutMs`. The server answers 408 and closes.
 *
 * node:http checks the first two every `connectionsCheckingInterval` (30 s by default, which
 * would let a slow client hold a connection up to 30 s past its limit): a fifth of the shorter
 * limit, between 50 ms and 1 s, keeps that slack small for the cost of one walk over the open
 * connections per interval.
 */
export function serverTimeouts(timeouts: EngineConfig['httpTimeouts']): ServerOptions {
  const shortest = timeouts.requestTimeoutMs > 0 ? Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) : timeouts.headersTimeoutMs;
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(shortest / 5))),
  };
}
