/**
 * GET /api/v1/journeys/{id}/stats counts a delivery that is waiting for its next attempt as
 * `deliveries.retrying` (README "Observability": a figure of *now*, whatever the range), neither
 * sent nor failed; once the destination recovers and the retry runs on engine time (the test
 * clock), it moves from `retrying` to `sent`.
 *
 * The journey sends on entry through the built-in webhook to a real local sink that answers 500
 * (retryable) until the test lets it answer 200.
 */
import { expect } from 'chai';
import { STORE_MODES, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import {
  advancePast, createDestination, journeyDeliveries, ok, publishJourney, sendOnEntryJourney, startSink, webhookTarget, type Sink,
} from '../delivery-e2e/helpers.ts';

const ENTRY = 'Retry Probe Started';

for (const store of STORE_MODES) {
  describe(`Journey figures: deliveries retrying [${store}]`, function () {
    this.timeout(60_000);
    let t: TestEngine;
    let sink: Sink;
    let journeyId: string;
    /** Whether the sink has recovered (answers 200) or is still down (answers 500). */
    let up = false;

    const stats = async (query = '') => {
      const res = await t.api('GET', `/api/v1/journeys/${journeyId}/stats${query}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body.stats;
    };

    before(async function () {
      this.timeout(60_000);
      sink = await startSink(() => (up ? { status: 200, body: { ok: true } } : { status: 500, body: { error: 'down for maintenance' } }));
      t = await startTestEngine({ testClock: true }, { store });
      // The entry event must be in the event catalog before a journey on it can be published.
      await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event: ENTRY }));
      await t.settle();
      const destinationId = await createDestination(t, { name: `Flaky hook ${store}` });
      journeyId = await publishJourney(t, sendOnEntryJourney(`Retrying figures ${store}`, ENTRY, {
        target: webhookTarget(destinationId), mapping: { url: `${sink.url}/flaky`, data: { '@path': '$.properties' } },
      }));
      // One user enters; settle() returns once the first attempt's outcome (500) is recorded.
      await ok(t.ingest('/v1/track', { userId: 'u-retry', event: ENTRY, properties: { total: 42 } }));
      await t.settle();
    });
    after(async () => {
      await t?.close();
      await sink?.close();
    });

    it('counts a send the destination answered 500 as retrying (not sent, not failed), now and over any range', async () => {
      expect(sink.requests.map((r) => r.path), 'the first attempt reached the sink').to.deep.equal(['/flaky']);
      const [d, ...others] = await journeyDeliveries(t, journeyId);
      expect(others, 'one delivery').to.deep.equal([]);
      expect(d.status, JSON.stringify(d)).to.equal('retrying');
      expect(d.attempts).to.equal(1);

      const s = await stats();
      expect(s.deliveries).to.deep.equal({ sent: 0, failed: 0, retrying: 1 });
      expect(s.steps.nudge).to.include({ reached: 1, sends: 1 });
      const past = await stats('?from=2001-01-01&to=2001-01-02');
      expect(past.deliveries, 'retrying is a figure of now, whatever the range').to.deep.equal({ sent: 0, failed: 0, retrying: 1 });
    });

    it('moves it from retrying to sent once the destination recovers and the retry time passes on the test clock', async () => {
      const [pending] = await journeyDeliveries(t, journeyId);
      expect(pending.status, JSON.stringify(pending)).to.equal('retrying');
      expect(pending.nextAttemptAt, 'a retry is scheduled').to.be.a('number');
      up = true;
      await advancePast(t, pending.nextAttemptAt);

      expect(sink.requests.map((r) => r.path), 'the retry reached the sink').to.deep.equal(['/flaky', '/flaky']);
      const [d] = await journeyDeliveries(t, journeyId);
      expect(d.status, JSON.stringify(d)).to.equal('delivered');
      expect(d.attempts).to.equal(2);

      const s = await stats();
      expect(s.deliveries).to.deep.equal({ sent: 1, failed: 0, retrying: 0 });
      expect(s.steps.nudge, 'a retry is not a second send').to.include({ reached: 1, sends: 1 });
    });
  });
}
