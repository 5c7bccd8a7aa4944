import { expect } from 'chai';
import { testConfig } from '../../engine/config.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { storedEvents, uniqueId } from '../ingest/ingest-helpers.ts';
import { scrape } from '../metrics/scrape.ts';
import { postHead, rawConnection } from './raw-connection.ts';

const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 800;
const KEEP_ALIVE_TIMEOUT_MS = 500;
/** How late the server may close: its connection check runs every 60 ms here, plus scheduling on a busy machine. */
const SLACK_MS = 700;

describe('reliability: slow clients are cut off by the server timeouts', () => {
  let t: TestEngine;
  before(async () => {
    t = await startTestEngine({
      httpTimeouts: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS },
    });
  });
  after(async () => { await t.close(); });

  const basic = () => `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`;

  it('uses the defaults when nothing is configured: 20 s for headers, 60 s per request, 65 s keep-alive', () => {
    expect(testConfig().httpTimeouts).to.deep.equal({ headersTimeoutMs: 20_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000 });
    expect(t.engine.server.headersTimeout).to.equal(HEADERS_TIMEOUT_MS);
    expect(t.engine.server.requestTimeout).to.equal(REQUEST_TIMEOUT_MS);
    expect(t.engine.server.keepAliveTimeout).to.equal(KEEP_ALIVE_TIMEOUT_MS);
  });

  it('closes a connection that sends nothing after the headers timeout', async () => {
    const outcome = await rawConnection(t.url);
    expect(outcome.closedByServer).to.equal(true);
    expect(outcome.closedAfterMs).to.be.within(HEADERS_TIMEOUT_MS - 50, HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(outcome.response).to.match(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose headers trickle in (slowloris), however steadily they come', async () => {
    const outcome = await rawConnection(t.url, { head: 'POST /v1/track HTTP/1.1\r\nHost: localhost\r\n', drip: 'X-Padding: a\r\n', intervalMs: 50 });
    expect(outcome.closedByServer).to.equal(true);
    expect(outcome.closedAfterMs).to.be.within(HEADERS_TIMEOUT_MS - 50, HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(outcome.response).to.match(/^HTTP\/1\.1 408 /);
  });

  it('closes an ingest request whose body trickles in after the request timeout, and stores nothing of it', async () => {
    const userId = uniqueId('slow-body');
    const body = JSON.stringify({ userId, event: 'Slow' });
    const before = await scrape(t.url);
    const outcome = await rawConnection(t.url, {
      head: postHead('/v1/track', { 'content-type': 'application/json', 'content-length': String(body.length + 1000), authorization: basic() }) + body,
      drip: ' ', intervalMs: 50,
    });
    expect(outcome.closedByServer).to.equal(true);
    expect(outcome.closedAfterMs).to.be.within(REQUEST_TIMEOUT_MS - 50, REQUEST_TIMEOUT_MS + SLACK_MS);
    expect(outcome.response).to.match(/^HTTP\/1\.1 408 /);
    await t.settle();
    expect(await storedEvents(t, { query: `userId=${userId}` })).to.deep.equal([]);
    const after = await scrape(t.url);
    const timeouts = (s: typeof after) => s.value('journey_engine_ingest_rejected_total', { code: 'request_timeout' });
    expect(timeouts(after) - timeouts(before), 'counted as a rejected ingest request').to.equal(1);
    expect(t.engine.admission.inFlight, 'its admission slot is given back').to.equal(0);
  });

  it('closes an ingest request whose body stops arriving', async () => {
    const outcome = await rawConnection(t.url, {
      head: postHead('/v1/batch', { 'content-type': 'application/json', 'content-length': '5000', authorization: basic() }) + '{"batch":[',
    });
    expect(outcome.closedByServer).to.equal(true);
    expect(outcome.closedAfterMs).to.be.within(REQUEST_TIMEOUT_MS - 50, REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('closes a management API request whose body trickles in, and creates nothing', async () => {
    const name = uniqueId('slow-audience');
    const body = JSON.stringify({ name });
    const outcome = await rawConnection(t.url, {
      head: postHead('/api/v1/audiences', { 'content-type': 'application/json', 'content-length': String(body.length + 1000), authorization: `Bearer ${t.adminToken}` }) + body,
      drip: ' ', intervalMs: 50,
    });
    expect(outcome.closedByServer).to.equal(true);
    expect(outcome.closedAfterMs).to.be.within(REQUEST_TIMEOUT_MS - 50, REQUEST_TIMEOUT_MS + SLACK_MS);
    const audiences = await t.api('GET', '/api/v1/audiences');
    expect(audiences.body.audiences.map((a: { name: string }) => a.name)).to.not.include(name);
  });

  it('closes an idle kept-alive connection after the keep-alive timeout', async () => {
    const body = JSON.stringify({ userId: uniqueId('keep-alive'), event: 'Kept' });
    const outcome = await rawConnection(t.url, {
      head: postHead('/v1/track', { 'content-type': 'application/json', 'content-length': String(body.length), authorization: basic() }) + body,
    });
    expect(outcome.response).to.match(/^HTTP\/1\.1 200 /);
    expect(outcome.closedByServer).to.equal(true);
    // node:http waits its keepAliveTimeoutBuffer (1 s) beyond the timeout it advertises, so that a
    // client never reuses a connection the server is just closing.
    const buffer = t.engine.server.keepAliveTimeoutBuffer ?? 0;
    expect(outcome.closedAfterMs).to.be.within(KEEP_ALIVE_TIMEOUT_MS - 50, KEEP_ALIVE_TIMEOUT_MS + buffer + SLACK_MS);
  });

  it('keeps serving ordinary clients while slow ones are cut off', async () => {
    const slow = Array.from({ length: 20 }, () => rawConnection(t.url, { head: 'POST /v1/track HTTP/1.1\r\n', drip: 'X: y\r\n', intervalMs: 100 }));
    const userId = uniqueId('fast');
    const res = await t.ingest('/v1/track', { userId, event: 'Fast' });
    expect(res.status).to.equal(200);
    for (const outcome of await Promise.all(slow)) expect(outcome.closedByServer).to.equal(true);
    expect((await fetch(`${t.url}/health`)).status).to.equal(200);
  });
});
