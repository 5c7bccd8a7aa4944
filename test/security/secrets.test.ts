/**
 * Secrets never leave the engine after they are set (product.md "Security"): write keys, admin
 * and operator tokens, destinations' secret settings (the webhook's shared secret, the form API's
 * token, a catalog destination's site id and API key) and functions' secret settings appear in no
 * API answer but the one that issues them, and in no log line, at debug level.
 *
 * The engine runs in this thread (in-memory store, so processing too) with a logger whose every
 * line is captured, and is driven through requests that log: credentials issued, rotated, revoked
 * and misused, bodies that fail to parse or validate, credential checks that fail, and deliveries
 * that fail against a destination that echoes back everything it was sent (headers included), as
 * some APIs do in their error answers.
 */
import http from 'node:http';
import type net from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import nock from 'nock';
import { testConfig } from '../../engine/config.ts';
import { startEngine, type RunningEngine } from '../../engine/engine.ts';
import { createLogger } from '../../engine/logger.ts';
import { answer, type Answer } from '../support/test-engine.ts';
import { useNock } from '../destinations/support/use-nock.ts';
import { sendOnEntryJourney } from '../delivery-e2e/helpers.ts';
import { FUNCTION_CODE } from './seeded-space.ts';

const run = Math.random().toString(36).slice(2, 8);
const ENTRY = `Secret Probe ${run}`;

/** A destination that answers `status` with everything it received: method, URL, headers and body. */
async function startEchoServer(status: number): Promise<{ url: string; received: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { url: '', received: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      state.received += 1;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'echo', method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  state.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

describe('secrets never appear in API answers or logs', function () {
  this.timeout(60_000);
  useNock();
  const lines: string[] = [];
  /** Every answer, and the secrets it may show (only the answers that issue a credential show one). */
  const answers: Array<{ what: string; text: string; mayShow: string[] }> = [];
  const secrets = new Set<string>();
  let engine: RunningEngine;
  let echo500: Awaited<ReturnType<typeof startEchoServer>>;
  let echo400: Awaited<ReturnType<typeof startEchoServer>>;

  async function call(what: string, method: string, path: string, options: {
    token?: string | null; body?: unknown; raw?: string; authorization?: string; mayShow?: string[];
  } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? engine.credentials.adminToken! : options.token;
    if (options.authorization !== undefined) headers['authorization'] = options.authorization;
    else if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const a = await answer(await fetch(`${engine.url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) }));
    answers.push({ what: `${what} (${method} ${path} → ${a.status})`, text: JSON.stringify(a.body), mayShow: options.mayShow ?? [] });
    return a;
  }

  async function expectStatus(what: string, a: Promise<Answer>, status: number): Promise<any> {
    const got = await a;
    expect(got.status, `${what}: ${JSON.stringify(got.body)}`).to.equal(status);
    return got.body;
  }

  const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

  before(async () => {
    const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    const base = testConfig();
    // Functions post to a local server here too.
    const config = testConfig({ host: '127.0.0.1', port: 0, testClock: true, logLevel: 'debug', functions: { ...base.functions, allowPrivateNetwork: true } });
    engine = await startEngine(config, {
      logger: createLogger('debug', true, { stream }),
    });
    for (const secret of [engine.credentials.writeKey!, engine.credentials.adminToken!, engine.credentials.operatorToken]) secrets.add(secret);
    echo500 = await startEchoServer(500);
    echo400 = await startEchoServer(400);
    await expectStatus('seed the catalog', call('entry event', 'POST', '/v1/track', {
      token: null, authorization: basic(engine.credentials.writeKey!), body: { userId: 'seed', event: ENTRY },
    }), 200);
    await engine.settle();
  });
  after(async () => {
    await engine?.close();
    await echo500?.close();
    await echo400?.close();
  });

  it('credentials: shown once when issued, rotated or created with a space; never in listings, refusals or logs', async () => {
    const wk = (await expectStatus('issue', call('issue a write key', 'POST', '/api/v1/credentials', { body: { kind: 'write_key', label: 'probe' } }), 201)).credential;
    answers.at(-1)!.mayShow.push(wk.secret);
    const adm = (await expectStatus('issue', call('issue an admin token', 'POST', '/api/v1/credentials', { body: { kind: 'admin_token' } }), 201)).credential;
    answers.at(-1)!.mayShow.push(adm.secret);
    const rotated = (await expectStatus('rotate', call('rotate the admin token', 'POST', `/api/v1/credentials/${adm.id}/rotate`), 201)).credential;
    answers.at(-1)!.mayShow.push(rotated.secret);
    const space = await expectStatus('space', call('create a space', 'POST', '/api/v1/spaces', { token: engine.credentials.operatorToken, body: { name: `Probe ${run}` } }), 201);
    answers.at(-1)!.mayShow.push(space.writeKey.secret, space.adminToken.secret);
    for (const secret of [wk.secret, adm.secret, rotated.secret, space.writeKey.secret, space.adminToken.secret]) secrets.add(secret);

    await expectStatus('list', call('list credentials', 'GET', '/api/v1/credentials'), 200);
    await expectStatus('list', call('list credentials with the new token', 'GET', '/api/v1/credentials', { token: rotated.secret }), 200);
    await expectStatus('spaces', call('list spaces', 'GET', '/api/v1/spaces', { token: engine.credentials.operatorToken }), 200);
    await expectStatus('revoked', call('the rotated-away token', 'GET', '/api/v1/space', { token: adm.secret }), 401);
    await expectStatus('operator', call('the operator token on an admin route', 'GET', '/api/v1/space', { token: engine.credentials.operatorToken }), 403);
    await expectStatus('admin on operator', call('an admin token on /spaces', 'GET', '/api/v1/spaces', { token: rotated.secret }), 403);
    await expectStatus('ingest', call('ingest with the new write key', 'POST', '/v1/track', { token: null, authorization: basic(wk.secret), body: { userId: 'u1', event: 'Probe' } }), 200);
    await expectStatus('ingest', call('ingest with the write key in the body', 'POST', '/v1/track', { token: null, body: { writeKey: wk.secret, userId: 'u1', event: 'Probe' } }), 200);
    await expectStatus('revoke', call('revoke the write key', 'DELETE', `/api/v1/credentials/${wk.id}`), 204);
    await expectStatus('revoked', call('ingest with the revoked write key', 'POST', '/v1/track', { token: null, authorization: basic(wk.secret), body: { userId: 'u1', event: 'Probe' } }), 401);
    await expectStatus('revoked', call('the revoked write key in the body', 'POST', '/v1/batch', { token: null, body: { writeKey: wk.secret, batch: [{ type: 'track', userId: 'u', event: 'E' }] } }), 401);
    await expectStatus('wrong kind', call('an admin token as the write key', 'POST', '/v1/track', { token: null, authorization: basic(rotated.secret), body: { userId: 'u1', event: 'Probe' } }), 401);
    // Bodies that do not parse, with a credential inside: the parse error must not quote them.
    await call('ingest JSON that does not parse, write key inside', 'POST', '/v1/track', {
      token: null, raw: `{"writeKey":"${engine.credentials.writeKey}","userId":"u1","event":"Probe",}`,
    });
    await call('ingest JSON that does not parse, with a Basic write key', 'POST', '/v1/track', {
      token: null, authorization: basic(engine.credentials.writeKey!), raw: `{"writeKey":"${engine.credentials.writeKey}",`,
    });
    await engine.settle();
  });

  it('destination settings: the webhook shared secret, the form API token and a catalog API key are redacted everywhere', async () => {
    const webhookSecret = `whsec-${run}-0123456789`;
    const newWebhookSecret = `whsec-${run}-9876543210`;
    const formToken = `formtok-${run}-0123456789`;
    const cioSite = `ciosite-${run}-0123456789`;
    const cioKey = `ciokey-${run}-0123456789`;
    for (const secret of [webhookSecret, newWebhookSecret, formToken, cioSite, cioKey]) secrets.add(secret);

    const hook = (await expectStatus('create', call('create a webhook', 'POST', '/api/v1/destinations', {
      body: { plugin: 'webhook', name: `Hook ${run}`, settings: { sharedSecret: webhookSecret } },
    }), 201)).destination;
    expect(hook.settings).to.deep.equal({ sharedSecret: '••••' });
    const form = (await expectStatus('create', call('create a form API', 'POST', '/api/v1/destinations', {
      body: { plugin: 'form-api', name: `Form ${run}`, settings: { baseUrl: echo400.url, apiToken: formToken, authTestUrl: `${echo400.url}/me` } },
    }), 201)).destination;
    const cio = (await expectStatus('create', call('create a catalog destination', 'POST', '/api/v1/destinations', {
      body: { plugin: 'catalog-customerio', name: `CIO ${run}`, settings: { siteId: cioSite, apiKey: cioKey } },
    }), 201)).destination;

    for (const d of [hook, form, cio]) await expectStatus('get', call('read a destination', 'GET', `/api/v1/destinations/${d.id}`), 200);
    await expectStatus('list', call('list destinations', 'GET', '/api/v1/destinations'), 200);
    await expectStatus('keep', call('update sending the marker back', 'PUT', `/api/v1/destinations/${hook.id}`, {
      body: { plugin: 'webhook', name: `Hook ${run}`, settings: { sharedSecret: '••••' } },
    }), 200);
    await expectStatus('replace', call('update with a new secret', 'PUT', `/api/v1/destinations/${hook.id}`, {
      body: { plugin: 'webhook', name: `Hook ${run}`, settings: { sharedSecret: newWebhookSecret } },
    }), 200);
    await expectStatus('invalid', call('invalid settings next to a secret', 'PUT', `/api/v1/destinations/${form.id}`, {
      body: { plugin: 'form-api', name: `Form ${run}`, settings: { baseUrl: 'not a url', apiToken: formToken, extra: formToken } },
    }), 400);
    await expectStatus('invalid', call('a secret of the wrong type', 'POST', '/api/v1/destinations', {
      body: { plugin: 'catalog-customerio', name: `CIO 2 ${run}`, settings: { siteId: cioSite, apiKey: cioKey, accountRegion: cioKey } },
    }), 400);
    await call('a body that does not parse, secret inside', 'PUT', `/api/v1/destinations/${hook.id}`, {
      raw: `{"plugin":"webhook","name":"x","settings":{"sharedSecret":"${newWebhookSecret}"},}`,
    });

    nock('https://track.customer.io').get('/auth').reply(401, { meta: { error: 'unauthorized' } });
    await expectStatus('check', call('a failing catalog credentials check', 'POST', `/api/v1/destinations/${cio.id}/test-authentication`), 200);
    await expectStatus('check', call('a failing form API credentials check (echoing)', 'POST', `/api/v1/destinations/${form.id}/test-authentication`), 200);

    // Journeys that send to each; the destinations fail, echoing what they received.
    const journeys: Record<string, string> = {};
    const targets = {
      hook: { target: { type: 'destination', destinationId: hook.id, action: 'send' }, mapping: { url: `${echo500.url}/hook`, data: { '@path': '$.properties' } } },
      form: { target: { type: 'destination', destinationId: form.id, action: 'submit' }, mapping: { path: '/submit' } },
      cio: { target: { type: 'destination', destinationId: cio.id, action: 'trackEvent' }, mapping: {} },
    };
    for (const [key, send] of Object.entries(targets)) {
      const created = await expectStatus('journey', call('create a journey', 'POST', '/api/v1/journeys', { body: sendOnEntryJourney(`${key} ${run}`, ENTRY, send) }), 201);
      journeys[key] = created.journey.id;
      await expectStatus('publish', call('publish', 'POST', `/api/v1/journeys/${created.journey.id}/publish`, { body: {} }), 200);
    }
    nock('https://track.customer.io').post(/.*/).times(10).reply(401, { meta: { error: 'unauthorized' } });
    await expectStatus('identify', call('give the user an email', 'POST', '/v1/identify', {
      token: null, authorization: basic(engine.credentials.writeKey!), body: { userId: `u-${run}`, traits: { email: `u-${run}@example.com` } },
    }), 200);
    await engine.settle();
    await expectStatus('enter', call('enter the journeys', 'POST', '/v1/track', {
      token: null, authorization: basic(engine.credentials.writeKey!),
      body: { userId: `u-${run}`, event: ENTRY, properties: { email: `u-${run}@example.com` }, context: { traits: { email: `u-${run}@example.com` } } },
    }), 200);
    await engine.settle();
    expect(echo500.received + echo400.received, 'the echoing destinations were called').to.be.at.least(3);

    for (const [key, journeyId] of Object.entries(journeys)) {
      const { deliveries } = await expectStatus('deliveries', call(`${key} deliveries`, 'GET', `/api/v1/journeys/${journeyId}/deliveries`), 200);
      expect(deliveries, key).to.have.length(1);
      const d = deliveries[0];
      expect(['retrying', 'failed'], `${key}: ${JSON.stringify(d)}`).to.include(d.status);
      await expectStatus('delivery', call('one delivery', 'GET', `/api/v1/deliveries/${d.id}`), 200);
      await expectStatus('instance', call('instance deliveries', 'GET', `/api/v1/instances/${d.instanceId}/deliveries`), 200);
      await expectStatus('timeline', call('timeline', 'GET', `/api/v1/instances/${d.instanceId}/timeline`), 200);
      await expectStatus('instance', call('instance', 'GET', `/api/v1/journeys/${journeyId}/instances/${d.instanceId}`), 200);
      await expectStatus('redrive', call('redrive', 'POST', `/api/v1/deliveries/${d.id}/redrive`), 200);
      await expectStatus('test-send', call('test-send', 'POST', `/api/v1/journeys/${journeyId}/steps/nudge/test`, {
        body: { event: { userId: `u-${run}`, properties: { email: `u-${run}@example.com` } }, userId: `u-${run}` },
      }), 200);
    }
    await engine.settle();
    await expectStatus('list', call('all deliveries', 'GET', '/api/v1/deliveries?limit=1000'), 200);
    await expectStatus('activity', call('journey activity', 'GET', `/api/v1/journeys/${journeys['hook']}/activity`), 200);
  });

  it('function settings: a secret setting is redacted in every answer, test runs and failed deliveries included', async () => {
    const fnSecret = `fnsec-${run}-0123456789`;
    const newFnSecret = `fnsec-${run}-9876543210`;
    secrets.add(fnSecret).add(newFnSecret);
    const schema = [{ name: 'url', type: 'string', required: true }, { name: 'apiKey', type: 'string', required: true, secret: true }];
    const fn = (await expectStatus('create', call('create a function', 'POST', '/api/v1/functions', {
      body: { name: `Fn ${run}`, code: FUNCTION_CODE, settingsSchema: schema, settings: { url: `${echo500.url}/fn`, apiKey: fnSecret } },
    }), 201)).function;
    expect(fn.settings.apiKey).to.equal('••••');
    await expectStatus('get', call('read the function', 'GET', `/api/v1/functions/${fn.id}`), 200);
    await expectStatus('list', call('list functions', 'GET', '/api/v1/functions'), 200);
    await expectStatus('update', call('update keeping the secret', 'PUT', `/api/v1/functions/${fn.id}`, {
      body: { name: `Fn ${run}`, code: FUNCTION_CODE, settingsSchema: schema, settings: { url: `${echo500.url}/fn`, apiKey: '••••' } },
    }), 200);
    await expectStatus('update', call('update with a new secret', 'PUT', `/api/v1/functions/${fn.id}`, {
      body: { name: `Fn ${run}`, code: FUNCTION_CODE, settingsSchema: schema, settings: { url: `${echo500.url}/fn`, apiKey: newFnSecret } },
    }), 200);
    await expectStatus('invalid', call('invalid settings next to a secret', 'PUT', `/api/v1/functions/${fn.id}`, {
      body: { name: `Fn ${run}`, code: FUNCTION_CODE, settingsSchema: schema, settings: { url: 42, apiKey: newFnSecret, extra: newFnSecret } },
    }), 400);
    await expectStatus('versions', call('versions', 'GET', `/api/v1/functions/${fn.id}/versions`), 200);
    await expectStatus('deploy', call('deploy', 'POST', `/api/v1/functions/${fn.id}/deploy`, { body: {} }), 200);
    await expectStatus('test', call('test run against the echoing server', 'POST', `/api/v1/functions/${fn.id}/test`, {
      body: { event: { type: 'track', event: ENTRY, userId: 'u-fn' } },
    }), 200);

    const journey = await expectStatus('journey', call('create a journey', 'POST', '/api/v1/journeys', {
      body: sendOnEntryJourney(`fn ${run}`, ENTRY, { target: { type: 'function', functionId: fn.id } }),
    }), 201);
    await expectStatus('publish', call('publish', 'POST', `/api/v1/journeys/${journey.journey.id}/publish`, { body: {} }), 200);
    await expectStatus('enter', call('enter', 'POST', '/v1/track', {
      token: null, authorization: basic(engine.credentials.writeKey!), body: { userId: `fn-${run}`, event: ENTRY },
    }), 200);
    await engine.settle();
    const { deliveries } = await expectStatus('deliveries', call('function deliveries', 'GET', `/api/v1/journeys/${journey.journey.id}/deliveries`), 200);
    expect(deliveries.map((d: { status: string }) => d.status)).to.deep.equal(['retrying']);
    await expectStatus('test-send', call('test-send to the function', 'POST', `/api/v1/journeys/${journey.journey.id}/steps/nudge/test`, {
      body: { event: { userId: `fn-${run}` }, userId: `fn-${run}` },
    }), 200);
  });

  it('none of them is in any answer but the one that issued it, nor in any log line', () => {
    // A write key also travels base64-encoded as HTTP Basic credentials.
    const forms = [...secrets].flatMap((s) => [s, Buffer.from(`${s}:`).toString('base64')]);
    const leaks: string[] = [];
    for (const a of answers) {
      for (const secret of forms) if (a.text.includes(secret) && !a.mayShow.includes(secret)) leaks.push(`${a.what}: ${a.text.slice(0, 300)}`);
    }
    expect(leaks, 'answers carrying a secret').to.deep.equal([]);
    expect(lines.length, 'the engine logged at debug level').to.be.greaterThan(50);
    const leakedLines = lines.filter((line) => forms.some((secret) => line.includes(secret)));
    expect(leakedLines, 'log lines carrying a secret').to.deep.equal([]);
  });
});
