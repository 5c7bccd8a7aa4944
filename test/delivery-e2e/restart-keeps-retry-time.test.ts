/**
 * A restart takes back the hand-offs the last processor held, but not the retries: a delivery
 * waiting out its backoff or a `Retry-After` keeps its time. Before, every retry due within the
 * next two minutes (the hand-off lease) was sent at once on restart; an audit saw a 429 with
 * `Retry-After: 60` answered by a resend 6 s later.
 */
import { expect } from 'chai';
import { removeDir, startTestEngine, tempDataDir, type TestEngine } from '../support/test-engine.ts';
import { advancePast, createDestination, journeyDeliveries, ok, publishJourney, sendOnEntryJourney, startSink, webhookTarget, type Sink } from './helpers.ts';

describe('delivery: a restart keeps a retry at its time', function () {
  this.timeout(30_000);
  let dataDir: string;
  let sink: Sink;
  let t: TestEngine | null = null;
  let throttled = true;

  before(async () => {
    dataDir = tempDataDir();
    sink = await startSink(() => (throttled ? { status: 429, headers: { 'retry-after': '60' }, body: { error: 'slow down' } } : { status: 200, body: { ok: true } }));
  });
  after(async () => {
    await t?.close();
    await sink.close();
    removeDir(dataDir);
  });

  it('does not resend a 429 before its Retry-After because the engine restarted', async () => {
    t = await startTestEngine({ dataDir, testClock: true });
    await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event: 'Throttled Started' }));
    await t.settle();
    const destinationId = await createDestination(t, { name: 'Throttled hook' });
    const journeyId = await publishJourney(t, sendOnEntryJourney('Throttled nudge', 'Throttled Started', {
      target: webhookTarget(destinationId), mapping: { url: `${sink.url}/throttled`, method: 'POST', data: { user: { '@path': '$.userId' } } },
    }));
    await ok(t.ingest('/v1/track', { userId: 'throttled-user', event: 'Throttled Started' }));
    await t.settle();
    const [before] = await journeyDeliveries(t, journeyId);
    expect(before, JSON.stringify(before)).to.include({ status: 'retrying', attempts: 1 });
    expect(sink.requests).to.have.length(1);

    await t.close();
    t = await startTestEngine({ dataDir, testClock: true });
    await t.settle();
    const [afterRestart] = await journeyDeliveries(t, journeyId);
    expect(afterRestart, 'the retry keeps its time across the restart').to.include({ status: 'retrying', attempts: 1, nextAttemptAt: before.nextAttemptAt });
    expect(sink.requests, 'nothing resent at the restart').to.have.length(1);

    throttled = false;
    await advancePast(t, before.nextAttemptAt);
    await t.settle();
    const [done] = await journeyDeliveries(t, journeyId);
    expect(done).to.include({ status: 'delivered', attempts: 2 });
    expect(sink.requests).to.have.length(2);
    expect(sink.requests[1]!.at - sink.requests[0]!.at, 'wall time: the resend came from the clock, not the restart').to.be.lessThan(60_000);
  });
});
