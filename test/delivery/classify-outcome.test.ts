import { expect } from 'chai';
import {
  APIError, HTTPError, IntegrationError, InvalidAuthenticationError, PayloadValidationError, RequestTimeoutError, RetryableError, SelfTimeoutError,
} from '../../destinations/actions-core.ts';
import { classifyOutcome, readRetryAfter, type AttemptOutcome, type OutcomeClass } from '../../engine/delivery/classify-outcome.ts';

const NOW = Date.parse('2024-05-01T10:00:00.000Z');

/** An error as it arrives from a function sandbox: a plain object with only name and message. */
const sandboxed = (name: string, message = 'from the function'): unknown => ({ name, message });
/** An error with a Node/undici `code`, optionally wrapped the way fetch wraps socket errors. */
const coded = (code: string, name = 'Error'): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code, name });
const fetchFailed = (cause: unknown): Error => new TypeError('fetch failed', { cause });
const httpError = (status: number, headers: Record<string, string> = {}): unknown =>
  new HTTPError({ status, statusText: 'Upstream says no', headers: new Headers(headers) } as never, {} as never, {} as never);

type Row = [description: string, outcome: AttemptOutcome, expected: OutcomeClass['kind'], reasonIncludes?: string, retryAfterMs?: number];

const table: Row[] = [
  ['200 response', { status: 200 }, 'delivered'],
  ['204 response', { status: 204 }, 'delivered'],
  ['500 response', { status: 500 }, 'retry', 'HTTP 500'],
  ['503 response', { status: 503 }, 'retry', 'HTTP 503'],
  ['599 response', { status: 599 }, 'retry', 'HTTP 599'],
  ['408 response', { status: 408 }, 'retry', 'HTTP 408'],
  ['423 response', { status: 423 }, 'retry', 'HTTP 423'],
  ['429 response', { status: 429 }, 'retry', 'HTTP 429'],
  ['429 with Retry-After seconds', { status: 429, headers: { 'retry-after': '120' } }, 'retry', 'Retry-After 120s', 120_000],
  ['503 with Retry-After HTTP-date', { status: 503, headers: { 'Retry-After': new Date(NOW + 90_000).toUTCString() } }, 'retry', 'HTTP 503', 90_000],
  ['429 with an unreadable Retry-After', { status: 429, headers: { 'retry-after': 'soon' } }, 'retry', 'HTTP 429', undefined],
  ['400 response', { status: 400 }, 'failed', 'HTTP 400'],
  ['404 response', { status: 404 }, 'failed', 'HTTP 404'],
  ['422 response', { status: 422 }, 'failed', 'HTTP 422'],
  ['401 response', { status: 401 }, 'failed', 'authentication rejected: HTTP 401'],
  ['403 response', { status: 403 }, 'failed', 'authentication rejected: HTTP 403'],
  ['3xx response', { status: 302 }, 'failed', 'HTTP 302'],
  ["a batch event's 400 with its errormessage", { status: 400, message: 'Invalid email for event 3' }, 'failed', 'HTTP 400: Invalid email for event 3'],

  ['actions-core RetryableError', { error: new RetryableError('rate limited upstream') }, 'retry', 'rate limited upstream'],
  ['actions-core PayloadValidationError', { error: new PayloadValidationError('email is invalid') }, 'failed', 'email is invalid'],
  ['actions-core InvalidAuthenticationError', { error: new InvalidAuthenticationError('bad token') }, 'failed', 'authentication rejected'],
  ['IntegrationError REFRESH_TOKEN_EXPIRED', { error: new IntegrationError('expired', 'REFRESH_TOKEN_EXPIRED', 401) }, 'failed', 'authentication rejected'],
  ['IntegrationError with a 400 status', { error: new IntegrationError('bad list id', 'INVALID_LIST', 400) }, 'failed', 'INVALID_LIST'],
  ['IntegrationError with a 429 status', { error: new IntegrationError('slow down', 'RATE_LIMITED', 429) }, 'retry', 'HTTP 429'],
  ['IntegrationError with a 502 status', { error: new IntegrationError('bad gateway', 'UPSTREAM', 502) }, 'retry', 'HTTP 502'],
  ['IntegrationError with retry: false overrides its 500', { error: Object.assign(new IntegrationError('no', 'X', 500), { retry: false }) }, 'failed', 'X'],
  ['IntegrationError with retry: true overrides its 400', { error: Object.assign(new IntegrationError('try again', 'X', 400), { retry: true }) }, 'retry', 'X'],
  ['APIError 503', { error: new APIError('down', 503) }, 'retry', 'HTTP 503'],
  ['APIError 404', { error: new APIError('no such list', 404) }, 'failed', 'HTTP 404'],
  ['actions-core HTTPError 500', { error: httpError(500) }, 'retry', 'HTTP 500: Upstream says no'],
  ['actions-core HTTPError 429 with Retry-After', { error: httpError(429, { 'Retry-After': '30' }) }, 'retry', 'HTTP 429', 30_000],
  ['actions-core HTTPError 400', { error: httpError(400) }, 'failed', 'HTTP 400'],
  ['actions-core HTTPError 401', { error: httpError(401) }, 'failed', 'authentication rejected'],
  ['actions-core RequestTimeoutError', { error: new RequestTimeoutError() }, 'retry', 'timeout'],
  ['actions-core SelfTimeoutError', { error: new SelfTimeoutError('took too long') }, 'retry', 'timeout'],
  ["actions-core request client's TimeoutError (code ETIMEDOUT)", { error: coded('ETIMEDOUT', 'TimeoutError') }, 'retry', 'timeout'],
  ['schema validation (AggregateAjvError)', { error: sandboxed('AggregateAjvError', 'Email must be a string.') }, 'failed', 'Email must be a string'],

  ['AbortSignal.timeout (DOMException TimeoutError)', { error: new DOMException('The operation was aborted due to timeout', 'TimeoutError') }, 'retry', 'timeout'],
  ['AbortError', { error: new DOMException('This operation was aborted', 'AbortError') }, 'retry', 'timeout'],
  ['fetch failed: ECONNREFUSED', { error: fetchFailed(coded('ECONNREFUSED')) }, 'retry', 'connection error: ECONNREFUSED'],
  ['fetch failed: ECONNRESET', { error: fetchFailed(coded('ECONNRESET')) }, 'retry', 'ECONNRESET'],
  ['fetch failed: ENOTFOUND', { error: fetchFailed(coded('ENOTFOUND')) }, 'retry', 'ENOTFOUND'],
  ['fetch failed: undici UND_ERR_SOCKET', { error: fetchFailed(coded('UND_ERR_SOCKET', 'SocketError')) }, 'retry', 'UND_ERR_SOCKET'],
  ['fetch failed: undici connect timeout', { error: fetchFailed(coded('UND_ERR_CONNECT_TIMEOUT', 'ConnectTimeoutError')) }, 'retry', 'timeout'],
  ['undici headers timeout, unwrapped', { error: coded('UND_ERR_HEADERS_TIMEOUT', 'HeadersTimeoutError') }, 'retry', 'timeout'],
  ['undici body timeout, unwrapped', { error: coded('UND_ERR_BODY_TIMEOUT', 'BodyTimeoutError') }, 'retry', 'timeout'],
  ['bare ETIMEDOUT socket error', { error: coded('ETIMEDOUT') }, 'retry', 'ETIMEDOUT'],
  ['dual-stack connect: AggregateError of ECONNREFUSED', { error: fetchFailed(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')])) }, 'retry', 'ECONNREFUSED'],
  ['undici invalid argument (a bug, not the network)', { error: coded('UND_ERR_INVALID_ARG', 'InvalidArgumentError') }, 'failed', 'UND_ERR_INVALID_ARG'],
  ['invalid URL', { error: Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }) }, 'failed', 'ERR_INVALID_URL'],

  ['function RetryError', { error: sandboxed('RetryError', 'upstream busy') }, 'retry', 'RetryError: upstream busy'],
  ['function fetch that could not connect (FetchError)', { error: sandboxed('FetchError', 'request to http://x/ failed: ECONNREFUSED') }, 'retry', 'connection error: FetchError: request to http://x/ failed: ECONNREFUSED'],
  ['function whose isolate was reset under it (SandboxResetError)', { error: sandboxed('SandboxResetError', 'the isolate was disposed') }, 'retry', 'SandboxResetError: the isolate was disposed'],
  ['function ValidationError', { error: sandboxed('ValidationError', 'page name is required') }, 'failed', 'ValidationError: page name is required'],
  ['function InvalidEventPayload', { error: sandboxed('InvalidEventPayload', 'company is required') }, 'failed', 'InvalidEventPayload'],
  ['function EventNotSupported', { error: sandboxed('EventNotSupported', 'alias is not supported') }, 'failed', 'EventNotSupported'],
  ['function wall-clock timeout surfaced as TimeoutError', { error: sandboxed('TimeoutError', 'function exceeded 5000 ms') }, 'retry', 'timeout'],

  ['an unexpected TypeError in plugin code', { error: new TypeError("Cannot read properties of undefined (reading 'id')") }, 'failed', 'unexpected error: TypeError'],
  ['a thrown string', { error: 'boom' }, 'failed', 'unexpected error: boom'],
  ['a thrown null', { error: null }, 'failed', 'unexpected error'],
];

describe('classifyOutcome', () => {
  for (const [description, outcome, kind, reasonIncludes, retryAfterMs] of table) {
    it(`${description} → ${kind}`, () => {
      const verdict = classifyOutcome(outcome, { now: NOW });
      expect(verdict.kind).to.equal(kind);
      if (verdict.kind === 'delivered') {
        expect(verdict.status).to.equal((outcome as { status: number }).status);
        return;
      }
      expect(verdict.reason).to.be.a('string').and.include(reasonIncludes ?? '');
      if (verdict.kind === 'retry') expect(verdict.retryAfterMs).to.equal(retryAfterMs);
    });
  }

  it('takes a long Retry-After in full (the retry policy gives up past its window), unless a cap is set', () => {
    expect(classifyOutcome({ status: 429, headers: { 'retry-after': '7200' } }, { now: NOW })).to.deep.include({ retryAfterMs: 7_200_000 });
    expect(classifyOutcome({ status: 503, headers: { 'retry-after': new Date(NOW + 86_400_000).toUTCString() } }, { now: NOW })).to.deep.include({ retryAfterMs: 86_400_000 });
    expect(classifyOutcome({ status: 429, headers: { 'retry-after': '600' } }, { now: NOW, maxRetryAfterMs: 60_000 })).to.deep.include({ retryAfterMs: 60_000 });
  });

  it('reads Retry-After from fetch Headers, node:http arrays and past dates', () => {
    expect(readRetryAfter(new Headers({ 'Retry-After': '5' }))).to.equal(5_000);
    expect(readRetryAfter({ 'retry-after': ['7', '9'] })).to.equal(7_000);
    expect(readRetryAfter({ 'retry-after': new Date(NOW - 60_000).toUTCString() }, { now: NOW })).to.equal(0);
    expect(readRetryAfter({})).to.equal(undefined);
    expect(readRetryAfter(undefined)).to.equal(undefined);
  });

  it('keeps reasons short even for long error messages', () => {
    const verdict = classifyOutcome({ error: new PayloadValidationError('x'.repeat(5_000)) });
    expect(verdict.kind === 'failed' && verdict.reason.length).to.be.below(300);
  });
});
