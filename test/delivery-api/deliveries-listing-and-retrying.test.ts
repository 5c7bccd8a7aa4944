/**
 * The deliveries API, end to end: listing and paging deliveries, skipped sends, and deliveries
 * that wait for a retry (re-driven now, or sent once the test clock passes the backoff).
 */
import { expect } from 'chai';
import type { Answer, TestEngine } from '../support/test-engine.ts';
import { Sink, withEngineAndSink, createWebhook, deliveriesOfJourney, delivery, enter, epochMs, expectError, publishSendJourney, unique } from './delivery-api-helpers.ts';

describe('deliveries API: listing and retrying', function () {
  this.timeout(30_000);
  let t: TestEngine;
  const sink = new Sink();

  withEngineAndSink(sink, (engine) => { t = engine; });

  describe('listing', () => {
    it('pages with limit and cursor, without repeats or gaps', async () => {
      const path = '/paging';
      const event = 'Paging Probe Started';
      sink.answer(path, 400);
      const journeyId = await publishSendJourney(t, event, { type: 'destination', destinationId: await createWebhook(t), action: 'send' }, sink.url(path));
      await enter(t, event, [unique('p1'), unique('p2'), unique('p3'), unique('p4'), unique('p5')]);

      const all = await deliveriesOfJourney(t, journeyId);
      expect(all).to.have.length(5);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `journeyId=${journeyId}&status=failed&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: Answer = await t.api('GET', `/api/v1/deliveries?${query}`);
        expect(page.status, JSON.stringify(page.body)).to.equal(200);
        expect(page.body.deliveries.length).to.be.at.most(2);
        seen.push(...page.body.deliveries.map((d: any) => d.id));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).to.equal(3);
      expect(seen).to.have.length(5);
      expect(new Set(seen).size).to.equal(5);
      expect(seen).to.have.members(all.map((d) => d.id));
    });

    it('a bad status, limit or cursor value answers 400 invalid_request with its path', async () => {
      expectError(await t.api('GET', '/api/v1/deliveries?status=lost'), 400, 'invalid_request', '?status');
      expectError(await t.api('GET', '/api/v1/deliveries?status=failed&status=delivered'), 400, 'invalid_request', '?status');
      expectError(await t.api('GET', '/api/v1/deliveries?limit=0'), 400, 'invalid_request', '?limit');
      expectError(await t.api('GET', '/api/v1/deliveries?limit=1001'), 400, 'invalid_request', '?limit');
      expectError(await t.api('GET', '/api/v1/deliveries?limit=two'), 400, 'invalid_request', '?limit');
      expectError(await t.api('GET', '/api/v1/deliveries?journeyId='), 400, 'invalid_request', '?journeyId');
    });

    it('a send without a target is recorded as skipped and sends nothing', async () => {
      const event = 'Skipped Probe Started';
      const before = sink.received.length;
      const journeyId = await publishSendJourney(t, event, null, sink.url('/never'));
      await enter(t, event, [unique('nobody')]);
      const list = await deliveriesOfJourney(t, journeyId);
      expect(list.map((d) => d.status)).to.deep.equal(['skipped']);
      const skipped = await t.api('GET', `/api/v1/deliveries?status=skipped&journeyId=${journeyId}`);
      expect(skipped.body.deliveries.map((d: any) => d.id)).to.deep.equal([list[0].id]);
      expect(sink.received.length).to.equal(before);
      expectError(await t.api('POST', `/api/v1/deliveries/${list[0].id}/redrive`), 409, 'invalid_transition');
    });
  });

  describe('retrying deliveries', () => {
    it('a 503 waits for a retry at engine time; a re-drive sends it now, with the same key', async () => {
      const path = '/unavailable';
      const event = 'Retry Probe Started';
      sink.answer(path, 503);
      const journeyId = await publishSendJourney(t, event, { type: 'destination', destinationId: await createWebhook(t), action: 'send' }, sink.url(path));
      await enter(t, event, [unique('retry')]);
      const [d] = await deliveriesOfJourney(t, journeyId);
      expect(d).to.include({ status: 'retrying', attempts: 1 });
      expect(d.attemptLog[0]).to.include({ outcome: 'retry', status: 503 });
      // Backoff after the first attempt: between the 1 s base and 2 s (full jitter), from the attempt.
      const firstAt = Date.parse(d.attemptLog[0].at);
      const due = epochMs(d.nextAttemptAt);
      expect(due - firstAt).to.be.within(1_000, 2_000 + d.attemptLog[0].durationMs + 50);

      sink.answer(path, 200);
      const res = await t.api('POST', `/api/v1/deliveries/${d.id}/redrive`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.delivery.status).to.equal('pending');
      expect(epochMs(res.body.delivery.nextAttemptAt)).to.be.below(due);
      await t.settle();
      const after = await delivery(t, d.id);
      expect(after).to.include({ status: 'delivered', attempts: 2 });
      const got = sink.at(path);
      expect(got.map((r) => r.headers['idempotency-key'])).to.deep.equal([d.idempotencyKey, d.idempotencyKey]);
    });

    it('without a re-drive, advancing the test clock past the backoff delivers it', async () => {
      const path = '/flaky';
      const event = 'Clock Retry Probe Started';
      sink.answer(path, 503);
      const journeyId = await publishSendJourney(t, event, { type: 'destination', destinationId: await createWebhook(t), action: 'send' }, sink.url(path));
      await enter(t, event, [unique('clock')]);
      const [d] = await deliveriesOfJourney(t, journeyId);
      expect(d.status).to.equal('retrying');
      sink.answer(path, 200);
      const advanced = await t.api('POST', '/api/v1/test-clock/advance', { ms: 60_000 });
      expect(advanced.status, JSON.stringify(advanced.body)).to.equal(200);
      await t.settle();
      expect(await delivery(t, d.id)).to.include({ status: 'delivered', attempts: 2 });
    });
  });
});
