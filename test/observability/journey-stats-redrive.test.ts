/**
 * Journey figures count deliveries, not failures: a failed delivery re-driven to success is
 * counted once, as sent; one re-driven that fails again is counted failed once. Before, every
 * move into `failed` added to the figure and a re-drive took nothing back, so the figures said
 * `sent 1, failed 1` for one delivery the listing showed delivered (an audit found it).
 */
import { expect } from 'chai';
import { STORE_MODES, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createDestination, journeyDeliveries, ok, publishJourney, sendOnEntryJourney, startSink, webhookTarget, type Sink } from '../delivery-e2e/helpers.ts';

for (const store of STORE_MODES) {
  describe(`Journey figures: re-driven deliveries [${store}]`, function () {
    this.timeout(60_000);
    let t: TestEngine;
    let sink: Sink;
    /** Paths the sink accepts (200); any other is refused with 400 (failed at once). */
    const fixed = new Set<string>();

    before(async () => {
      sink = await startSink((r) => (fixed.has(r.path) ? { status: 200, body: { ok: true } } : { status: 400, body: { error: 'bad request' } }));
      t = await startTestEngine({ testClock: true }, { store });
    });
    after(async () => {
      await t?.close();
      await sink?.close();
    });

    async function failedDelivery(path: string): Promise<{ journeyId: string; id: string }> {
      const entry = `Redrive ${path} Started`;
      await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event: entry }));
      await t.settle();
      const destinationId = await createDestination(t, { name: `Hook ${path}` });
      const journeyId = await publishJourney(t, sendOnEntryJourney(`Redrive figures ${path}`, entry, {
        target: webhookTarget(destinationId), mapping: { url: `${sink.url}${path}`, data: { '@path': '$.properties' } },
      }));
      await ok(t.ingest('/v1/track', { userId: `u${path}`, event: entry, properties: { n: 1 } }));
      await t.settle();
      const [d] = await journeyDeliveries(t, journeyId);
      expect(d.status).to.equal('failed');
      return { journeyId, id: d.id };
    }

    const deliveryFigures = async (journeyId: string) => (await ok(t.api('GET', `/api/v1/journeys/${journeyId}/stats`))).stats.deliveries;

    it('a failed delivery re-driven to success counts once, as sent', async () => {
      const { journeyId, id } = await failedDelivery('/fixed-later');
      expect(await deliveryFigures(journeyId)).to.deep.equal({ sent: 0, failed: 1, retrying: 0 });
      fixed.add('/fixed-later');
      await ok(t.api('POST', `/api/v1/deliveries/${id}/redrive`));
      await t.settle();
      expect((await journeyDeliveries(t, journeyId)).map((d) => d.status)).to.deep.equal(['delivered']);
      expect(await deliveryFigures(journeyId)).to.deep.equal({ sent: 1, failed: 0, retrying: 0 });
    });

    it('a failed delivery re-driven (in bulk) that fails again counts failed once', async () => {
      const { journeyId, id } = await failedDelivery('/still-broken');
      expect(await ok(t.api('POST', '/api/v1/deliveries/redrive', { ids: [id] }))).to.deep.equal({ redriven: 1, skipped: 0 });
      await t.settle();
      expect((await journeyDeliveries(t, journeyId)).map((d) => [d.status, d.attempts])).to.deep.equal([['failed', 2]]);
      expect(await deliveryFigures(journeyId)).to.deep.equal({ sent: 0, failed: 1, retrying: 0 });
    });
  });
}
