import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../engine/config.ts';
import { serverTimeouts } from '../../engine/http/server-timeouts.ts';

describe('reliability: configuration of limits and timeouts', () => {
  it('has defaults sized for one engine on a small machine', () => {
    const config = loadConfig({});
    expect(config.maxApiBodyBytes).to.equal(1024 * 1024);
    expect(config.maxJsonDepth).to.equal(64);
    expect(config.ingestLimits).to.deep.equal({
      maxPendingEvents: 100_000, maxLagMs: 300_000, ratePerSecond: 0, rateBurst: 1, maxConcurrentRequests: 1_000,
    });
    expect(config.httpTimeouts).to.deep.equal({ headersTimeoutMs: 20_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000 });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      MAX_API_BODY_BYTES: '2048', MAX_JSON_DEPTH: '16',
      INGEST_MAX_PENDING_EVENTS: '5000', INGEST_MAX_LAG_SECONDS: '30', INGEST_RATE_LIMIT_PER_SECOND: '200',
      INGEST_RATE_LIMIT_BURST: '1000', INGEST_MAX_CONCURRENT_REQUESTS: '64',
      HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '10000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '75000',
    });
    expect(config.maxApiBodyBytes).to.equal(2048);
    expect(config.maxJsonDepth).to.equal(16);
    expect(config.ingestLimits).to.deep.equal({
      maxPendingEvents: 5000, maxLagMs: 30_000, ratePerSecond: 200, rateBurst: 1000, maxConcurrentRequests: 64,
    });
    expect(config.httpTimeouts).to.deep.equal({ headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 75_000 });
  });

  it('turns bounds off with 0, and gives the burst one second of the rate by default', () => {
    const config = loadConfig({
      INGEST_MAX_PENDING_EVENTS: '0', INGEST_MAX_LAG_SECONDS: '0', INGEST_MAX_CONCURRENT_REQUESTS: '0',
      INGEST_RATE_LIMIT_PER_SECOND: '500', HTTP_REQUEST_TIMEOUT_MS: '0',
    });
    expect(config.ingestLimits).to.deep.equal({ maxPendingEvents: 0, maxLagMs: 0, ratePerSecond: 500, rateBurst: 500, maxConcurrentRequests: 0 });
    expect(config.httpTimeouts.requestTimeoutMs).to.equal(0);
  });

  it('refuses bad values, naming the variable', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ MAX_JSON_DEPTH: '2' }, /MAX_JSON_DEPTH must be an integer between 8 and/],
      [{ MAX_API_BODY_BYTES: 'lots' }, /MAX_API_BODY_BYTES/],
      [{ INGEST_MAX_PENDING_EVENTS: '-1' }, /INGEST_MAX_PENDING_EVENTS/],
      [{ INGEST_RATE_LIMIT_BURST: '0' }, /INGEST_RATE_LIMIT_BURST/],
      [{ HTTP_HEADERS_TIMEOUT_MS: '10' }, /HTTP_HEADERS_TIMEOUT_MS/],
      [{ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '20000' }, /HTTP_HEADERS_TIMEOUT_MS \(30000\) must not be longer than HTTP_REQUEST_TIMEOUT_MS/],
    ];
    for (const [env, message] of bad) expect(() => loadConfig(env), JSON.stringify(env)).to.throw(ConfigError, message);
  });

  it('checks slow connections often enough for the timeouts to hold within a second', () => {
    expect(serverTimeouts(loadConfig({}).httpTimeouts)).to.deep.equal({
      headersTimeout: 20_000, requestTimeout: 60_000, keepAliveTimeout: 65_000, connectionsCheckingInterval: 1000,
    });
    expect(serverTimeouts({ headersTimeoutMs: 300, requestTimeoutMs: 800, keepAliveTimeoutMs: 500 }).connectionsCheckingInterval).to.equal(60);
    expect(serverTimeouts({ headersTimeoutMs: 100, requestTimeoutMs: 0, keepAliveTimeoutMs: 500 }).connectionsCheckingInterval).to.equal(50);
  });
});
