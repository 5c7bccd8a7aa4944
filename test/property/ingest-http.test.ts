import fc from 'fast-check';
import { expect } from 'chai';
import {
  adversarialJson, badMessage, goodMessage, ingestBody, MESSAGE_TYPES, nearValidMessage, objectFromEntries, TIMESTAMP_FIELDS, timestampValue, toJsonText,
} from './arbitraries.ts';
import {
  checkProperty, countEvents, expectNoLoggedErrors, expectSuccessOrClientError, startPropertyEngine, type PropertyEngine,
} from './property-harness.ts';

/** A batch item and what the test knows about it: valid by construction, invalid by construction, or unknown. */
interface BatchItem {
  kind: 'good' | 'bad' | 'unknown';
  message: unknown;
}

const batchItem: fc.Arbitrary<BatchItem> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MESSAGE_TYPES).chain(goodMessage).map((message) => ({ kind: 'good' as const, message })) },
  { weight: 1, arbitrary: badMessage.map((message) => ({ kind: 'bad' as const, message })) },
  { weight: 2, arbitrary: fc.constantFrom(...MESSAGE_TYPES).chain(nearValidMessage).map((message) => ({ kind: 'unknown' as const, message })) },
);

/** A batch envelope around the items: usually plain, sometimes with odd shared fields. */
const batchRequest = fc.record({
  items: fc.array(batchItem, { minLength: 1, maxLength: 8 }),
  extras: fc.option(fc.record({ context: adversarialJson({ maxDepth: 2 }), sentAt: timestampValue, integrations: adversarialJson({ maxDepth: 1 }) }, { requiredKeys: [] }), { nil: undefined }),
});

describe('property: ingest over HTTP never answers 5xx and a rejected request stores nothing', function () {
  this.timeout(180_000);
  let t: PropertyEngine;

  before(async () => {
    t = await startPropertyEngine();
  });

  after(async () => {
    await t?.close();
  });

  it('answers any body on /v1/track, /v1/identify and /v1/page with 200, or a 4xx with a code and a message, storing only on 200', async () => {
    const property = fc.asyncProperty(fc.constantFrom('/v1/track', '/v1/identify', '/v1/page'), ingestBody, async (endpoint, body) => {
      const before = await countEvents(t);
      const res = await t.ingest(endpoint, toJsonText(body));
      expectSuccessOrClientError(res, [200], `${endpoint} ${toJsonText(body).slice(0, 500)}`);
      const after = await countEvents(t);
      expect(after - before, 'events stored').to.equal(res.status === 200 ? res.body.stored : 0);
    });
    await checkProperty('ingest HTTP: single messages', property, { seed: 4301, numRuns: 300 });
    await t.settleWithin();
    expectNoLoggedErrors(t, 'single messages');
  });

  it('answers timestamps of every shape with 200 or a 400 naming the field', async () => {
    const timestamps = fc.record({ timestamp: timestampValue, originalTimestamp: timestampValue, sentAt: timestampValue }, { requiredKeys: [] });
    const property = fc.asyncProperty(timestamps, async (fields) => {
      const body = { userId: 'u-time', event: 'Timed', ...fields };
      const res = await t.ingest('/v1/track', toJsonText(body));
      expectSuccessOrClientError(res, [200], `/v1/track ${toJsonText(body)}`);
      if (res.body.error?.code === 'invalid_message') expect(TIMESTAMP_FIELDS.map((f) => `/${f}`)).to.include(res.body.error.path);
    });
    await checkProperty('ingest HTTP: timestamps', property, { seed: 4304, numRuns: 200 });
    await t.settleWithin();
    expectNoLoggedErrors(t, 'timestamps');
  });

  it('answers batches mixing good and bad messages all or nothing, naming the index of a bad message', async () => {
    const property = fc.asyncProperty(fc.constantFrom('/v1/batch', '/v1/import'), batchRequest, async (endpoint, { items, extras }) => {
      const body = objectFromEntries([['batch', items.map((i) => i.message)], ...Object.entries(extras ?? {})]);
      const before = await countEvents(t);
      const res = await t.ingest(endpoint, toJsonText(body));
      const what = `${endpoint} ${toJsonText(body).slice(0, 800)}`;
      expectSuccessOrClientError(res, [200], what);
      const after = await countEvents(t);
      if (res.status === 200) {
        expect(res.body.stored + res.body.duplicates, what).to.equal(items.length);
        expect(after - before, `${what}: events stored`).to.equal(res.body.stored);
        expect(items.some((i) => i.kind === 'bad'), `${what}: a known-bad message was accepted`).to.equal(false);
        return;
      }
      expect(after, `${what}: a rejected batch stored events`).to.equal(before);
      const at = /^\/batch\/(\d+)/.exec(String(res.body.error.path ?? ''));
      if (at) {
        const index = Number(at[1]);
        expect(res.body.error.index, what).to.equal(index);
        expect(res.body.error.message, what).to.contain(`batch message ${index}`);
        expect(items[index]?.kind, `${what}: index ${index} names a good message`).not.to.equal('good');
      }
      if (extras === undefined && items.every((i) => i.kind !== 'unknown')) {
        expect(res.status, what).to.equal(400);
        expect(at, `${what}: the error names no message`).not.to.equal(null);
      }
    });
    await checkProperty('ingest HTTP: batches', property, { seed: 4302, numRuns: 300 });
    await t.settleWithin();
    expectNoLoggedErrors(t, 'batches');
  });

  it('accepts every batch of good messages', async () => {
    const property = fc.asyncProperty(fc.array(fc.constantFrom(...MESSAGE_TYPES).chain(goodMessage), { minLength: 1, maxLength: 10 }), async (batch) => {
      const res = await t.ingest('/v1/batch', toJsonText({ batch }));
      expect(res.status, `${res.status} ${JSON.stringify(res.body).slice(0, 1000)}`).to.equal(200);
      expect(res.body.stored + res.body.duplicates).to.equal(batch.length);
    });
    await checkProperty('ingest HTTP: good batches', property, { seed: 4303, numRuns: 100 });
    await t.settleWithin();
    expectNoLoggedErrors(t, 'good batches');
  });

  it('reads back everything it stored: the catalog, each event name, each profile', async () => {
    await t.settleWithin();
    const catalog = await t.api('GET', '/api/v1/catalog/events');
    expect(catalog.status, JSON.stringify(catalog.body).slice(0, 500)).to.equal(200);
    for (const { name } of catalog.body.events as Array<{ name: string }>) {
      const one = await t.api('GET', `/api/v1/catalog/events/${encodeURIComponent(name)}`);
      expectSuccessOrClientError(one, [200], `catalog entry ${JSON.stringify(name)}`);
    }
    const events = await t.api('GET', '/api/v1/events?limit=200');
    const userIds = new Set((events.body.events as Array<{ userId?: string }>).flatMap((e) => (e.userId ? [e.userId] : [])));
    for (const userId of userIds) {
      const profile = await t.api('GET', `/api/v1/profiles/lookup?userId=${encodeURIComponent(userId)}`);
      expectSuccessOrClientError(profile, [200], `profile ${JSON.stringify(userId)}`);
    }
    expectNoLoggedErrors(t, 'reading back');
  });
});
