/**
 * The deliveries API, end to end: bulk re-drive (validation, narrowing by ids, limit and
 * journey), and signed webhook deliveries with the stored shared secret.
 */
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import { Sink, withEngineAndSink, createWebhook, deliveriesOfJourney, delivery, enter, publishSendJourney, unique } from './delivery-api-helpers.ts';

describe('deliveries API: bulk re-drive and signed deliveries', function () {
  this.timeout(30_000);
  let t: TestEngine;
  const sink = new Sink();

  withEngineAndSink(sink, (engine) => { t = engine; });

  describe('bulk re-drive', () => {
    const fixedPath = '/bulk-fixed';
    const brokenPath = '/bulk-broken';
    let fixedJourney: string;
    let brokenJourney: string;

    before(async () => {
      sink.answer(fixedPath, 400);
      sink.answer(brokenPath, 400);
      const destinationId = await createWebhook(t);
      fixedJourney = await publishSendJourney(t, 'Bulk Fixed Started', { type: 'destination', destinationId, action: 'send' }, sink.url(fixedPath));
      brokenJourney = await publishSendJourney(t, 'Bulk Broken Started', { type: 'destination', destinationId, action: 'send' }, sink.url(brokenPath));
      await enter(t, 'Bulk Fixed Started', [unique('f1'), unique('f2'), unique('f3')]);
      await enter(t, 'Bulk Broken Started', [unique('b1'), unique('b2'), unique('b3')]);
      expect((await deliveriesOfJourney(t, fixedJourney)).map((d) => d.status)).to.deep.equal(['failed', 'failed', 'failed']);
      expect((await deliveriesOfJourney(t, brokenJourney)).map((d) => d.status)).to.deep.equal(['failed', 'failed', 'failed']);
    });

    const badBodies: Array<[string, unknown, string]> = [
      ['an array', [], ''],
      ['an unknown property', { status: 'failed', everything: true }, '/everything'],
      ['a status that cannot be re-driven', { status: 'delivered' }, '/status'],
      ['an empty journeyId', { journeyId: '' }, '/journeyId'],
      ['a numeric journeyId', { journeyId: 7 }, '/journeyId'],
      ['empty ids', { ids: [] }, '/ids'],
      ['ids not strings', { ids: [1, 2] }, '/ids'],
      ['ids not an array', { ids: 'abc' }, '/ids'],
      ['limit 0', { limit: 0 }, '/limit'],
      ['limit 10001', { limit: 10_001 }, '/limit'],
      ['a fractional limit', { limit: 1.5 }, '/limit'],
      ['a string limit', { limit: '5' }, '/limit'],
    ];

    it('bad bodies answer 400 invalid_request with the path, and re-drive nothing', async () => {
      const before = sink.received.length;
      for (const [label, body, path] of badBodies) {
        const res = await t.api('POST', '/api/v1/deliveries/redrive', body);
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).to.equal(400);
        expect(res.body.error.code, label).to.equal('invalid_request');
        expect(res.body.error.path, label).to.equal(path);
      }
      await t.settle();
      expect(sink.received.length).to.equal(before);
      for (const d of await deliveriesOfJourney(t, fixedJourney)) expect(d).to.include({ status: 'failed', attempts: 1 });
    });

    it('ids and limit narrow the selection', async () => {
      const broken = await deliveriesOfJourney(t, brokenJourney);
      const one = await t.api('POST', '/api/v1/deliveries/redrive', { ids: [broken[0].id] });
      expect(one.status, JSON.stringify(one.body)).to.equal(200);
      expect(one.body).to.deep.equal({ redriven: 1, skipped: 0 });
      await t.settle();
      // Still broken: it failed again (a second attempt), the others were not touched.
      expect(await delivery(t, broken[0].id)).to.include({ status: 'failed', attempts: 2 });
      expect(await delivery(t, broken[1].id)).to.include({ status: 'failed', attempts: 1 });

      const limited = await t.api('POST', '/api/v1/deliveries/redrive', { journeyId: brokenJourney, limit: 2 });
      expect(limited.body).to.deep.equal({ redriven: 2, skipped: 0 });
      await t.settle();
      const attempts = (await deliveriesOfJourney(t, brokenJourney)).map((d) => d.attempts).reduce((a, b) => a + b, 0);
      expect(attempts).to.equal(3 + 1 + 2);
    });

    it('a journeyId filter re-drives every failed delivery of that journey only', async () => {
      sink.answer(fixedPath, 200);
      const brokenBefore = (await deliveriesOfJourney(t, brokenJourney)).map((d) => [d.id, d.attempts, d.status]);
      const fixedBefore = await deliveriesOfJourney(t, fixedJourney);

      const res = await t.api('POST', '/api/v1/deliveries/redrive', { journeyId: fixedJourney });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.equal({ redriven: 3, skipped: 0 });
      await t.settle();

      const fixed = await deliveriesOfJourney(t, fixedJourney);
      expect(fixed.map((d) => [d.status, d.attempts])).to.deep.equal([['delivered', 2], ['delivered', 2], ['delivered', 2]]);
      const got = sink.at(fixedPath);
      expect(got).to.have.length(6);
      for (const d of fixedBefore) {
        expect(got.filter((r) => r.headers['idempotency-key'] === d.idempotencyKey), d.id).to.have.length(2);
      }
      expect((await deliveriesOfJourney(t, brokenJourney)).map((d) => [d.id, d.attempts, d.status])).to.deep.equal(brokenBefore);

      // Nothing failed is left in that journey: a second bulk re-drive finds nothing.
      const again = await t.api('POST', '/api/v1/deliveries/redrive', { journeyId: fixedJourney });
      expect(again.body).to.deep.equal({ redriven: 0, skipped: 0 });
    });
  });

  describe('signed webhook deliveries and the stored secret', () => {
    function signature(body: string, secret: string): string {
      return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
    }

    it('signs with the shared secret; an update that omits it or sends the marker keeps signing with the original', async () => {
      const path = '/signed';
      const event = 'Signed Probe Started';
      const createdDst = await t.api('POST', '/api/v1/destinations', { plugin: 'webhook', name: unique('Signed hook'), settings: { sharedSecret: 'orig-secret' } });
      expect(createdDst.status).to.equal(201);
      const dst = createdDst.body.destination;
      expect(dst.settings.sharedSecret).to.equal('••••');
      await publishSendJourney(t, event, { type: 'destination', destinationId: dst.id, action: 'send' }, sink.url(path));

      await enter(t, event, [unique('s1')]);
      let got = sink.at(path);
      expect(got).to.have.length(1);
      expect(got[0]!.headers['x-signature']).to.equal(signature(got[0]!.body, 'orig-secret'));

      const omitted = await t.api('PUT', `/api/v1/destinations/${dst.id}`, { plugin: 'webhook', name: dst.name, delivery: { concurrency: 5 } });
      expect(omitted.status, JSON.stringify(omitted.body)).to.equal(200);
      expect(omitted.body.destination.settings).to.deep.equal({ sharedSecret: '••••' });
      await enter(t, event, [unique('s2')]);
      const marker = await t.api('PUT', `/api/v1/destinations/${dst.id}`, { plugin: 'webhook', name: dst.name, settings: { sharedSecret: '••••' } });
      expect(marker.status, JSON.stringify(marker.body)).to.equal(200);
      await enter(t, event, [unique('s3')]);
      got = sink.at(path);
      expect(got).to.have.length(3);
      for (const r of got) expect(r.headers['x-signature']).to.equal(signature(r.body, 'orig-secret'));

      // A rotated secret is used for the next send at once (the processing thread is told of the change).
      const rotated = await t.api('PUT', `/api/v1/destinations/${dst.id}`, { plugin: 'webhook', name: dst.name, settings: { sharedSecret: 'new-secret' } });
      expect(rotated.status).to.equal(200);
      await enter(t, event, [unique('s4')]);
      got = sink.at(path);
      expect(got).to.have.length(4);
      expect(got[3]!.headers['x-signature']).to.equal(signature(got[3]!.body, 'new-secret'));
    });
  });
});
