import { setTimeout as sleep } from 'node:timers/promises';
import { Analytics, type AnalyticsSettings } from '@segment/analytics-node';
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy.ts';
import { storedEvents, storedWithMessageId, uniqueId } from './ingest-helpers.ts';

/** What the client reported for one call: its messageId and the delivery error, if any. */
interface Delivery {
  messageId: string;
  error: unknown;
}

/** A real Segment client pointed at `host`, recording every HTTP request it makes and every call's outcome. */
function segmentClient(settings: Partial<AnalyticsSettings> & { writeKey: string; host: string }) {
  const analytics = new Analytics({ flushInterval: 60_000, maxRetries: 3, ...settings });
  const requests: Array<{ url: string; body: { batch: Array<{ messageId: string; type: string }>; writeKey?: string } }> = [];
  const deliveries: Delivery[] = [];
  const errors: Array<{ code: string; reason: unknown }> = [];
  analytics.on('http_request', (r) => requests.push({ url: r.url, body: JSON.parse(r.body) }));
  analytics.on('error', (e) => errors.push(e as { code: string; reason: unknown }));
  /** A callback for one call that records its outcome. */
  const record = (err?: unknown, ctx?: { event: { messageId?: string } }) => {
    deliveries.push({ messageId: ctx?.event.messageId ?? '', error: err });
  };
  return { analytics, requests, deliveries, errors, record };
}

describe('@segment/analytics-node against the engine', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  it('delivers track, identify, page, screen, group and alias, each stored with the messageId the client chose', async () => {
    const c = segmentClient({ writeKey: t.writeKey, host: t.url });
    const userId = uniqueId('client-user');
    c.analytics.track({ userId, event: 'Order Completed', properties: { order_id: 1001, total: 9.99 } }, c.record);
    c.analytics.identify({ userId, traits: { email: `${userId}@example.com` } }, c.record);
    c.analytics.page({ userId, name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } }, c.record);
    c.analytics.screen({ userId, name: 'Home' }, c.record);
    c.analytics.group({ userId, groupId: 'acme', traits: { plan: 'enterprise' } }, c.record);
    c.analytics.alias({ userId, previousId: `${userId}-anon` }, c.record);
    await c.analytics.closeAndFlush({ timeout: 8000 });

    expect(c.deliveries).to.have.length(6);
    for (const d of c.deliveries) expect(d.error, `delivery of ${d.messageId}`).to.equal(undefined);
    expect(c.requests.map((r) => r.url)).to.deep.equal([`${t.url}/v1/batch`]);
    const stored = await storedEvents(t, { query: `userId=${userId}` });
    const byId = new Map(stored.map((e) => [e['messageId'] as string, e]));
    expect([...byId.keys()].sort()).to.deep.equal(c.deliveries.map((d) => d.messageId).sort());
    expect(stored.map((e) => e['type']).sort()).to.deep.equal(['alias', 'group', 'identify', 'page', 'screen', 'track']);
    const track = stored.find((e) => e['type'] === 'track')!;
    expect(track).to.include({ event: 'Order Completed' });
    expect(track['properties']).to.deep.equal({ order_id: 1001, total: 9.99 });
    expect(track['context'].library.name).to.equal('@segment/analytics-node');
    expect(stored.find((e) => e['type'] === 'group')).to.include({ groupId: 'acme' });
    expect(stored.find((e) => e['type'] === 'alias')).to.include({ previousId: `${userId}-anon` });
    expect(c.requests[0]!.body.writeKey, 'the client sends its key in the body too').to.equal(t.writeKey);
    for (const e of stored) expect(JSON.stringify(e)).to.not.include(t.writeKey);
  });

  it('keeps the timestamp the client stamped', async () => {
    const c = segmentClient({ writeKey: t.writeKey, host: t.url });
    const when = new Date('2024-03-04T05:06:07.089Z');
    c.analytics.track({ userId: uniqueId('ts'), event: 'Backfilled', timestamp: when }, c.record);
    await c.analytics.closeAndFlush({ timeout: 8000 });
    const [stored] = await storedWithMessageId(t, c.deliveries[0]!.messageId);
    expect(stored!['timestamp']).to.equal(when.toISOString());
  });

  it('batches 25 events with flushAt 10 into three requests and stores all 25', async () => {
    const c = segmentClient({ writeKey: t.writeKey, host: t.url, flushAt: 10 });
    const userId = uniqueId('batched');
    for (let i = 0; i < 25; i += 1) c.analytics.track({ userId, event: 'Viewed', properties: { i } }, c.record);
    await c.analytics.closeAndFlush({ timeout: 8000 });
    expect(c.requests.map((r) => r.body.batch.length)).to.deep.equal([10, 10, 5]);
    for (const d of c.deliveries) expect(d.error).to.equal(undefined);
    const stored = await storedEvents(t, { query: `userId=${userId}` });
    expect(stored).to.have.length(25);
    expect(stored.map((e) => e['properties'].i).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i));
  });

  it('sends nothing before flushAt or flushInterval, and everything on flush()', async () => {
    const c = segmentClient({ writeKey: t.writeKey, host: t.url, flushAt: 100 });
    const userId = uniqueId('flushed');
    for (let i = 0; i < 3; i += 1) c.analytics.track({ userId, event: 'Queued', properties: { i } }, c.record);
    await c.analytics.ready;
    await sleep(50);
    expect(c.requests, 'still queued in the client').to.have.length(0);
    expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(0);
    await c.analytics.flush({ timeout: 8000 });
    expect(c.requests.map((r) => r.body.batch.length)).to.deep.equal([3]);
    expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(3);
    c.analytics.track({ userId, event: 'After Flush' }, c.record);
    await c.analytics.closeAndFlush({ timeout: 8000 });
    expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(4);
  });

  it('reports a wrong write key as a delivery_failure error (401, not retried) and stores nothing', async () => {
    const c = segmentClient({ writeKey: 'wk_this-key-does-not-exist', host: t.url });
    const userId = uniqueId('wrong-key');
    c.analytics.track({ userId, event: 'Rejected' }, c.record);
    await c.analytics.closeAndFlush({ timeout: 8000 });
    expect(c.requests, 'a 401 is final for the client').to.have.length(1);
    expect(c.errors).to.have.length(1);
    expect(c.errors[0]!.code).to.equal('delivery_failure');
    expect(String((c.errors[0]!.reason as Error).message)).to.match(/401/);
    expect((c.deliveries[0]!.error as Error).message).to.match(/401/);
    await t.settle();
    expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(0);
  });

  describe('retries through a proxy that answers 503', () => {
    let proxy: FlakyProxy | undefined;
    afterEach(async () => { await proxy?.close(); proxy = undefined; });

    it('retries a batch the proxy refused, with the same messageId, and the event is stored once', async function () {
      this.timeout(15_000); // the client's own backoff before its first retry is 1-2 s
      proxy = await startFlakyProxy(t.url, (n) => (n === 0 ? 'fail' : 'forward'));
      const c = segmentClient({ writeKey: t.writeKey, host: proxy.url, flushAt: 1 });
      const userId = uniqueId('retried');
      c.analytics.track({ userId, event: 'Eventually' }, c.record);
      await c.analytics.closeAndFlush({ timeout: 12_000 });
      expect(c.deliveries[0]!.error).to.equal(undefined);
      expect(proxy.requests).to.have.length(2);
      expect(proxy.requests[0]!.engineStatus, 'the first attempt never reached the engine').to.equal(null);
      expect(proxy.requests[1]!.headers['x-retry-count']).to.equal('1');
      const ids = proxy.requests.map((r) => JSON.parse(r.body).batch[0].messageId);
      expect(ids[0]).to.equal(ids[1]);
      expect(JSON.parse(proxy.requests[1]!.engineBody!)).to.deep.equal({ success: true, stored: 1, duplicates: 0 });
      const stored = await storedEvents(t, { query: `userId=${userId}` });
      expect(stored.map((e) => e['messageId'])).to.deep.equal([c.deliveries[0]!.messageId]);
    });

    it('stores once when the engine stored the batch but the answer was lost (the retry is a duplicate)', async function () {
      this.timeout(15_000);
      proxy = await startFlakyProxy(t.url, (n) => (n === 0 ? 'forward-then-fail' : 'forward'));
      const c = segmentClient({ writeKey: t.writeKey, host: proxy.url, flushAt: 1 });
      const userId = uniqueId('lost-ack');
      c.analytics.track({ userId, event: 'Twice Sent' }, c.record);
      await c.analytics.closeAndFlush({ timeout: 12_000 });
      expect(c.deliveries[0]!.error).to.equal(undefined);
      expect(proxy.requests.map((r) => JSON.parse(r.engineBody!))).to.deep.equal([
        { success: true, stored: 1, duplicates: 0 },
        { success: true, stored: 0, duplicates: 1 },
      ]);
      expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(1);
    });
  });
});
