/**
 * Deliveries in /metrics: a journey sends on entry to the webhook destination, whose URL is a
 * real local server answering 200, 500 or 400 by user; the attempts are counted by outcome
 * (delivered, retrying, failed) and timed, on the processing worker thread, and appear in the
 * engine's /metrics.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createDestination, ok, publishJourney, sendOnEntryJourney, startSink, webhookTarget, type Sink } from '../delivery-e2e/helpers.ts';
import { scrape } from './scrape.ts';

const ENTRY = 'Metrics Checkout';
const ATTEMPTS = 'journey_engine_delivery_attempts_total';
const DURATION = 'journey_engine_delivery_attempt_duration_seconds';

describe('metrics: delivery attempts by outcome', function () {
  this.timeout(20_000);
  let t: TestEngine;
  let sink: Sink;

  before(async () => {
    sink = await startSink((r) => {
      const user = r.json?.user;
      if (user === 'u-fail') return { status: 400, body: { error: 'no such list' } };
      if (user === 'u-retry') return { status: 503, body: { error: 'down' } };
      return { status: 200, body: { ok: true } };
    });
    // A file store: processing, and so sending, runs on the worker thread. The test clock keeps the retry from coming due.
    t = await startTestEngine({ testClock: true });
    await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event: ENTRY }));
    await t.settle();
    const destinationId = await createDestination(t, { name: 'Metrics hook' });
    await publishJourney(t, sendOnEntryJourney('Metrics nudge', ENTRY, {
      target: webhookTarget(destinationId),
      mapping: { url: `${sink.url}/hook`, method: 'POST', data: { user: { '@path': '$.userId' } } },
    }));
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  it('counts a delivery that succeeds, one that fails and one that will be retried, and times each attempt', async () => {
    const before = await scrape(t.url);
    for (const userId of ['u-ok', 'u-fail', 'u-retry']) {
      await ok(t.ingest('/v1/track', { userId, event: ENTRY, messageId: `m-${userId}` }));
    }
    await t.settle();
    expect(sink.requests).to.have.length(3);
    const s = await scrape(t.url);
    const delta = (name: string, labels: Record<string, string>) => s.value(name, labels) - before.value(name, labels);
    expect(delta(ATTEMPTS, { outcome: 'delivered' })).to.equal(1);
    expect(delta(ATTEMPTS, { outcome: 'failed' })).to.equal(1);
    expect(delta(ATTEMPTS, { outcome: 'retrying' })).to.equal(1);
    expect(delta(`${DURATION}_count`, {})).to.equal(3);
    expect(delta(`${DURATION}_count`, { outcome: 'delivered' })).to.equal(1);
    expect(s.value(`${DURATION}_sum`, { outcome: 'delivered' })).to.be.greaterThan(0);
    expect(s.types.get(DURATION)).to.equal('histogram');
  });
});
