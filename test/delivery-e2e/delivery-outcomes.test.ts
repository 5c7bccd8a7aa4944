/**
 * What happens to a journey's send once it leaves the engine: a journey sends on entry to the
 * built-in webhook destination, whose mapped URL is a real HTTP server in this test; each answer
 * the server gives (2xx, 5xx, 429 with Retry-After, 4xx, silence) must end in the delivery state
 * product.md "Reliability" promises, on engine time (the test clock), with the same idempotency
 * key on every attempt.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import type { EngineConfig } from '../../engine/config.ts';
import {
  advance, advancePast, createDestination, engineNow, journeyDeliveries, ok, publishJourney, sendOnEntryJourney, startSink, webhookTarget,
  type Sink,
} from './helpers.ts';

const ENTRY = 'Checkout Started';
const HOUR_MS = 3_600_000;

describe('delivery outcomes: a journey send to the webhook destination', function () {
  this.timeout(15_000);
  let t: TestEngine;
  let sink: Sink;

  async function start(overrides: Partial<EngineConfig> = {}): Promise<void> {
    t = await startTestEngine({ testClock: true, ...overrides });
    // The entry event must be in the event catalog before a journey on it can be published.
    await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event: ENTRY }));
    await t.settle();
  }

  beforeEach(async () => { sink = await startSink(); });
  afterEach(async () => {
    await t?.close();
    await sink.close();
  });

  /** A webhook destination plus a journey that sends to it on entry, with the sink's `path` as the URL. */
  async function journeyTo(options: { path?: string; destination?: object; nudge?: Record<string, unknown>; mapping?: Record<string, unknown> } = {}) {
    const destinationId = await createDestination(t, { name: `hook ${Math.random()}`, ...options.destination });
    const mapping = options.mapping ?? {
      url: `${sink.url}${options.path ?? '/hook'}`, method: 'POST',
      data: { event: { '@path': '$.event' }, cart: { '@path': '$.properties.journey_context' } },
      idempotency_key: { '@path': '$.messageId' },
    };
    const journeyId = await publishJourney(t, sendOnEntryJourney(`Nudge ${Math.random()}`, ENTRY, {
      target: webhookTarget(destinationId), mapping, ...options.nudge,
    }));
    return { destinationId, journeyId };
  }

  /** One user enters; answers once the first attempt's outcome is recorded. */
  async function enter(userId: string, properties: Record<string, unknown> = { session_id: `s-${userId}`, total: 42 }) {
    await ok(t.ingest('/v1/track', { userId, event: ENTRY, messageId: `m-${userId}`, properties, traits: { email: `${userId}@example.com` } }));
    await t.settle();
  }

  async function onlyDelivery(journeyId: string): Promise<any> {
    const deliveries = await journeyDeliveries(t, journeyId);
    expect(deliveries, 'one delivery').to.have.length(1);
    return deliveries[0];
  }

  it('2xx: delivered; the sink gets the mapped payload with the journey context and Idempotency-Key = the delivery key', async () => {
    await start();
    const { journeyId } = await journeyTo();
    await enter('u-ok');
    const d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('delivered');
    expect(d.attempts).to.equal(1);
    expect(d.deliveredAt).to.be.a('string');
    expect(d.attemptLog.map((a: any) => [a.outcome, a.status])).to.deep.equal([['delivered', 200]]);
    expect(sink.requests).to.have.length(1);
    const [r] = sink.requests;
    expect(r!.method).to.equal('POST');
    expect(r!.path).to.equal('/hook');
    expect(r!.headers['content-type']).to.match(/application\/json/);
    expect(r!.headers['idempotency-key']).to.equal(d.idempotencyKey);
    expect(d.idempotencyKey).to.equal(`${d.instanceId}:nudge:0`);
    expect(r!.json.event).to.equal('Cart Nudge');
    expect(r!.json.cart[ENTRY]).to.include({ type: 'track', event: ENTRY, userId: 'u-ok', messageId: 'm-u-ok' });
    expect(r!.json.cart[ENTRY].properties).to.deep.equal({ session_id: 's-u-ok', total: 42 });
  });

  it('2xx with a mapping that gives only url and data: the action defaults (POST, Idempotency-Key from messageId) are filled in', async () => {
    await start();
    const destinationId = await createDestination(t, { name: 'defaults hook' });
    const journeyId = await publishJourney(t, sendOnEntryJourney('Defaults', ENTRY, {
      target: webhookTarget(destinationId),
      mapping: { url: `${sink.url}/defaults`, data: { user: { '@path': '$.userId' }, key: { '@path': '$.context.journey.idempotency_key' } } },
    }));
    const stored = await ok(t.api('GET', `/api/v1/journeys/${journeyId}`));
    const storedMapping = stored.journey.definition.steps.find((s: any) => s.id === 'nudge').mapping;
    expect(storedMapping, 'action field defaults copied into the stored mapping').to.deep.include({ method: 'POST', idempotency_key: { '@path': '$.messageId' } });
    await enter('u-defaults');
    const d = await onlyDelivery(journeyId);
    expect(d.status, d.reason).to.equal('delivered');
    expect(sink.requests).to.have.length(1);
    expect(sink.requests[0]!.method).to.equal('POST');
    expect(sink.requests[0]!.json).to.deep.equal({ user: 'u-defaults', key: d.idempotencyKey });
    expect(sink.requests[0]!.headers['idempotency-key']).to.equal(d.idempotencyKey);
  });

  it('500 then 200: retrying with reason HTTP 500, delivered once the clock passes nextAttemptAt, same Idempotency-Key both times', async () => {
    await start();
    sink.handler = (r) => (r.n === 0 ? { status: 500, body: { error: 'down' } } : { status: 200, body: { ok: true } });
    const { journeyId } = await journeyTo();
    await enter('u-500');
    let d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('retrying');
    expect(d.reason).to.match(/HTTP 500/);
    expect(d.attempts).to.equal(1);
    expect(d.attemptLog[0]).to.include({ outcome: 'retry', status: 500 });
    const now = await engineNow(t);
    expect(d.nextAttemptAt, 'first backoff is 1-2 s of engine time').to.be.within(now + 900, now + 2_100);
    expect(sink.requests).to.have.length(1);

    await advancePast(t, d.nextAttemptAt);
    d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('delivered');
    expect(d.attempts).to.equal(2);
    expect(d.reason).to.equal(null);
    expect(d.attemptLog.map((a: any) => a.outcome)).to.deep.equal(['retry', 'delivered']);
    expect(sink.requests).to.have.length(2);
    expect(sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal([d.idempotencyKey, d.idempotencyKey]);
    expect(sink.requests[1]!.body, 'the retry sends the same body').to.equal(sink.requests[0]!.body);
  });

  it('429 with Retry-After: 120 is not retried before 120 s of engine time, then delivered', async () => {
    await start();
    sink.handler = (r) => (r.n === 0 ? { status: 429, headers: { 'retry-after': '120' }, body: { error: 'slow down' } } : { status: 200 });
    const { journeyId } = await journeyTo();
    await enter('u-429');
    let d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('retrying');
    expect(d.reason).to.match(/HTTP 429/).and.to.match(/Retry-After 120s/);
    const firstAt = Date.parse(d.attemptLog[0].at);
    expect(d.nextAttemptAt - firstAt).to.be.at.least(120_000);

    await advance(t, 60_000);
    d = await onlyDelivery(journeyId);
    expect(d.status, 'still waiting at +60 s').to.equal('retrying');
    expect(d.attempts).to.equal(1);
    expect(sink.requests, 'no request before Retry-After has passed').to.have.length(1);

    await advance(t, 61_000);
    d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('delivered');
    expect(d.attempts).to.equal(2);
    expect(sink.requests).to.have.length(2);
    expect(sink.requests[1]!.headers['idempotency-key']).to.equal(d.idempotencyKey);
  });

  it('a Retry-After of two hours is honoured in full (it was cut to one hour: found by an audit)', async () => {
    await start();
    sink.handler = (r) => (r.n === 0 ? { status: 429, headers: { 'retry-after': '7200' }, body: { error: 'come back later' } } : { status: 200 });
    const { journeyId } = await journeyTo();
    await enter('u-429-long');
    const d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('retrying');
    expect(d.nextAttemptAt - Date.parse(d.attemptLog[0].at)).to.be.at.least(7_200_000);
    await advance(t, 3_600_000 + 60_000);
    expect(sink.requests, 'nothing after one hour').to.have.length(1);
    await advancePast(t, d.nextAttemptAt);
    expect((await onlyDelivery(journeyId)).status).to.equal('delivered');
  });

  it("batching: a whole batch's 429 Retry-After is honoured for every item; a single queued send is still sent as a batch", async () => {
    await start();
    sink.handler = (r) => (r.n === 0 ? { status: 429, headers: { 'retry-after': '120' }, body: { error: 'slow down' } } : { status: 200 });
    const { journeyId } = await journeyTo({
      destination: { delivery: { batchSize: 10, batchWaitMs: 50 } },
      mapping: { url: `${sink.url}/batch`, method: 'POST', data: { user: { '@path': '$.userId' } }, idempotency_key: { '@path': '$.messageId' } },
    });
    await enter('u-batch-alone');
    const d = await onlyDelivery(journeyId);
    expect(Array.isArray(sink.requests[0]!.json), 'one send alone goes as a batch of one').to.equal(true);
    expect(d.status).to.equal('retrying');
    expect(d.reason).to.match(/Retry-After 120s/);
    await advance(t, 60_000);
    expect(sink.requests, 'no request before Retry-After has passed').to.have.length(1);
    await advancePast(t, d.nextAttemptAt);
    expect((await onlyDelivery(journeyId)).status).to.equal('delivered');
    expect(sink.requests.map((r) => Array.isArray(r.json))).to.deep.equal([true, true]);
    expect(sink.requests[1]!.headers['idempotency-key']).to.equal(sink.requests[0]!.headers['idempotency-key']);
  });

  it('400: failed at once with the status in the reason, never retried', async () => {
    await start();
    sink.handler = () => ({ status: 400, body: { error: 'email is not valid' } });
    const { journeyId } = await journeyTo();
    await enter('u-400');
    let d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('failed');
    expect(d.reason).to.match(/400/);
    expect(d.nextAttemptAt).to.equal(null);
    expect(d.attemptLog).to.have.length(1);
    expect(d.attemptLog[0]).to.include({ outcome: 'failed', status: 400 });
    expect(d.attemptLog[0].response).to.include('email is not valid');

    await advance(t, 5 * HOUR_MS);
    d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('failed');
    expect(d.attempts).to.equal(1);
    expect(sink.requests, 'no retry of a 400').to.have.length(1);
    const failed = await ok(t.api('GET', `/api/v1/deliveries?status=failed&journeyId=${journeyId}`));
    expect(failed.deliveries.map((x: any) => x.id)).to.deep.equal([d.id]);
  });

  it('a destination that never answers: the attempt times out at delivery.timeoutMs and is retried later', async () => {
    await start();
    sink.handler = () => 'hang';
    const { journeyId } = await journeyTo({ destination: { delivery: { timeoutMs: 200 } } });
    const startedAt = Date.now();
    await enter('u-timeout');
    const d = await onlyDelivery(journeyId);
    expect(Date.now() - startedAt, 'the attempt ends near the 200 ms timeout, not the 10 s default').to.be.below(3_000);
    expect(d.status).to.equal('retrying');
    expect(d.reason).to.match(/time(d)? ?out/i);
    expect(d.attemptLog[0].outcome).to.equal('retry');
    expect(d.attemptLog[0].durationMs).to.be.within(150, 3_000);
    expect(d.nextAttemptAt).to.be.a('number');
    expect(sink.requests).to.have.length(1);
  });

  it('retries give up after the configured number of attempts: failed with a "gave up" reason, exactly that many requests', async () => {
    await start({ deliveryRetry: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxTotalMs: 4 * HOUR_MS, maxAttempts: 3 } });
    sink.handler = () => ({ status: 503, body: { error: 'unavailable' } });
    const { journeyId } = await journeyTo();
    await enter('u-giveup');
    for (let i = 0; i < 6; i++) {
      const d = await onlyDelivery(journeyId);
      if (d.status !== 'retrying') break;
      await advancePast(t, d.nextAttemptAt);
    }
    const d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('failed');
    expect(d.attempts).to.equal(3);
    expect(d.reason).to.match(/HTTP 503/).and.to.match(/gave up after 3 attempts/);
    expect(d.attemptLog.map((a: any) => a.outcome)).to.deep.equal(['retry', 'retry', 'retry']);
    await advance(t, 5 * HOUR_MS);
    expect(sink.requests).to.have.length(3);
    expect(new Set(sink.requests.map((r) => r.headers['idempotency-key']))).to.deep.equal(new Set([d.idempotencyKey]));
  });

  it('a disabled send step records send_skipped and makes no delivery', async () => {
    await start();
    const { journeyId } = await journeyTo({ nudge: { enabled: false } });
    await enter('u-disabled-step');
    expect(await journeyDeliveries(t, journeyId)).to.deep.equal([]);
    const { instances } = await ok(t.api('GET', `/api/v1/journeys/${journeyId}/instances`));
    expect(instances).to.have.length(1);
    expect(instances[0].status).to.equal('completed');
    const detail = await ok(t.api('GET', `/api/v1/journeys/${journeyId}/instances/${instances[0].id}`));
    const skipped = detail.activity.filter((a: any) => a.type === 'send_skipped');
    expect(skipped.map((a: any) => a.stepId)).to.deep.equal(['nudge']);
    expect(detail.activity.filter((a: any) => a.type === 'send_recorded')).to.deep.equal([]);
    expect(detail.deliveries).to.deep.equal([]);
    await advance(t, HOUR_MS);
    expect(sink.requests).to.have.length(0);
  });

  it('a disabled destination: the delivery fails with a reason naming it and nothing is sent', async () => {
    await start();
    const { journeyId } = await journeyTo({ destination: { name: 'Paused CRM hook', enabled: false } });
    await enter('u-disabled-destination');
    const d = await onlyDelivery(journeyId);
    expect(d.status).to.equal('failed');
    expect(d.reason).to.include('Paused CRM hook').and.to.match(/disabled/);
    expect(sink.requests).to.have.length(0);
  });

  it('batching: one JSON-array request for several sends; a per-item 400 fails that delivery only', async () => {
    await start();
    sink.handler = (r) => {
      if (!Array.isArray(r.json)) return { status: 500, body: { error: 'expected an array' } };
      return { status: 200, body: r.json.map((item: any) => (item.user === 'u-batch-2' ? { status: 400, error: 'bad address' } : { status: 200 })) };
    };
    const { journeyId } = await journeyTo({
      destination: { delivery: { batchSize: 10, batchWaitMs: 50 } },
      mapping: { url: `${sink.url}/batch`, method: 'POST', data: { user: { '@path': '$.userId' } }, idempotency_key: { '@path': '$.messageId' } },
    });
    const users = ['u-batch-0', 'u-batch-1', 'u-batch-2', 'u-batch-3', 'u-batch-4'];
    await ok(t.ingest('/v1/batch', { batch: users.map((userId) => ({ type: 'track', userId, event: ENTRY, properties: { session_id: userId } })) }));
    await t.settle();

    const deliveries = await journeyDeliveries(t, journeyId);
    expect(deliveries).to.have.length(5);
    const byUser = new Map(deliveries.map((d) => [d.payload.userId as string, d]));
    expect(sink.requests.length, 'fewer requests than deliveries').to.be.below(5);
    const sentUsers = sink.requests.flatMap((r) => (Array.isArray(r.json) ? r.json.map((i: any) => i.user) : []));
    expect(sentUsers.sort()).to.deep.equal([...users].sort());
    // Each batch request names every item's own key, in body order.
    for (const r of sink.requests) {
      expect(String(r.headers['x-idempotency-keys']).split(',')).to.deep.equal(r.json.map((i: any) => byUser.get(i.user).idempotencyKey));
    }
    expect(byUser.get('u-batch-2').status).to.equal('failed');
    expect(byUser.get('u-batch-2').reason).to.match(/400/);
    for (const user of users.filter((u) => u !== 'u-batch-2')) expect(byUser.get(user).status, user).to.equal('delivered');
  });

  it('concurrency: at most delivery.concurrency requests at once per destination; a slow destination does not hold up another', async () => {
    await start();
    sink.handler = (r) => (r.path === '/slow' ? { status: 200, delayMs: 150 } : { status: 200 });
    const slow = await journeyTo({ destination: { delivery: { concurrency: 2 } }, path: '/slow' });
    const fastDestination = await createDestination(t, { name: 'fast hook' });
    await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event: 'Signed Up' }));
    await t.settle();
    const fastJourney = await publishJourney(t, sendOnEntryJourney('Fast', 'Signed Up', {
      target: webhookTarget(fastDestination), mapping: { url: `${sink.url}/fast`, method: 'POST', data: { u: { '@path': '$.userId' } }, idempotency_key: { '@path': '$.messageId' } },
    }));

    const slowUsers = Array.from({ length: 10 }, (_, i) => `u-slow-${i}`);
    await ok(t.ingest('/v1/batch', { batch: slowUsers.map((userId) => ({ type: 'track', userId, event: ENTRY })) }));
    // While the slow lane works through its 10 (≥ 5 rounds of 150 ms), the fast one is sent at once.
    await sink.waitForRequests(1);
    const fastSentAt = Date.now();
    await ok(t.ingest('/v1/track', { userId: 'u-fast', event: 'Signed Up' }));
    for (let i = 0; i < 100 && !sink.requests.some((r) => r.path === '/fast'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const fast = sink.requests.find((r) => r.path === '/fast');
    expect(fast, 'the fast destination got its request').to.not.equal(undefined);
    expect(fast!.at - fastSentAt, 'not queued behind the slow destination').to.be.below(500);
    expect(sink.requests.filter((r) => r.path === '/slow').length, 'the slow lane had not finished').to.be.below(10);

    await t.settle();
    expect(sink.requests.filter((r) => r.path === '/slow')).to.have.length(10);
    expect(sink.maxInFlight('/slow'), 'never more than 2 in flight').to.equal(2);
    const slowDeliveries = await journeyDeliveries(t, slow.journeyId);
    expect(slowDeliveries.map((d) => d.status)).to.deep.equal(Array(10).fill('delivered'));
    expect((await journeyDeliveries(t, fastJourney)).map((d) => d.status)).to.deep.equal(['delivered']);
  });
});
