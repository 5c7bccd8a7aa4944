/**
 * POST /api/v1/functions/{id}/test: runs a version of a function on a sample event (or `events`
 * for onBatch) in the engine's sandbox and answers the result or the error by name, the captured
 * console output, the outbound requests made, and timing. The sandbox contains hostile code: a
 * loop that never ends fails its own call, and the engine keeps answering.
 */
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import { SECRET, createFunction, expectError, ok, startFunctionsEngine, startSink, testRun, trackEvent, type Sink } from './helpers.ts';

const HANDLERS = `
async function onTrack(event, settings) {
  return { handler: 'track', event: event.event, total: event.properties.total, greeting: settings.greeting };
}
async function onIdentify(event, settings) {
  return { handler: 'identify', email: event.traits.email };
}
async function onBatch(events, settings) {
  return events.map((e) => ({ type: e.type, id: e.messageId }));
}
`;

const THROWS = `
async function onTrack(event) {
  switch (event.properties.kind) {
    case 'validation': throw new ValidationError('email is missing');
    case 'payload': throw new InvalidEventPayload('total must be a number');
    case 'retry': throw new RetryError('upstream busy');
    case 'plain': throw new Error('boom');
  }
  return 'fine';
}
`;

const LOGS = `
async function onTrack(event, settings) {
  console.log('received', event.event, { total: event.properties.total });
  console.warn('careful');
  console.error('bad thing', 42);
  return null;
}
`;

const FETCHES = `
async function onTrack(event, settings) {
  const res = await fetch(settings.url + '/collect?u=' + encodeURIComponent(event.userId), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event: event.event }),
  });
  const body = await res.json();
  return { status: res.status, body };
}
`;

const LEAKS = `
async function onTrack(event, settings) {
  if (event.event === 'Fail') throw new ValidationError('key ' + settings.apiKey + ' refused');
  console.log('using ' + settings.apiKey);
  await fetch(settings.url + '/collect?key=' + settings.apiKey, { headers: { 'x-api-key': settings.apiKey } });
  return { key: settings.apiKey, nested: ['Bearer ' + settings.apiKey], [settings.apiKey]: true, length: settings.apiKey.length };
}
`;

describe('destination functions: POST /api/v1/functions/{id}/test', function () {
  this.timeout(20_000);
  let t: TestEngine;
  let sink: Sink;
  before(async () => {
    t = await startFunctionsEngine({ allowPrivateNetwork: true });
    sink = await startSink((r) => ({ status: r.path === '/missing' ? 404 : 201, body: { received: r.json } }));
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  it('a track event runs onTrack: ok, its value, the handler, the version and timing', async () => {
    const fn = await createFunction(t, {
      name: 'Handlers', code: HANDLERS, settingsSchema: [{ name: 'greeting', type: 'string' }], settings: { greeting: 'hello' },
    });
    const result = await testRun(t, fn.id, { event: trackEvent('Order Completed') });
    expect(result).to.include({ ok: true, handler: 'onTrack', version: 1 });
    expect(result.value).to.deep.equal({ handler: 'track', event: 'Order Completed', total: 42, greeting: 'hello' });
    expect(result.logs).to.deep.equal([]);
    expect(result.requests).to.deep.equal([]);
    expect(result.timing.totalMs).to.be.a('number').and.at.least(0);
    expect(result.timing.coldStart).to.be.a('boolean');
    // The second call finds the function warm.
    expect((await testRun(t, fn.id, { event: trackEvent() })).timing.coldStart).to.equal(false);
  });

  it('an event without a type runs onTrack; an identify runs onIdentify; `events` runs onBatch', async () => {
    const fn = await createFunction(t, { name: 'Dispatch', code: HANDLERS, settingsSchema: [{ name: 'greeting', type: 'string' }] });
    const { type: _type, ...untyped } = trackEvent('Untyped');
    expect(await testRun(t, fn.id, { event: untyped })).to.include({ ok: true, handler: 'onTrack' });

    const identify = await testRun(t, fn.id, { event: { type: 'identify', userId: 'u-1', traits: { email: 'ada@example.com' } } });
    expect(identify).to.include({ ok: true, handler: 'onIdentify' });
    expect(identify.value).to.deep.equal({ handler: 'identify', email: 'ada@example.com' });

    const batch = await testRun(t, fn.id, { events: [trackEvent('A', { messageId: 'm-a' }), { type: 'identify', userId: 'u', messageId: 'm-b', traits: {} }] });
    expect(batch).to.include({ ok: true, handler: 'onBatch' });
    expect(batch.value).to.deep.equal([{ type: 'track', id: 'm-a' }, { type: 'identify', id: 'm-b' }]);
  });

  it('a missing handler is EventNotSupported', async () => {
    const fn = await createFunction(t, { name: 'Track only', code: 'async function onTrack() { return 1; }' });
    for (const type of ['page', 'identify', 'group']) {
      const result = await testRun(t, fn.id, { event: { type, userId: 'u-1' } });
      expect(result.ok, type).to.equal(false);
      expect(result.error.name, type).to.equal('EventNotSupported');
    }
    const batch = await testRun(t, fn.id, { events: [trackEvent()] });
    expect(batch).to.include({ ok: false, handler: 'onBatch' });
    expect(batch.error.name).to.equal('EventNotSupported');
  });

  it("each of Segment's error types comes back by name, with its message", async () => {
    const fn = await createFunction(t, { name: 'Throws', code: THROWS });
    const cases: Array<[string, string, string]> = [
      ['validation', 'ValidationError', 'email is missing'],
      ['payload', 'InvalidEventPayload', 'total must be a number'],
      ['retry', 'RetryError', 'upstream busy'],
      ['plain', 'Error', 'boom'],
    ];
    for (const [kind, name, message] of cases) {
      const result = await testRun(t, fn.id, { event: trackEvent('X', { properties: { kind } }) });
      expect(result.ok, kind).to.equal(false);
      expect(result.error, kind).to.deep.include({ name, message });
    }
    expect(await testRun(t, fn.id, { event: trackEvent('X', { properties: {} }) })).to.include({ ok: true, value: 'fine' });
  });

  it('captures console output, in order, with its level', async () => {
    const fn = await createFunction(t, { name: 'Logs', code: LOGS });
    const result = await testRun(t, fn.id, { event: trackEvent() });
    expect(result.ok).to.equal(true);
    expect(result.logs.map((l: any) => l.level)).to.deep.equal(['log', 'warn', 'error']);
    expect(result.logs[0].message).to.include('received Checkout Started').and.to.include('42');
    expect(result.logs[1].message).to.equal('careful');
    expect(result.logs[2].message).to.equal('bad thing 42');
    for (const line of result.logs) expect(line.at).to.be.a('string');
  });

  it("lists the function's outbound requests with their status (a local server, private network allowed)", async () => {
    const fn = await createFunction(t, { name: 'Fetches', code: FETCHES, settingsSchema: [{ name: 'url', type: 'string', required: true }], settings: { url: sink.url } });
    const before = sink.requests.length;
    const result = await testRun(t, fn.id, { event: trackEvent('Signed Up', { userId: 'ada lovelace' }) });
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    expect(result.value).to.deep.equal({ status: 201, body: { received: { event: 'Signed Up' } } });
    expect(result.requests).to.have.length(1);
    expect(result.requests[0]).to.include({ method: 'POST', url: `${sink.url}/collect?u=ada%20lovelace`, status: 201 });
    expect(result.requests[0].durationMs).to.be.a('number');
    expect(sink.requests.length - before).to.equal(1);
    expect(sink.requests.at(-1)!.headers['content-type']).to.equal('application/json');

    // settings given in the test body override the stored ones for this run only
    const overridden = await testRun(t, fn.id, { event: trackEvent(), settings: { url: `${sink.url}/elsewhere` } });
    expect(overridden.requests[0].url).to.match(/\/elsewhere\/collect\?u=u-1$/);
    expect(sink.requests.at(-1)!.path).to.equal('/elsewhere/collect');
    expect((await ok(t.api('GET', `/api/v1/functions/${fn.id}`))).function.settings).to.deep.equal({ url: sink.url });
  });

  it('never shows a secret setting the code returns, logs, sends in a URL or throws; the code itself gets the real value', async () => {
    const apiKey = 'sk_live_test_run_0123456789';
    const fn = await createFunction(t, {
      name: 'Leaky', code: LEAKS,
      settingsSchema: [{ name: 'url', type: 'string', required: true }, { name: 'apiKey', type: 'string', required: true, secret: true }],
      settings: { url: sink.url, apiKey },
    });
    const before = sink.requests.length;
    const result = await testRun(t, fn.id, { event: trackEvent() });
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    expect(JSON.stringify(result)).to.not.include(apiKey);
    expect(result.value).to.deep.equal({ key: SECRET, nested: [`Bearer ${SECRET}`], [SECRET]: true, length: apiKey.length });
    expect(result.logs[0].message).to.equal(`using ${SECRET}`);
    expect(result.requests[0].url).to.equal(`${sink.url}/collect?key=${SECRET}`);
    // The sandbox got the real secret: the request reached the sink with it.
    expect(sink.requests.length - before).to.equal(1);
    expect(sink.requests.at(-1)!.headers['x-api-key']).to.equal(apiKey);

    const failed = await testRun(t, fn.id, { event: trackEvent('Fail') });
    expect(failed.ok).to.equal(false);
    expect(failed.error).to.deep.equal({ name: 'ValidationError', message: `key ${SECRET} refused` });
  });

  it('masks secrets that are lists or maps item by item, and a secret the code put in a URL percent-encoded', async () => {
    const apiKey = 'k3y/with+slash=';
    const fn = await createFunction(t, {
      name: 'Leaky shapes',
      code: `async function onTrack(event, s) {
        console.log('tokens ' + s.tokens[0] + ' ' + s.hdrs.auth);
        await fetch(s.url + '/collect?' + new URLSearchParams({ key: s.apiKey }));
        throw new ValidationError('bad token ' + s.tokens[1]);
      }`,
      settingsSchema: [
        { name: 'url', type: 'string', required: true },
        { name: 'apiKey', type: 'string', secret: true },
        { name: 'tokens', type: 'array', secret: true },
        { name: 'hdrs', type: 'map', secret: true },
      ],
      settings: { url: sink.url, apiKey, tokens: ['tokAAAA1111', 'tokBBBB2222'], hdrs: { auth: 'Bearer hdrCCCC3333' } },
    });
    const result = await testRun(t, fn.id, { event: trackEvent() });
    const text = JSON.stringify(result);
    for (const secret of ['tokAAAA1111', 'tokBBBB2222', 'hdrCCCC3333', apiKey, encodeURIComponent(apiKey)]) expect(text).to.not.include(secret);
    expect(result.logs[0].message).to.equal(`tokens ${SECRET} ${SECRET}`);
    expect(result.requests[0].url).to.equal(`${sink.url}/collect?key=${SECRET}`);
    expect(result.error).to.deep.equal({ name: 'ValidationError', message: `bad token ${SECRET}` });
  });

  it('masks a secret in JSON text (quotes, backslashes escaped) and in every URL encoding (found by an audit)', async () => {
    const apiKey = 'pa"ss\\word! (it\'s) ~key';
    const fn = await createFunction(t, {
      name: 'Leaky encodings',
      code: `async function onTrack(event, s) {
        console.log(JSON.stringify(s));
        const u = new URL(s.url + '/echo'); u.searchParams.set('key', s.apiKey);
        await fetch(u);
        await fetch(s.url + '/echo/' + encodeURI(s.apiKey));
        console.log(escape(s.apiKey));
        return JSON.stringify({ key: s.apiKey });
      }`,
      settingsSchema: [{ name: 'url', type: 'string', required: true }, { name: 'apiKey', type: 'string', secret: true }],
      settings: { url: sink.url, apiKey },
    });
    const result = await testRun(t, fn.id, { event: trackEvent() });
    const text = JSON.stringify(result);
    const forms = [apiKey, JSON.stringify(apiKey).slice(1, -1), new URLSearchParams([['k', apiKey]]).toString().slice(2), encodeURI(apiKey), escape(apiKey)];
    for (const form of forms) expect(text, form).to.not.include(form);
    expect(result.value).to.equal(`{"key":"${SECRET}"}`);
    expect(result.requests[0].url).to.equal(`${sink.url}/echo?key=${SECRET}`);
  });

  it('runs handlers declared with const or let, not only function declarations (found by an audit)', async () => {
    const fn = await createFunction(t, {
      name: 'Lexical handlers',
      code: `const onTrack = async (event) => 'track ' + event.event;
        let onIdentify = async function (event) { return 'identify ' + event.userId; };`,
    });
    expect((await testRun(t, fn.id, { event: trackEvent() })).value).to.equal('track Checkout Started');
    expect((await testRun(t, fn.id, { event: { type: 'identify', userId: 'u-9' } })).value).to.equal('identify u-9');
    const page = await testRun(t, fn.id, { event: { type: 'page', userId: 'u-9' } });
    expect(page.error.name, 'a handler the code does not declare').to.equal('EventNotSupported');
  });

  it('refuses test bodies without an event, with both, with an unknown version, or with unknown properties', async () => {
    const fn = await createFunction(t, { name: 'Bodies', code: HANDLERS });
    expect((await expectError(t.api('POST', `/api/v1/functions/${fn.id}/test`, {}), 400, 'invalid_request')).path).to.equal('/event');
    expect((await expectError(t.api('POST', `/api/v1/functions/${fn.id}/test`, { event: trackEvent(), events: [trackEvent()] }), 400, 'invalid_request')).path).to.equal('/event');
    expect((await expectError(t.api('POST', `/api/v1/functions/${fn.id}/test`, { events: [] }), 400, 'invalid_request')).path).to.equal('/events');
    expect((await expectError(t.api('POST', `/api/v1/functions/${fn.id}/test`, { event: trackEvent(), version: 3 }), 404, 'not_found')).message).to.contain('version 3');
    expect((await expectError(t.api('POST', `/api/v1/functions/${fn.id}/test`, { event: trackEvent(), user: 'x' }), 400, 'invalid_request')).path).to.equal('/user');
    await expectError(t.api('POST', '/api/v1/functions/fn_nope/test', { event: trackEvent() }), 404, 'not_found');
  });
});

describe('destination functions: test runs without private network access (production default)', function () {
  this.timeout(20_000);
  let t: TestEngine;
  let sink: Sink;
  before(async () => {
    t = await startFunctionsEngine();
    sink = await startSink();
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  it('a fetch to 127.0.0.1, localhost or the metadata address is refused before connecting', async () => {
    const code = `async function onTrack(event, settings) { const res = await fetch(settings.url, { method: 'POST', body: '{}' }); return res.status; }`;
    const fn = await createFunction(t, { name: 'SSRF', code, settingsSchema: [{ name: 'url', type: 'string' }] });
    const port = new URL(sink.url).port;
    for (const url of [`${sink.url}/hook`, `http://localhost:${port}/hook`, 'http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/x']) {
      const result = await testRun(t, fn.id, { event: trackEvent(), settings: { url } });
      expect(result.ok, url).to.equal(false);
      expect(result.error.name, url).to.equal('FetchRefusedError');
      expect(result.requests, url).to.have.length(1);
      expect(result.requests[0], url).to.include({ method: 'POST', url, status: null });
      expect(result.requests[0].error, url).to.match(/^FetchRefusedError/);
    }
    expect(sink.requests, 'nothing reached the local server').to.have.length(0);
  });
});

describe('destination functions: a test run that never ends', function () {
  this.timeout(20_000);
  let t: TestEngine;
  before(async () => { t = await startFunctionsEngine({ functions: { cpuTimeoutMs: 200, wallTimeoutMs: 500 } }); });
  after(async () => { await t?.close(); });

  it('an infinite loop fails with TimeoutError; the engine and other functions keep working', async () => {
    const loop = await createFunction(t, { name: 'Loop', code: 'async function onTrack() { for (;;) {} }' });
    const healthy = await createFunction(t, { name: 'Healthy', code: 'async function onTrack(e) { return e.event; }' });
    expect(await testRun(t, healthy.id, { event: trackEvent('Warm') })).to.include({ ok: true, value: 'Warm' });
    const started = Date.now();
    const answered: Record<string, number> = {};
    const mark = <T>(what: string) => (value: T): T => { answered[what] = Date.now(); return value; };
    const [looped, health, other] = await Promise.all([
      testRun(t, loop.id, { event: trackEvent() }).then(mark('loop')),
      // Asked while the loop runs: the API is not blocked by it.
      new Promise((resolve) => setTimeout(resolve, 50)).then(() => t.api('GET', '/health')).then(mark('health')),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() => testRun(t, healthy.id, { event: trackEvent('Still Here') })).then(mark('other')),
    ]);
    expect(answered['health']!, 'health answered before the loop was stopped').to.be.below(answered['loop']!);
    expect(answered['other']!, 'another function answered before the loop was stopped').to.be.below(answered['loop']!);
    expect(looped.ok).to.equal(false);
    expect(looped.error.name).to.equal('TimeoutError');
    expect(Date.now() - started).to.be.below(5_000);
    expect(health.status).to.equal(200);
    expect(other).to.include({ ok: true, value: 'Still Here' });

    // And afterwards: the looping function fails the same way again, the others still run.
    expect((await testRun(t, loop.id, { event: trackEvent() })).error.name).to.equal('TimeoutError');
    expect((await t.api('GET', '/health')).status).to.equal(200);
    expect(await testRun(t, healthy.id, { event: trackEvent('After') })).to.include({ ok: true, value: 'After' });
  });

  it('a promise that never settles fails with TimeoutError at the wall-clock limit', async () => {
    const hang = await createFunction(t, { name: 'Hang', code: 'async function onTrack() { await new Promise(() => {}); }' });
    const started = Date.now();
    const result = await testRun(t, hang.id, { event: trackEvent() });
    expect(result.ok).to.equal(false);
    expect(result.error.name).to.equal('TimeoutError');
    expect(Date.now() - started).to.be.below(5_000);
    expect((await t.api('GET', '/health')).status).to.equal(200);
  });
});
