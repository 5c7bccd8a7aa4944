/**
 * Destination plugins' outbound HTTP obeys the private-address policy of destination functions
 * (product.md "Security"): unless DESTINATIONS_ALLOW_PRIVATE_NETWORK is set, a request to a
 * private, loopback or link-local address — a literal IP, a host name resolving to one, a redirect
 * to one — is refused before any byte reaches it, and the delivery fails for good with a reason
 * that says so (no 4 hours of retries).
 *
 * The local servers stand in for internal services. In the plugin-level cases the one on
 * 127.0.0.1 is let through by an address exception (it plays a public server that redirects);
 * the "internal" one listens on 127.0.0.2, which the policy refuses.
 */
import http from 'node:http';
import type net from 'node:net';
import { expect } from 'chai';
import nock from 'nock';
import { ConfigError, loadConfig, testConfig } from '../../engine/config.ts';
import { classifyOutcome } from '../../engine/delivery/classify-outcome.ts';
import { builtinPlugins } from '../../destinations/builtin/builtin-plugins.ts';
import { createTestEvent, defaultValues, type JSONObject } from '../../destinations/actions-core.ts';
import { ADDRESS_REFUSED_CODE, createOutboundGuard, type OutboundGuard } from '../../destinations/outbound-guard.ts';
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import type { Plugin } from '../../destinations/plugin.ts';
import { runAction, runBatch, testAuthentication } from '../../destinations/run-action.ts';
import type { ResolveHost } from '../../functions-runtime/vetted-lookup.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { useNock } from '../destinations/support/use-nock.ts';
import {
  advance, createDestination, journeyDeliveries, ok, publishJourney, sendOnEntryJourney, startSink, webhookTarget, type Sink,
} from '../delivery-e2e/helpers.ts';

/** A server on `host` that counts requests, redirects `/go?to=<url>` there and answers 200 otherwise. */
async function startServer(host: string): Promise<{ url: string; port: number; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '/');
    req.resume();
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to) res.writeHead(302, { location: to }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://${host}:${port}`, port, hits,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** DNS for the test: names that resolve to what an attacker would point them at. */
const resolve: ResolveHost = async (hostname) => {
  if (hostname === 'internal.example.test') return [{ address: '127.0.0.2', family: 4 }];
  if (hostname === 'metadata.example.test') return [{ address: '169.254.169.254', family: 4 }];
  // One public and one private answer: the socket could pick either, so the host is refused.
  if (hostname === 'mixed.example.test') return [{ address: '93.184.215.14', family: 4 }, { address: '10.1.2.3', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
};

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(() => { throw new Error('expected the request to fail'); }, (error: Error) => error);
}

describe('destinations: the private-address policy of outbound HTTP', function () {
  this.timeout(30_000);

  describe('plugins run through a registry with the policy', () => {
    let publicServer: Awaited<ReturnType<typeof startServer>>;
    let internal: Awaited<ReturnType<typeof startServer>>;
    let webhook: Plugin;
    let formApi: Plugin;
    let openWebhook: Plugin;

    const registryWith = (outbound: OutboundGuard) => new PluginRegistry({ builtins: builtinPlugins, catalog: false, outbound });
    const send = (plugin: Plugin, url: string) => runAction({
      plugin, settings: {}, action: 'send', event: createTestEvent({ event: 'Probe' }),
      mapping: { ...defaultValues(plugin.definition.actions['send']!.fields), url } as JSONObject, timeoutMs: 5_000,
    });

    before(async () => {
      publicServer = await startServer('127.0.0.1');
      internal = await startServer('127.0.0.2');
      const refusing = createOutboundGuard({ allowPrivateNetwork: false, resolve, isAllowedAddress: (a) => a === '127.0.0.1' });
      webhook = await registryWith(refusing).get('webhook');
      formApi = await registryWith(refusing).get('form-api');
      openWebhook = await registryWith(createOutboundGuard({ allowPrivateNetwork: true })).get('webhook');
    });
    after(async () => {
      await publicServer.close();
      await internal.close();
    });
    afterEach(() => {
      expect(internal.hits, 'requests that reached the internal server').to.deep.equal([]);
    });

    const refusals: Array<[string, () => string, RegExp]> = [
      ['a loopback address', () => `${internal.url}/hook`, /127\.0\.0\.2, a loopback address \(127\.0\.0\.0\/8\)/],
      ['a private address', () => 'http://10.0.0.7/hook', /10\.0\.0\.7, a private address \(10\.0\.0\.0\/8\)/],
      ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254, a link-local address/],
      ['IPv6 loopback', () => `http://[::1]:${internal.port}/hook`, /::1, a loopback address/],
      ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.2]:${internal.port}/hook`, /IPv4-mapped address .* of 127\.0\.0\.2/],
      ['a host name resolving to loopback', () => `http://internal.example.test:${internal.port}/hook`, /internal\.example\.test: it resolves to 127\.0\.0\.2, a loopback/],
      ['a host name resolving to the metadata address, over https', () => 'https://metadata.example.test/latest', /resolves to 169\.254\.169\.254, a link-local/],
      ['a host name with one private address among public ones', () => 'http://mixed.example.test/hook', /resolves to 10\.1\.2\.3, a private address/],
    ];
    // The built-in plugins follow no redirect (a redirected POST would arrive as a GET without its
    // body): a redirect towards an internal address fails with its 3xx before anything goes there.
    for (const [what, target] of [
      ['loopback', () => `${internal.url}/hook`],
      ['a host name resolving to loopback', () => `http://internal.example.test:${internal.port}/x`],
    ] as const) {
      it(`does not follow a redirect to ${what}: the delivery fails for good with the 3xx`, async () => {
        const error = await failure(send(webhook, `${publicServer.url}/go?to=${encodeURIComponent(target())}`)) as Error & { response?: { status?: number } };
        expect(error.response?.status, error.message).to.be.within(300, 399);
        const verdict = classifyOutcome({ error });
        expect(verdict.kind).to.equal('failed');
      });
    }
    for (const [what, url, reason] of refusals) {
      it(`refuses ${what}, and the delivery fails for good with the reason`, async () => {
        const error = await failure(send(webhook, url()));
        expect(error.code, error.message).to.equal(ADDRESS_REFUSED_CODE);
        expect(error.message).to.match(reason);
        const verdict = classifyOutcome({ error });
        expect(verdict.kind).to.equal('failed');
        expect(verdict.kind === 'failed' && verdict.reason).to.match(/^address refused: .*DESTINATIONS_ALLOW_PRIVATE_NETWORK/);
      });
    }

    it('reaches an address the policy allows (the redirecting server itself), through the same agents', async () => {
      const before = publicServer.hits.length;
      const result = await send(webhook, `${publicServer.url}/ok`);
      expect(result.status).to.equal(200);
      expect(publicServer.hits.length).to.equal(before + 1);
    });

    it('refuses a batch per event: every event fails for good (not a retryable 500)', async () => {
      const results = await runBatch({
        plugin: webhook, settings: {}, action: 'send', timeoutMs: 5_000,
        events: [createTestEvent({ event: 'A' }), createTestEvent({ event: 'B' })],
        mapping: { ...defaultValues(webhook.definition.actions['send']!.fields), url: `${internal.url}/batch` } as JSONObject,
      });
      expect(results).to.have.length(2);
      for (const r of results) {
        expect(r.errortype).to.equal(ADDRESS_REFUSED_CODE);
        const verdict = classifyOutcome({ status: r.status, message: r.errormessage!, errortype: r.errortype! });
        expect(verdict.kind).to.equal('failed');
      }
    });

    it('refuses the credentials check too, saying why', async () => {
      const result = await testAuthentication(formApi, { baseUrl: `${internal.url}/api`, apiToken: 'token-0123456789' }, { timeoutMs: 5_000 });
      expect(result.ok).to.equal(false);
      expect(result.message).to.match(/refused to connect to 127\.0\.0\.2, a loopback address/);
    });

    it('with private networks allowed, the same request is delivered', async () => {
      const result = await send(openWebhook, `${internal.url}/hook`);
      expect(result.status).to.equal(200);
      expect(internal.hits.splice(0)).to.deep.equal(['/hook']);
    });
  });

  describe('nock in the same process', () => {
    useNock();
    let webhook: Plugin;
    let local: Sink;
    before(async () => {
      // The default policy: no resolver injected, no exception.
      webhook = await new PluginRegistry({ builtins: builtinPlugins, catalog: false }).get('webhook');
      local = await startSink();
    });
    after(async () => { await local.close(); });

    it('intercepts a mocked host before any agent, socket or DNS: the check never runs for it', async () => {
      nock('https://api.example.com').post('/hook').reply(201, { ok: true });
      const result = await runAction({
        plugin: webhook, settings: {}, action: 'send', event: createTestEvent({ event: 'Mocked' }),
        mapping: { ...defaultValues(webhook.definition.actions['send']!.fields), url: 'https://api.example.com/hook' } as JSONObject,
      });
      expect(result.status).to.equal(201);
    });

    it('still refuses a request that goes to the real network (127.0.0.1 is let through by nock, not by the policy)', async () => {
      const error = await failure(runAction({
        plugin: webhook, settings: {}, action: 'send', event: createTestEvent({ event: 'Real' }),
        mapping: { ...defaultValues(webhook.definition.actions['send']!.fields), url: `${local.url}/hook` } as JSONObject,
      }));
      expect(error.code).to.equal(ADDRESS_REFUSED_CODE);
      expect(local.requests).to.deep.equal([]);
    });
  });

  describe('the engine with DESTINATIONS_ALLOW_PRIVATE_NETWORK off (as in production)', () => {
    const ENTRY = 'Internal Probe';
    let t: TestEngine;
    let sink: Sink;

    before(async () => {
      sink = await startSink();
      // A data directory of its own: processing (and so every delivery) runs on the worker thread.
      t = await startTestEngine({ testClock: true, destinations: { allowPrivateNetwork: false } });
      await ok(t.ingest('/v1/track', { userId: 'seed', event: ENTRY }));
      await t.settle();
    });
    after(async () => {
      await t?.close();
      await sink?.close();
    });

    it('fails journey sends to loopback, private, link-local and loopback-named URLs at once, never retried, and nothing reaches the sink', async () => {
      const port = new URL(sink.url).port;
      const targets: Array<[string, string, RegExp]> = [
        ['loopback', `${sink.url}/hook`, /127\.0\.0\.1, a loopback address/],
        ['private', 'http://10.20.30.40/hook', /10\.20\.30\.40, a private address/],
        ['metadata', 'http://169.254.169.254/latest/meta-data/iam', /169\.254\.169\.254, a link-local address/],
        ['localhost', `http://localhost:${port}/hook`, /localhost: it resolves to (127\.0\.0\.1|::1), a loopback address/],
      ];
      const journeys: Array<[string, string, RegExp]> = [];
      for (const [name, url, reason] of targets) {
        const destinationId = await createDestination(t, { name: `Internal ${name}` });
        const journeyId = await publishJourney(t, sendOnEntryJourney(`Probe ${name}`, ENTRY, {
          target: webhookTarget(destinationId), mapping: { url, data: { '@path': '$.properties' } },
        }));
        journeys.push([name, journeyId, reason]);
      }
      await ok(t.ingest('/v1/track', { userId: 'u-1', event: ENTRY }));
      await t.settle();
      // Well past every backoff step, within the 4-hour retry window: a refusal is not retried.
      await advance(t, 60 * 60_000);
      await advance(t, 3 * 60 * 60_000);
      for (const [name, journeyId, reason] of journeys) {
        const [d, ...more] = await journeyDeliveries(t, journeyId);
        expect(more, name).to.deep.equal([]);
        expect(d.status, `${name}: ${JSON.stringify(d)}`).to.equal('failed');
        expect(d.attempts, name).to.equal(1);
        expect(d.nextAttemptAt, name).to.equal(null);
        expect(d.reason, name).to.match(/^address refused: /).and.to.match(reason).and.to.match(/DESTINATIONS_ALLOW_PRIVATE_NETWORK/);
      }
      expect(sink.requests).to.deep.equal([]);
    });

    it('test-send answers a plain failure with the reason; nothing is sent', async () => {
      const destinationId = await createDestination(t, { name: 'Internal test-send' });
      const journeyId = await publishJourney(t, sendOnEntryJourney('Probe test-send', ENTRY, {
        target: webhookTarget(destinationId), mapping: { url: `${sink.url}/test-send`, data: { '@path': '$.properties' } },
      }));
      const answer = await ok(t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/test`, { event: { properties: { a: 1 } }, userId: 'u-1' }));
      expect(answer.result).to.include({ outcome: 'failed', status: null });
      expect(answer.result.reason).to.match(/^address refused: .*127\.0\.0\.1, a loopback address/);
      expect(sink.requests).to.deep.equal([]);
    });

    it('the credentials check is refused too', async () => {
      const destinationId = await createDestination(t, {
        name: 'Internal form API', plugin: 'form-api', settings: { baseUrl: `${sink.url}/api`, apiToken: 'token-0123456789' },
      });
      const answer = await ok(t.api('POST', `/api/v1/destinations/${destinationId}/test-authentication`));
      expect(answer.ok).to.equal(false);
      expect(answer.message).to.match(/refused to connect to 127\.0\.0\.1, a loopback address/);
      expect(sink.requests).to.deep.equal([]);
    });
  });

  describe('the engine with DESTINATIONS_ALLOW_PRIVATE_NETWORK on (tests, local development)', () => {
    it('delivers to the local sink', async () => {
      const sink = await startSink();
      const t = await startTestEngine({ testClock: true });
      try {
        await ok(t.ingest('/v1/track', { userId: 'seed', event: 'Local Probe' }));
        await t.settle();
        const destinationId = await createDestination(t, { name: 'Local' });
        const journeyId = await publishJourney(t, sendOnEntryJourney('Local probe', 'Local Probe', {
          target: webhookTarget(destinationId), mapping: { url: `${sink.url}/local`, data: { '@path': '$.properties' } },
        }));
        await ok(t.ingest('/v1/track', { userId: 'u-2', event: 'Local Probe' }));
        await t.settle();
        const [d] = await journeyDeliveries(t, journeyId);
        expect(d.status, JSON.stringify(d)).to.equal('delivered');
        expect(sink.requests.map((r) => r.path)).to.deep.equal(['/local']);
      } finally {
        await t.close();
        await sink.close();
      }
    });
  });

  describe('DESTINATIONS_ALLOW_PRIVATE_NETWORK', () => {
    it('is off by default, on with 1 or true, refused otherwise; testConfig() turns it on', () => {
      expect(loadConfig({}).destinations).to.deep.equal({ allowPrivateNetwork: false });
      expect(loadConfig({ DESTINATIONS_ALLOW_PRIVATE_NETWORK: '1' }).destinations.allowPrivateNetwork).to.equal(true);
      expect(loadConfig({ DESTINATIONS_ALLOW_PRIVATE_NETWORK: 'true' }).destinations.allowPrivateNetwork).to.equal(true);
      expect(loadConfig({ DESTINATIONS_ALLOW_PRIVATE_NETWORK: '0' }).destinations.allowPrivateNetwork).to.equal(false);
      expect(() => loadConfig({ DESTINATIONS_ALLOW_PRIVATE_NETWORK: 'yes' })).to.throw(ConfigError, /DESTINATIONS_ALLOW_PRIVATE_NETWORK/);
      expect(testConfig().destinations.allowPrivateNetwork).to.equal(true);
      expect(Object.isFrozen(loadConfig({}).destinations)).to.equal(true);
    });
  });
});
