/**
 * GET /metrics: Prometheus text without credentials; ingest counters by message type and by
 * rejection code; request latency by route template (never the raw URL) on the ingest path and
 * the management API; events processed on the processing worker thread, merged into the engine's
 * answer; the runtime's default metrics per thread; and one registry per engine.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { ok } from '../delivery-e2e/helpers.ts';
import { scrape, scrapeUntil } from './scrape.ts';

const HTTP = 'journey_engine_http_request_duration_seconds';

describe('metrics: GET /metrics', function () {
  this.timeout(20_000);

  describe('on an engine whose processing runs on a worker thread (file SQLite)', () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine(); });
    after(async () => { await t?.close(); });

    it('answers Prometheus text without credentials, with the runtime metrics of both threads', async () => {
      const s = await scrape(t.url);
      expect(s.types.get('journey_engine_events_ingested_total')).to.equal('counter');
      expect(s.types.get(HTTP)).to.equal('histogram');
      expect(s.has('process_cpu_user_seconds_total'), 'process metrics').to.equal(true);
      expect(s.has('nodejs_heap_size_used_bytes', { thread: 'engine' })).to.equal(true);
      expect(s.has('nodejs_heap_size_used_bytes', { thread: 'processing' }), 'the worker thread\'s heap').to.equal(true);
      expect(s.has('nodejs_eventloop_lag_seconds', { thread: 'processing' })).to.equal(true);
      expect(s.value('journey_engine_processing_metrics_up')).to.equal(1);
      expect(s.value('journey_engine_processing_lease_held')).to.equal(1);
    });

    it('counts tracks stored and duplicated, and requests rejected by error code', async () => {
      const before = await scrape(t.url);
      const stored = () => before.value('journey_engine_events_ingested_total', { type: 'track', outcome: 'stored' });
      await ok(t.ingest('/v1/track', { userId: 'm-1', event: 'Metrics Counted', messageId: 'metrics-1' }));
      await ok(t.ingest('/v1/track', { userId: 'm-1', event: 'Metrics Counted', messageId: 'metrics-1' }));
      await ok(t.ingest('/v1/batch', { batch: [
        { type: 'identify', userId: 'm-1', traits: { plan: 'pro' } },
        { type: 'track', userId: 'm-1', event: 'Metrics Counted' },
        { type: 'track', userId: 'm-1', event: 'Metrics Counted' },
      ] }));
      const bad = await t.ingest('/v1/track', { userId: 'm-1' });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal('invalid_message');
      expect((await t.ingest('/v1/track', { userId: 'm-1', event: 'X' }, { writeKey: 'wk_unknown_key_0000000000' })).status).to.equal(401);

      const s = await scrapeUntil(t.url, (x) => x.value(HTTP + '_count', { route: '/v1/track', status_class: '4xx' }) >= 2);
      expect(s.value('journey_engine_events_ingested_total', { type: 'track', outcome: 'stored' }) - stored()).to.equal(3);
      expect(s.value('journey_engine_events_ingested_total', { type: 'track', outcome: 'duplicate' })
        - before.value('journey_engine_events_ingested_total', { type: 'track', outcome: 'duplicate' })).to.equal(1);
      expect(s.value('journey_engine_events_ingested_total', { type: 'identify', outcome: 'stored' })
        - before.value('journey_engine_events_ingested_total', { type: 'identify', outcome: 'stored' })).to.equal(1);
      expect(s.value('journey_engine_ingest_rejected_total', { code: 'invalid_message' })
        - before.value('journey_engine_ingest_rejected_total', { code: 'invalid_message' })).to.equal(1);
      expect(s.value('journey_engine_ingest_rejected_total', { code: 'invalid_credentials' })
        - before.value('journey_engine_ingest_rejected_total', { code: 'invalid_credentials' })).to.equal(1);
      expect(s.value(`${HTTP}_count`, { method: 'POST', route: '/v1/track', status_class: '2xx' })).to.be.at.least(2);
      expect(s.value(`${HTTP}_count`, { method: 'POST', route: '/v1/batch', status_class: '2xx' })).to.be.at.least(1);
      // Label values are bounded: no user id or event name anywhere.
      for (const sample of s.samples) {
        for (const value of Object.values(sample.labels)) expect(value).not.to.match(/m-1|Metrics Counted/);
      }
    });

    it('counts events processed on the worker thread and reports no lag once caught up', async () => {
      // Earlier tests' events must be counted before the baseline is taken.
      await t.settle();
      const before = (await scrape(t.url)).value('journey_engine_events_processed_total');
      await ok(t.ingest('/v1/batch', { batch: [1, 2, 3, 4].map((n) => ({ type: 'track', userId: `p-${n}`, event: 'Processed' })) }));
      await t.settle();
      const s = await scrape(t.url);
      expect(s.value('journey_engine_events_processed_total') - before).to.equal(4);
      expect(s.value('journey_engine_processing_lag_seconds')).to.equal(0);
      expect(s.value('journey_engine_timer_lag_seconds')).to.equal(0);
    });

    it('times management requests under their route template, unmatched routes under one label', async () => {
      const created = await ok(t.api('POST', '/api/v1/audiences', { name: 'Metrics audience', rule: [{ path: 'plan', operator: 'equals', value: 'pro' }] }), 201);
      await ok(t.api('GET', `/api/v1/audiences/${created.audience.id}`));
      expect((await t.api('GET', '/api/v1/audiences/aud_does_not_exist')).status).to.equal(404);
      expect((await t.api('GET', '/api/v1/no/such/thing')).status).to.equal(404);
      const s = await scrapeUntil(t.url, (x) => x.has(`${HTTP}_count`, { route: 'unmatched', status_class: '4xx' }));
      expect(s.value(`${HTTP}_count`, { method: 'GET', route: '/api/v1/audiences/:id', status_class: '2xx' })).to.equal(1);
      // An error answered by the error handler keeps the template of the route that threw it.
      expect(s.value(`${HTTP}_count`, { method: 'GET', route: '/api/v1/audiences/:id', status_class: '4xx' })).to.equal(1);
      expect(s.value(`${HTTP}_count`, { method: 'POST', route: '/api/v1/audiences', status_class: '2xx' })).to.equal(1);
      expect(s.has(`${HTTP}_count`, { method: 'GET', route: 'unmatched', status_class: '4xx' })).to.equal(true);
      expect(s.has(`${HTTP}_bucket`, { route: '/api/v1/audiences/:id', le: '+Inf' })).to.equal(true);
      for (const sample of s.matching(`${HTTP}_count`)) expect(sample.labels['route']).not.to.include(created.audience.id);
    });
  });

  describe('engines side by side in one process', () => {
    let a: TestEngine;
    let b: TestEngine;
    before(async () => {
      a = await startTestEngine({ dataDir: ':memory:' });
      b = await startTestEngine({ dataDir: ':memory:' });
    });
    after(async () => {
      await a?.close();
      await b?.close();
    });

    it('keep their own counters (one registry per engine), and processing on the main thread is counted too', async () => {
      await ok(a.ingest('/v1/track', { userId: 'a-1', event: 'Only A' }));
      await ok(a.ingest('/v1/track', { userId: 'a-2', event: 'Only A' }));
      await a.settle();
      const sa = await scrape(a.url);
      const sb = await scrape(b.url);
      expect(sa.value('journey_engine_events_ingested_total', { type: 'track', outcome: 'stored' })).to.equal(2);
      expect(sb.value('journey_engine_events_ingested_total')).to.equal(0);
      expect(sa.value('journey_engine_events_processed_total')).to.equal(2);
      expect(sb.value('journey_engine_events_processed_total')).to.equal(0);
      expect(sa.value('journey_engine_processing_metrics_up')).to.equal(1);
      expect(sa.has('nodejs_heap_size_used_bytes', { thread: 'processing' }), 'no worker thread in memory mode').to.equal(false);
    });
  });
});
