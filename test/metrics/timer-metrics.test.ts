/**
 * Journey timers and lag in /metrics, on engine time (the test clock): a delay's timer fired by
 * moving the clock past it is counted with its lateness (on the processing worker); with
 * processing stopped, the processing lag and the timer lag grow with the clock.
 */
import { expect } from 'chai';
import type { ManualClock } from '../../engine/clock.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { advance, ok, publishJourney } from '../delivery-e2e/helpers.ts';
import { scrape } from './scrape.ts';

const ENTRY = 'Metrics Delay Entry';
const FIRED = 'journey_engine_timers_fired_total';
const LATENESS = 'journey_engine_timer_lateness_seconds';

/** Seeds the catalog and publishes a journey that waits `delay` (ISO duration), then exits. */
async function delayJourney(t: TestEngine, delay: string): Promise<void> {
  await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event: ENTRY }));
  await t.settle();
  await publishJourney(t, {
    name: `Wait ${delay}`, entry: { event: ENTRY, reentry: { mode: 'once' } }, start: 'wait',
    steps: [
      { id: 'wait', type: 'delay', wait: { type: 'duration', duration: delay }, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  });
}

describe('metrics: timers and lag', function () {
  this.timeout(20_000);
  let t: TestEngine;
  afterEach(async () => { await t?.close(); });

  it('counts a fired timer and how late it fired (processing on the worker thread)', async () => {
    t = await startTestEngine({ testClock: true });
    await delayJourney(t, 'PT1H');
    await ok(t.ingest('/v1/track', { userId: 'waits', event: ENTRY }));
    await t.settle();
    const before = await scrape(t.url);
    expect(before.value(FIRED)).to.equal(0);

    await advance(t, 3_600_000 + 1_000);
    const s = await scrape(t.url);
    expect(s.value(FIRED)).to.equal(1);
    expect(s.value(`${LATENESS}_count`)).to.equal(1);
    // Due an hour after entry, fired once the clock moved 1 s past it (plus the test's own real time).
    expect(s.value(`${LATENESS}_sum`)).to.be.within(1, 5);
    expect(s.value(`${LATENESS}_bucket`, { le: '0.5' })).to.equal(0);
    expect(s.value(`${LATENESS}_bucket`, { le: '5' })).to.equal(1);
    expect(s.value('journey_engine_timer_lag_seconds')).to.equal(0);
  });

  it('reports the processing lag and the timer lag when processing falls behind (main-thread processing)', async () => {
    t = await startTestEngine({ testClock: true, dataDir: ':memory:' });
    await delayJourney(t, 'PT1M');
    await ok(t.ingest('/v1/track', { userId: 'waits', event: ENTRY }));
    await t.settle();
    const caughtUp = await scrape(t.url);
    expect(caughtUp.value('journey_engine_processing_lag_seconds')).to.equal(0);
    expect(caughtUp.value('journey_engine_timer_lag_seconds')).to.equal(0);

    await t.engine.processing.stopProcessing();
    await ok(t.ingest('/v1/track', { userId: 'late', event: 'Metrics Not Processed' }));
    (t.engine.clock as ManualClock).advance(65_000);
    const s = await scrape(t.url);
    expect(s.value('journey_engine_processing_lag_seconds')).to.be.within(65, 70);
    // The timer was due 60 s after entry: 5 s overdue, plus the test's own real time.
    expect(s.value('journey_engine_timer_lag_seconds')).to.be.within(5, 10);
  });
});
