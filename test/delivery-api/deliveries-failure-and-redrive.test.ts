/**
 * The deliveries API, end to end: a delivery the receiver refuses fails, and a re-drive sends
 * it again with the same idempotency key; deliveries whose retries gave up get a new retry
 * window when re-driven.
 */
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import { Sink, advanceClock, withEngineAndSink, createWebhook, deliveriesOfJourney, delivery, enter, expectError, publishSendJourney, unique } from './delivery-api-helpers.ts';

describe('deliveries API: a failed delivery and its re-drive', function () {
  this.timeout(30_000);
  let t: TestEngine;
  const sink = new Sink();

  withEngineAndSink(sink, (engine) => { t = engine; });

  describe('a permanent failure and its re-drive', () => {
    const path = '/permanent';
    const event = 'Permanent Probe Started';
    let journeyId: string;
    let failed: any;

    before(async () => {
      sink.answer(path, 400);
      journeyId = await publishSendJourney(t, event, { type: 'destination', destinationId: await createWebhook(t), action: 'send' }, sink.url(path));
      await enter(t, event, [unique('ada')]);
      const list = await deliveriesOfJourney(t, journeyId);
      expect(list).to.have.length(1);
      failed = list[0];
    });

    it('a 400 fails the delivery at once, with the reason and one attempt log entry', async () => {
      const d = await delivery(t, failed.id);
      expect(d).to.include({ journeyId, stepId: 'forward', status: 'failed', attempts: 1, nextAttemptAt: null, deliveredAt: null });
      expect(d.reason).to.be.a('string').and.contain('400');
      expect(d.attemptLog).to.have.length(1);
      expect(d.attemptLog[0]).to.include({ outcome: 'failed', status: 400 });
      expect(d.attemptLog[0].reason).to.contain('400');
      expect(d.attemptLog[0].response).to.contain('refused with 400');
      expect(d.idempotencyKey).to.equal(`${d.instanceId}:forward:0`);
      expect(d).not.to.have.property('spaceId');
      // The receiver saw exactly one request, carrying the idempotency key.
      const got = sink.at(path);
      expect(got).to.have.length(1);
      expect(got[0]!.headers['idempotency-key']).to.equal(d.idempotencyKey);
      expect(JSON.parse(got[0]!.body)).to.include({ type: 'track', event: `${event} Forwarded`, messageId: d.idempotencyKey });
    });

    it('GET /deliveries?status=failed lists it, other statuses do not, and journeyId filters', async () => {
      const failedList = await t.api('GET', `/api/v1/deliveries?status=failed&limit=1000`);
      expect(failedList.status).to.equal(200);
      expect(failedList.body.deliveries.map((d: any) => d.id)).to.include(failed.id);
      for (const d of failedList.body.deliveries) expect(d.status).to.equal('failed');

      for (const status of ['delivered', 'pending', 'retrying', 'skipped']) {
        const other = await t.api('GET', `/api/v1/deliveries?status=${status}&limit=1000`);
        expect(other.status).to.equal(200);
        expect(other.body.deliveries.map((d: any) => d.id), status).not.to.include(failed.id);
      }

      const byJourney = await t.api('GET', `/api/v1/deliveries?journeyId=${journeyId}&status=failed`);
      expect(byJourney.body.deliveries.map((d: any) => d.id)).to.deep.equal([failed.id]);
      const otherJourney = await t.api('GET', '/api/v1/deliveries?journeyId=jrn_nothing-here');
      expect(otherJourney.status).to.equal(200);
      expect(otherJourney.body).to.deep.equal({ deliveries: [], nextCursor: null });
    });

    it('GET /instances/{id}/deliveries and the instance detail show it', async () => {
      const res = await t.api('GET', `/api/v1/instances/${failed.instanceId}/deliveries`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.deliveries.map((d: any) => [d.id, d.status])).to.deep.equal([[failed.id, 'failed']]);
      const detail = await t.api('GET', `/api/v1/journeys/${journeyId}/instances/${failed.instanceId}`);
      expect(detail.status).to.equal(200);
      expect(detail.body.deliveries.map((d: any) => d.id)).to.deep.equal([failed.id]);
      expectError(await t.api('GET', '/api/v1/instances/ins_unknown/deliveries'), 404, 'not_found');
    });

    it('after the receiver is fixed, a re-drive delivers it with the same idempotency key; attempts = 2', async () => {
      sink.answer(path, 200);
      const res = await t.api('POST', `/api/v1/deliveries/${failed.id}/redrive`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.delivery).to.include({ id: failed.id, status: 'pending', reason: null, attempts: 1 });
      await t.settle();

      const d = await delivery(t, failed.id);
      expect(d).to.include({ status: 'delivered', attempts: 2, reason: null, idempotencyKey: failed.idempotencyKey });
      expect(d.deliveredAt).to.be.a('string');
      expect(d.attemptLog.map((a: any) => [a.outcome, a.status])).to.deep.equal([['failed', 400], ['delivered', 200]]);

      const got = sink.at(path);
      expect(got).to.have.length(2);
      expect(got[1]!.headers['idempotency-key']).to.equal(got[0]!.headers['idempotency-key']);
      expect(got[1]!.headers['idempotency-key']).to.equal(failed.idempotencyKey);
      expect(JSON.parse(got[1]!.body).messageId).to.equal(JSON.parse(got[0]!.body).messageId);

      const delivered = await t.api('GET', `/api/v1/deliveries?status=delivered&journeyId=${journeyId}`);
      expect(delivered.body.deliveries.map((x: any) => x.id)).to.deep.equal([failed.id]);
    });

    it('re-driving a delivered one answers 409 invalid_transition and sends nothing', async () => {
      const before = sink.at(path).length;
      expectError(await t.api('POST', `/api/v1/deliveries/${failed.id}/redrive`), 409, 'invalid_transition');
      await t.settle();
      expect(sink.at(path)).to.have.length(before);
      expect(await delivery(t, failed.id)).to.include({ status: 'delivered', attempts: 2 });
    });

    it('t.settle() after a re-drive waits for the outcomes (single and bulk), every time', async () => {
      const path = '/settle-race';
      const event = 'Settle Race Started';
      sink.answer(path, 400);
      const journeyId = await publishSendJourney(t, event, { type: 'destination', destinationId: await createWebhook(t), action: 'send' }, sink.url(path));
      const batch = await t.ingest('/v1/batch', { batch: Array.from({ length: 300 }, (_, i) => ({ type: 'track', userId: unique(`racer${i}`), event })) });
      expect(batch.status, JSON.stringify(batch.body)).to.equal(200);
      await t.settle();
      const all = await deliveriesOfJourney(t, journeyId);
      expect(all).to.have.length(300);
      const rounds: string[] = [];
      for (let round = 0; round < 4; round++) {
        const bulk = await t.api('POST', '/api/v1/deliveries/redrive', { journeyId });
        expect(bulk.body, JSON.stringify(bulk.body)).to.deep.equal({ redriven: 300, skipped: 0 });
        await t.settle();
        const counts: Record<string, number> = {};
        for (const d of await deliveriesOfJourney(t, journeyId)) counts[`${d.status}/${d.attempts}`] = (counts[`${d.status}/${d.attempts}`] ?? 0) + 1;
        rounds.push(JSON.stringify(counts));
        // Let any send settle() missed finish before the next round.
        for (let wait = 0; wait < 50 && (await deliveriesOfJourney(t, journeyId)).some((d) => d.status === 'pending'); wait++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(rounds).to.deep.equal(Array.from({ length: 4 }, (_, i) => JSON.stringify({ [`failed/${i + 2}`]: 300 })));
      const single: string[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await t.api('POST', `/api/v1/deliveries/${all[0].id}/redrive`);
        await t.settle();
        const now = await delivery(t, all[0].id);
        single.push(`${res.status} ${now.status}/${now.attempts}`);
        for (let wait = 0; wait < 50 && (await delivery(t, all[0].id)).status === 'pending'; wait++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(single).to.deep.equal(Array.from({ length: 30 }, (_, i) => `200 failed/${i + 6}`));
    });

    it('unknown ids answer 404 not_found', async () => {
      expectError(await t.api('GET', '/api/v1/deliveries/no-such-delivery'), 404, 'not_found');
      expectError(await t.api('POST', '/api/v1/deliveries/no-such-delivery/redrive'), 404, 'not_found');
    });

    it("another space's admin token sees none of it", async () => {
      const space = await t.api('POST', '/api/v1/spaces', { name: unique('Other space') }, { token: t.operatorToken });
      expect(space.status).to.equal(201);
      const token: string = space.body.adminToken.secret;
      expectError(await t.api('GET', `/api/v1/deliveries/${failed.id}`, undefined, { token }), 404, 'not_found');
      expectError(await t.api('POST', `/api/v1/deliveries/${failed.id}/redrive`, undefined, { token }), 404, 'not_found');
      expectError(await t.api('GET', `/api/v1/instances/${failed.instanceId}/deliveries`, undefined, { token }), 404, 'not_found');
      const list = await t.api('GET', '/api/v1/deliveries', undefined, { token });
      expect(list.body).to.deep.equal({ deliveries: [], nextCursor: null });
      const bulk = await t.api('POST', '/api/v1/deliveries/redrive', { status: 'failed' }, { token });
      expect(bulk.body).to.deep.equal({ redriven: 0, skipped: 0 });
    });
  });
});

describe('deliveries API: re-driving deliveries whose retries gave up', function () {
  this.timeout(30_000);
  let t: TestEngine;
  const sink = new Sink();

  withEngineAndSink(sink, (engine) => { t = engine; }, { deliveryRetry: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxTotalMs: 3_600_000, maxAttempts: 4 } });

  const advance = (ms: number) => advanceClock(t, ms);

  async function failingDelivery(path: string, event: string): Promise<any> {
    sink.answer(path, 503);
    const journeyId = await publishSendJourney(t, event, { type: 'destination', destinationId: await createWebhook(t), action: 'send' }, sink.url(path));
    await enter(t, event, [unique('down')]);
    const [d] = await deliveriesOfJourney(t, journeyId);
    expect(d).to.include({ status: 'retrying', attempts: 1 });
    return d;
  }

  it('a destination that stays down fails the delivery after the most attempts, with the reason', async () => {
    const d = await failingDelivery('/down-for-good', 'Attempts Probe Started');
    for (let i = 0; i < 3; i++) await advance(60_000);
    const after = await delivery(t, d.id);
    expect(after).to.include({ status: 'failed', attempts: 4, nextAttemptAt: null });
    expect(after.reason).to.contain('503').and.contain('gave up after 4 attempts');
    expect(after.attemptLog.map((a: any) => a.status)).to.deep.equal([503, 503, 503, 503]);
    expect(sink.at('/down-for-good')).to.have.length(4);
  });

  it('a delivery that outlived its retry window gets a new window when re-driven', async () => {
    const path = '/window';
    const d = await failingDelivery(path, 'Window Probe Started');
    await advance(2 * 3_600_000);
    const expired = await delivery(t, d.id);
    expect(expired).to.include({ status: 'failed', attempts: 2 });
    expect(expired.reason).to.contain('retry window');

    const res = await t.api('POST', `/api/v1/deliveries/${d.id}/redrive`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    await t.settle();
    // Still down: the re-driven delivery is retrying again, not failed at once.
    expect(await delivery(t, d.id)).to.include({ status: 'retrying', attempts: 3 });
  });

  it('a delivery that used up its attempts gets new attempts when re-driven (the re-drive is a new retry window)', async () => {
    const path = '/attempts-used-up';
    const d = await failingDelivery(path, 'Used Up Probe Started');
    for (let i = 0; i < 3; i++) await advance(60_000);
    expect(await delivery(t, d.id)).to.include({ status: 'failed', attempts: 4 });

    const res = await t.api('POST', `/api/v1/deliveries/${d.id}/redrive`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    await t.settle();
    const after = await delivery(t, d.id);
    // Still down: it should be retrying in its new window, as after an expired window
    // (the engine counts attempts since the very first one and gives up after one try).
    expect(after.attemptLog, JSON.stringify(after)).to.have.length(5);
    expect(after.status, after.reason).to.equal('retrying');
  });
});
