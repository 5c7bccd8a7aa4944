/**
 * GET /ready: 200 when the store answers a trivial query and processing runs; 503 with the same
 * shape otherwise: the store closed under a running engine, processing that does not answer, an
 * engine starting or stopping. On MongoDB with two engines, the one that is not the processor is
 * still ready. And a scrape answers without the worker's metrics when the worker does not answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { dropDatabase, freshDbName, mongoUriFor } from '../support/mongo-server.ts';
import { createOpsRoutes, type OpsDeps } from '../../engine/http/ops-routes.ts';
import { EngineMetrics } from '../../engine/metrics/engine-metrics.ts';
import { createLogger } from '../../engine/logger.ts';
import { parseExposition, scrape } from './scrape.ts';

async function ready(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/ready`);
  return { status: res.status, body: await res.json() };
}

describe('metrics: GET /ready', function () {
  this.timeout(30_000);

  describe('a running engine (processing on the worker thread)', () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine(); });
    after(async () => { await t?.close(); });

    it('is ready without credentials: the store answers and processing runs here', async () => {
      const { status, body } = await ready(t.url);
      expect(status).to.equal(200);
      expect(body.status).to.equal('ready');
      expect(body.checks.store.ok).to.equal(true);
      expect(body.checks.store.latencyMs).to.be.a('number').and.at.least(0);
      expect(body.checks.scheduler).to.include({ ok: true, processor: true });
      expect(body.checks.engine).to.deep.equal({ ok: true });
    });

    it('is not ready once its store is closed, and says which check failed', async () => {
      await t.engine.store.close();
      const { status, body } = await ready(t.url);
      expect(status).to.equal(503);
      expect(body.status).to.equal('not_ready');
      expect(body.checks.store.ok).to.equal(false);
      expect(body.checks.store.error).to.be.a('string');
      expect(body.checks.scheduler.ok, 'the worker has its own connection').to.equal(true);
      // Liveness is another question.
      expect((await fetch(`${t.url}/health`)).status).to.equal(200);
    });
  });

  describe('two engines on one MongoDB database', () => {
    const dbName = freshDbName('ready');
    const engines: TestEngine[] = [];
    before(async () => {
      const config = {
        mongodbUri: mongoUriFor(dbName),
        bootstrap: { writeKey: 'wk_ready-test-write-key-01', adminToken: 'adm_ready-test-admin-token-01', operatorToken: null },
      };
      engines.push(await startTestEngine(config));
      engines.push(await startTestEngine(config));
    });
    after(async () => {
      for (const e of engines) await e.close();
      await dropDatabase(dbName);
    });

    it('both are ready; only the lease holder is the processor', async () => {
      const [a, b] = await Promise.all(engines.map((e) => ready(e.url)));
      expect(a!.status).to.equal(200);
      expect(b!.status, 'not holding the lease is not a fault').to.equal(200);
      expect(a!.body.checks.scheduler).to.include({ ok: true, processor: true });
      expect(b!.body.checks.scheduler).to.include({ ok: true, processor: false });
      const sb = await scrape(engines[1]!.url);
      expect(sb.value('journey_engine_processing_lease_held')).to.equal(0);
    });
  });

  describe('the operations routes on their own', () => {
    let server: http.Server;
    let url: string;
    let deps: OpsDeps;
    let accepting = true;
    let stuck = false;

    before(async () => {
      const never = new Promise<never>(() => {});
      deps = {
        store: { ping: async () => {} },
        processing: {
          status: async () => (stuck ? never : { running: true, processor: true }),
          metrics: async (timeoutMs) => {
            if (!stuck) return [];
            await new Promise((resolve) => setTimeout(resolve, timeoutMs));
            throw new Error(`no answer within ${timeoutMs} ms`);
          },
        },
        metrics: new EngineMetrics(), logger: createLogger('error', true), isReady: () => accepting,
      };
      server = http.createServer(express().use(createOpsRoutes(deps)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => { await new Promise((resolve) => server.close(resolve)); });
    afterEach(() => {
      accepting = true;
      stuck = false;
    });

    it('is not ready while the engine starts or stops, though every check passes', async () => {
      accepting = false;
      const { status, body } = await ready(url);
      expect(status).to.equal(503);
      expect(body).to.deep.include({ status: 'not_ready' });
      expect(body.checks.engine).to.deep.equal({ ok: false });
      expect(body.checks.store.ok).to.equal(true);
      expect(body.checks.scheduler.ok).to.equal(true);
    });

    it('is not ready when processing does not answer in time', async () => {
      stuck = true;
      const started = Date.now();
      const { status, body } = await ready(url);
      expect(status).to.equal(503);
      expect(body.checks.scheduler.ok).to.equal(false);
      expect(body.checks.scheduler.error).to.match(/no answer within/);
      expect(Date.now() - started).to.be.below(5_000);
    });

    it('answers a scrape without the worker metrics when the worker does not answer in time', async () => {
      stuck = true;
      const res = await fetch(`${url}/metrics`);
      expect(res.status).to.equal(200);
      const s = parseExposition(await res.text());
      expect(s.value('journey_engine_processing_metrics_up')).to.equal(0);
      expect(s.has('process_cpu_user_seconds_total')).to.equal(true);
    });
  });
});
