/**
 * The deliveries API, end to end: journeys send through the built-in webhook to a real local HTTP
 * sink (deliveries run on the processing thread, which nock in this process cannot see), and the
 * tests read the outcomes, list and page them, and re-drive them.
 *
 * The sink answers per path, so each test owns its path and its journey; switching a path's
 * answer from 400 to 200 is how a "fixed" receiver is simulated.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';

/** One request the sink received. */
interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver whose answer is set per path (200 unless told otherwise). */
class Sink {
  readonly received: Received[] = [];
  readonly #status = new Map<string, number>();
  #server: http.Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => { body += chunk; });
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ method: req.method ?? '', path, headers: req.headers, body });
        const status = this.#status.get(path) ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status < 300 ? { ok: true } : { error: `refused with ${status}` }));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  answer(path: string, status: number): void {
    this.#status.set(path, status);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** A time the API shows as epoch ms or as an ISO string, as epoch ms. */
function epochMs(value: number | string): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

function expectError(res: Answer, status: number, code: string, path?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body.error.code, JSON.stringify(res.body)).to.equal(code);
  if (path !== undefined) expect(res.body.error.path, JSON.stringify(res.body)).to.equal(path);
}

async function createWebhook(t: TestEngine, settings: Record<string, unknown> = {}): Promise<string> {
  const res = await t.api('POST', '/api/v1/destinations', { plugin: 'webhook', name: unique('Sink hook'), settings });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.destination.id;
}

/** Creates and publishes a journey: on `event`, send once to `url` through `destinationId`, then exit. */
async function publishSendJourney(t: TestEngine, event: string, target: unknown, url: string): Promise<string> {
  // The entry event must be in the catalog before publishing: a throwaway user sends it first.
  const seed = await t.ingest('/v1/track', { userId: unique('catalog-seed'), event });
  expect(seed.status).to.equal(200);
  await t.settle();
  const doc = {
    name: unique(`Forward ${event}`),
    entry: { event, whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
    start: 'forward',
    steps: [
      {
        id: 'forward', type: 'send', eventName: `${event} Forwarded`, target,
        payload: { context: 'all', traits: ['email'] },
        mapping: { url, data: { '@path': '$.' } },
        next: 'done',
      },
      { id: 'done', type: 'exit' },
    ],
  };
  const created = await t.api('POST', '/api/v1/journeys', doc);
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const published = await t.api('POST', `/api/v1/journeys/${created.body.journey.id}/publish`, {});
  expect(published.status, JSON.stringify(published.body)).to.equal(200);
  return created.body.journey.id;
}

/** Each user performs `event` once; waits until the engine has processed everything (sends included). */
async function enter(t: TestEngine, event: string, userIds: string[]): Promise<void> {
  for (const userId of userIds) {
    const res = await t.ingest('/v1/track', { userId, event, properties: { cart: userId } });
    expect(res.status).to.equal(200);
  }
  await t.settle();
}

async function deliveriesOfJourney(t: TestEngine, journeyId: string): Promise<any[]> {
  const res = await t.api('GET', `/api/v1/deliveries?journeyId=${journeyId}&limit=1000`);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.deliveries;
}

/**
 * After a re-drive: t.settle(), then (at most 2 s) until none of these deliveries is pending.
 * The wait works around a race in the engine's settle (see the 'every time' test): settle can
 * answer while the delivery loop, woken by the re-drive, has claimed deliveries it has not sent yet.
 */
async function settleRedriven(t: TestEngine, select: { journeyId: string } | { id: string }): Promise<void> {
  await t.settle();
  for (let wait = 0; wait < 100; wait++) {
    const pending = 'id' in select
      ? (await delivery(t, select.id)).status === 'pending'
      : (await deliveriesOfJourney(t, select.journeyId)).some((d) => d.status === 'pending');
    if (!pending) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function delivery(t: TestEngine, id: string): Promise<any> {
  const res = await t.api('GET', `/api/v1/deliveries/${id}`);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.delivery;
}

describe('deliveries API: outcomes, listing and re-drive', function () {
  this.timeout(30_000);
  let t: TestEngine;
  const sink = new Sink();

  before(async () => {
    await sink.start();
    t = await startTestEngine({ testClock: true });
  });
  after(async () => {
    await t.close();
    await sink.stop();
  });

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
      await settleRedriven(t, { id: failed.id });

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
      await settleRedriven(t, { id: d.id });
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
      await settleRedriven(t, { journeyId: brokenJourney });
      // Still broken: it failed again (a second attempt), the others were not touched.
      expect(await delivery(t, broken[0].id)).to.include({ status: 'failed', attempts: 2 });
      expect(await delivery(t, broken[1].id)).to.include({ status: 'failed', attempts: 1 });

      const limited = await t.api('POST', '/api/v1/deliveries/redrive', { journeyId: brokenJourney, limit: 2 });
      expect(limited.body).to.deep.equal({ redriven: 2, skipped: 0 });
      await settleRedriven(t, { journeyId: brokenJourney });
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
      await settleRedriven(t, { journeyId: fixedJourney });

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

describe('deliveries API: re-driving deliveries whose retries gave up', function () {
  this.timeout(30_000);
  let t: TestEngine;
  const sink = new Sink();

  before(async () => {
    await sink.start();
    t = await startTestEngine({ testClock: true, deliveryRetry: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxTotalMs: 3_600_000, maxAttempts: 4 } });
  });
  after(async () => {
    await t.close();
    await sink.stop();
  });

  /** Advances engine time by `ms` and waits for the retries that became due. */
  async function advance(ms: number): Promise<void> {
    const res = await t.api('POST', '/api/v1/test-clock/advance', { ms });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    await t.settle();
  }

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
    await settleRedriven(t, { id: d.id });
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
    await settleRedriven(t, { id: d.id });
    const after = await delivery(t, d.id);
    // Still down: it should be retrying in its new window, as after an expired window
    // (the engine counts attempts since the very first one and gives up after one try).
    expect(after.attemptLog, JSON.stringify(after)).to.have.length(5);
    expect(after.status, after.reason).to.equal('retrying');
  });
});

