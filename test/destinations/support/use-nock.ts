/**
 * Mocha hooks for destination tests: no real network except 127.0.0.1, every interceptor
 * removed after each test, and a capture helper for what nock received.
 *
 * Why the capture helper: with nock 15, reply callbacks that take the request body hang
 * requests made by actions-core (node-fetch); the scope's `request` event (a fetch Request plus
 * the body text) is the reliable way to see what was sent.
 */
import nock from 'nock';

/**
 * Installs the hooks in the current describe block. nock intercepts from the moment it is
 * imported (and re-reads every request body, gzip included), so it is switched off for the whole
 * run by test/support/root-hooks.ts and on only inside blocks that use it.
 */
export function useNock(): void {
  before(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.cleanAll();
    nock.abortPendingRequests();
  });
  after(() => {
    nock.enableNetConnect();
    nock.restore();
  });
}

/** A request nock received. */
export interface CapturedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/** Records every request the scope intercepts. */
export function capture(scope: nock.Scope): CapturedRequest[] {
  const seen: CapturedRequest[] = [];
  scope.on('request', (request: Request, _interceptor: unknown, body: string) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers, body });
  });
  return seen;
}
