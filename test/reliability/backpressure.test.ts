import { setTimeout as sleep } from 'node:timers/promises';
import { Analytics } from '@segment/analytics-node';
import { expect } from 'chai';
import { testConfig, type EngineConfig } from '../../engine/config.ts';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';
import { expectAccepted, expectError, storedEvents, uniqueId } from '../ingest/ingest-helpers.ts';
import { scrape } from '../metrics/scrape.ts';
import { postHead, rawConnection } from './raw-connection.ts';

/** The default ingest limits with some overridden. */
function limits(overrides: Partial<EngineConfig['ingestLimits']>): EngineConfig['ingestLimits'] {
  return { ...testConfig().ingestLimits, ...overrides };
}

/** A batch of `n` track messages of one user. */
function batchOf(n: number, userId: string) {
  return { batch: Array.from({ length: n }, (_, i) => ({ type: 'track', userId, event: 'Queued', properties: { i } })) };
}

/** Marks the `n` oldest waiting events processed, as the processor would (processing itself is stopped). */
async function processOldest(t: TestEngine, n: number): Promise<void> {
  await t.engine.store.events.markProcessed(await t.engine.store.events.pending(n));
  await t.engine.admission.backpressure.refresh();
}

/**
 * Asserts a 429 backpressure answer whose Retry-After (header and body agree) is `seconds`, or at
 * least 1 when not given (it grows with how long refusing has lasted).
 */
function expectBackpressure(res: Answer, seconds?: number): void {
  expectError(res, { status: 429, code: 'backpressure', message: /processing is behind .*nothing was stored/ });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(res.body.error.retryAfterSeconds).to.equal(retryAfter);
  if (seconds !== undefined) expect(retryAfter).to.equal(seconds);
  else expect(retryAfter).to.be.within(1, 60);
}

describe('reliability: ingest backpressure', () => {
  it('defaults to 100,000 waiting events or 300 s of lag, 1,000 requests in flight, and no rate limit', () => {
    expect(testConfig().ingestLimits).to.deep.equal({
      maxPendingEvents: 100_000, maxLagMs: 300_000, ratePerSecond: 0, rateBurst: 1, maxConcurrentRequests: 1_000,
    });
  });

  describe('with processing stopped (the backlog is processed by hand)', () => {
    let t: TestEngine;
    // In memory, processing runs on this thread over the same store: the test can play the processor.
    beforeEach(async () => {
      t = await startTestEngine({ dataDir: ':memory:', ingestLimits: limits({ maxPendingEvents: 10 }) });
      await t.engine.processing.stopProcessing();
    });
    afterEach(async () => { await t.close(); });

    it('answers 429 backpressure with Retry-After past the bound, stores nothing meanwhile, and resumes under 80% of it', async () => {
      const userId = uniqueId('bp');
      expectAccepted(await t.ingest('/v1/batch', batchOf(11, userId)), 11);
      await t.engine.admission.backpressure.refresh();

      const refused = uniqueId('refused');
      expectBackpressure(await t.ingest('/v1/track', { userId: refused, event: 'Refused' }), 1);
      expectBackpressure(await t.ingest('/v1/batch', batchOf(3, refused)));
      expectBackpressure(await t.ingest('/v1/track', { userId: refused, event: 'Refused' }, { writeKey: 'wk_not_even_a_real_key_1234' }));

      await processOldest(t, 2);
      expectBackpressure(await t.ingest('/v1/track', { userId: refused, event: 'Refused' }));
      await processOldest(t, 1);
      expect(t.engine.admission.backpressure.refusing, '8 waiting: 80% of the bound').to.equal(false);
      expectAccepted(await t.ingest('/v1/track', { userId, event: 'Accepted again' }), 1);
      expectAccepted(await t.ingest('/v1/batch', batchOf(2, userId)), 2, 0);

      expect(await storedEvents(t, { query: `userId=${refused}` }), 'nothing of the refused requests').to.deep.equal([]);
      expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(14);
    });

    it('counts refusals and shows the state in /metrics; the management API keeps working', async () => {
      const before = await scrape(t.url);
      expectAccepted(await t.ingest('/v1/batch', batchOf(11, uniqueId('bp'))), 11);
      await t.engine.admission.backpressure.refresh();
      expectBackpressure(await t.ingest('/v1/track', { userId: 'u', event: 'Refused' }));
      const during = await scrape(t.url);
      expect(during.value('journey_engine_ingest_backpressure')).to.equal(1);
      const refusals = (s: typeof during) => s.value('journey_engine_ingest_rejected_total', { code: 'backpressure' });
      expect(refusals(during) - refusals(before)).to.equal(1);
      expect((await t.api('GET', '/api/v1/audiences')).status, 'management calls are not refused').to.equal(200);
      await processOldest(t, 11);
      expect((await scrape(t.url)).value('journey_engine_ingest_backpressure')).to.equal(0);
    });

    it('refuses on processing lag alone when the count bound is off', async () => {
      await t.close();
      // A lag bound of 1.5 s: the 'Young enough' event must still pass on a loaded machine.
      t = await startTestEngine({ dataDir: ':memory:', ingestLimits: limits({ maxPendingEvents: 0, maxLagMs: 1500 }) });
      await t.engine.processing.stopProcessing();
      expectAccepted(await t.ingest('/v1/track', { userId: uniqueId('lag'), event: 'Waiting' }), 1);
      await t.engine.admission.backpressure.refresh();
      expectAccepted(await t.ingest('/v1/track', { userId: uniqueId('lag'), event: 'Young enough' }), 1);
      await sleep(1600);
      await t.engine.admission.backpressure.refresh();
      expectBackpressure(await t.ingest('/v1/track', { userId: uniqueId('lag'), event: 'Too late' }));
      await processOldest(t, 10);
      expectAccepted(await t.ingest('/v1/track', { userId: uniqueId('lag'), event: 'Caught up' }), 1);
    });

    it('notices the backlog by itself within its refresh interval (no request reads the store)', async () => {
      expectAccepted(await t.ingest('/v1/batch', batchOf(11, uniqueId('bp'))), 11);
      const started = performance.now();
      while (!t.engine.admission.backpressure.refusing) {
        expect(performance.now() - started, 'ms until refusing').to.be.below(2_000);
        await sleep(20);
      }
      expectBackpressure(await t.ingest('/v1/track', { userId: 'u', event: 'Refused' }));
      await t.engine.store.events.markProcessed(await t.engine.store.events.pending(100));
      while (t.engine.admission.backpressure.refusing) {
        expect(performance.now() - started, 'ms until accepting').to.be.below(4_000);
        await sleep(20);
      }
      expectAccepted(await t.ingest('/v1/track', { userId: 'u', event: 'Accepted' }), 1);
    });

    it('is honoured by @segment/analytics-node: it waits Retry-After, sends again, and nothing is lost', async () => {
      expectAccepted(await t.ingest('/v1/batch', batchOf(11, uniqueId('bp'))), 11);
      await t.engine.admission.backpressure.refresh();

      const analytics = new Analytics({ writeKey: t.writeKey, host: t.url, flushInterval: 60_000, maxRetries: 3 });
      const responses: Array<{ status: number; at: number }> = [];
      analytics.on('http_response', (r) => responses.push({ status: r.status, at: performance.now() }));
      const errors: unknown[] = [];
      const userId = uniqueId('client');
      for (let i = 0; i < 3; i++) analytics.track({ userId, event: 'Sent during backpressure', properties: { i } }, (err) => { if (err) errors.push(err); });
      const flushed = analytics.closeAndFlush({ timeout: 9_000 });
      while (responses.length === 0) await sleep(10);
      expect(responses[0]!.status).to.equal(429);
      await processOldest(t, 100);
      await flushed;

      expect(errors).to.deep.equal([]);
      expect(responses.map((r) => r.status)).to.deep.equal([429, 200]);
      expect(responses[1]!.at - responses[0]!.at, 'ms the client waited (Retry-After: 1)').to.be.at.least(950);
      expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(3);
    });
  });

  it('kicks in under a real flood and recovers by itself once processing catches up', async function () {
    this.timeout(30_000);
    const t = await startTestEngine({ ingestLimits: limits({ maxPendingEvents: 150 }) });
    try {
      const userId = uniqueId('flood');
      let accepted = 0;
      let refused: Answer | null = null;
      const started = performance.now();
      // Eight senders of 100-event batches until one is refused: ingest outpaces processing.
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (refused === null && performance.now() - started < 15_000) {
          const res = await t.ingest('/v1/batch', batchOf(100, userId));
          if (res.status === 200) accepted += res.body.stored as number;
          else refused ??= res;
        }
      }));
      expect(refused, 'a refusal within 15 s').to.not.equal(null);
      expectBackpressure(refused!);

      // Processing (on its own thread) drains the backlog; ingest resumes without anyone's help.
      let res: Answer;
      do {
        await sleep(100);
        res = await t.ingest('/v1/track', { userId, event: 'After the flood' });
        expect(performance.now() - started, 'ms until accepted again').to.be.below(25_000);
      } while (res.status === 429);
      expectAccepted(res, 1);
      await t.settle();
      expect(await storedEvents(t, { query: `userId=${userId}` }), 'exactly what was acknowledged').to.have.length(accepted + 1);
    } finally {
      await t.close();
    }
  });

  it('reads the backlog of a MongoDB store the same way (what every engine process sharing it sees)', async function () {
    this.timeout(30_000);
    const t = await startTestEngine({ ingestLimits: limits({ maxPendingEvents: 10 }) }, { store: 'mongodb' });
    try {
      await t.engine.processing.stopProcessing();
      expectAccepted(await t.ingest('/v1/batch', batchOf(11, uniqueId('bp-mongo'))), 11);
      await t.engine.admission.backpressure.refresh();
      expectBackpressure(await t.ingest('/v1/track', { userId: 'u', event: 'Refused' }), 1);
      await processOldest(t, 3);
      expectAccepted(await t.ingest('/v1/track', { userId: 'u', event: 'Accepted' }), 1);
    } finally {
      await t.close();
    }
  });

  describe('requests in flight (INGEST_MAX_CONCURRENT_REQUESTS)', () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine({ ingestLimits: limits({ maxConcurrentRequests: 1 }) }); });
    after(async () => { await t.close(); });

    it('answers 503 overloaded with Retry-After past the bound, and takes requests again once one ends', async () => {
      const userId = uniqueId('in-flight');
      const body = JSON.stringify({ userId, event: 'Slow upload' });
      // A client that sends its headers and half its body, then pauses: it holds the one slot.
      const slow = rawConnection(t.url, {
        head: postHead('/v1/track', {
          'content-type': 'application/json', 'content-length': String(body.length),
          authorization: `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`,
        }) + body.slice(0, 10),
        maxMs: 1_500,
      });
      while (t.engine.admission.inFlight === 0) await sleep(5);

      const res = await t.ingest('/v1/track', { userId, event: 'Refused' });
      expectError(res, { status: 503, code: 'overloaded', message: /nothing was stored/ });
      expect(res.headers.get('retry-after')).to.equal('1');

      const outcome = await slow;
      expect(outcome.closedByServer, 'the slow client gave up first').to.equal(false);
      while (t.engine.admission.inFlight > 0) await sleep(5);
      expectAccepted(await t.ingest('/v1/track', { userId, event: 'Accepted' }), 1);
      const stored = await storedEvents(t, { query: `userId=${userId}` });
      expect(stored.map((e) => e['event'])).to.deep.equal(['Accepted']);
    });
  });
});
