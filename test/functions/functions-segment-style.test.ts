/**
 * Functions written the way Segment's public examples and its default destination-function
 * template are written run unchanged: top-level async handlers, fetch with a JSON body and basic
 * auth through btoa, RetryError on connection errors, 5xx and 429, EventNotSupported for the
 * handlers a destination does not take, lodash, crypto hashing, URLSearchParams, and onBatch.
 * They are saved through the API and run through POST /api/v1/functions/{id}/test against a
 * real local server standing in for the partner API.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import { createFunction, startFunctionsEngine, startSink, testRun, trackEvent, type Sink } from './helpers.ts';

// Segment's default destination-function template, with the endpoint taken from a setting.
const SEGMENT_TEMPLATE = `
/**
 * Handle track event
 * @param  {SegmentTrackEvent} event
 * @param  {FunctionSettings} settings
 */
async function onTrack(event, settings) {
  // Learn more at https://segment.com/docs/connections/spec/track/
  const endpoint = settings.endpoint + '/api/track';
  let response;

  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        Authorization: \`Basic \${btoa(settings.apiKey + ':')}\`,
        'Content-Type': 'application/json'
      },
      body: JSON.stringify(event)
    });
  } catch (error) {
    // Retry on connection error
    throw new RetryError(error.message);
  }

  if (response.status >= 500 || response.status === 429) {
    // Retry on 5xx (server errors) and 429s (rate limits)
    throw new RetryError(\`Failed with \${response.status}\`);
  }
}

/**
 * Handle identify event
 * @param  {SegmentIdentifyEvent} event
 * @param  {FunctionSettings} settings
 */
async function onIdentify(event, settings) {
  // Learn more at https://segment.com/docs/connections/spec/identify/
  const email = _.get(event, 'traits.email');
  if (!email) throw new InvalidEventPayload('traits.email is required');
  const form = new URLSearchParams();
  form.set('email_sha256', crypto.createHash('sha256').update(email.trim().toLowerCase()).digest('hex'));
  form.set('plan', _.get(event, 'traits.plan', 'free'));
  const response = await fetch(settings.endpoint + '/api/identify', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString()
  });
  if (!response.ok) throw new ValidationError(\`identify rejected: \${response.status}\`);
  return response.json();
}

async function onGroup(event, settings) {
  throw new EventNotSupported('group is not supported');
}

async function onDelete(event, settings) {
  // Segment will send this event when a user deletion request is received
  throw new EventNotSupported('delete is not supported');
}

/**
 * Handle a batch of events
 * @param  {SegmentEvent[]} events
 * @param  {FunctionSettings} settings
 */
async function onBatch(events, settings) {
  const tracks = events.filter((e) => e.type === 'track');
  const response = await fetch(settings.endpoint + '/api/batch', {
    method: 'POST',
    headers: {
      Authorization: 'Basic ' + btoa(settings.apiKey + ':'),
      'Content-Type': 'application/json'
    },
    body: JSON.stringify({ events: tracks.map((e) => _.pick(e, ['event', 'userId', 'messageId'])) })
  });
  if (response.status >= 500 || response.status === 429) {
    throw new RetryError(\`Failed with \${response.status}\`);
  }
  const { accepted } = await response.json();
  console.log(\`sent \${tracks.length} of \${events.length} events, \${accepted} accepted\`);
  return events.map((e) => ({ messageId: e.messageId, sent: e.type === 'track' }));
}
`;

const SCHEMA = [
  { name: 'endpoint', type: 'string', required: true, label: 'API endpoint' },
  { name: 'apiKey', type: 'string', required: true, secret: true, label: 'API key' },
];

describe('destination functions: written as in Segment’s public examples', function () {
  this.timeout(20_000);
  let t: TestEngine;
  let api: Sink;
  let fnId: string;
  const basic = `Basic ${Buffer.from('sk_partner_123:').toString('base64')}`;

  before(async () => {
    t = await startFunctionsEngine({ allowPrivateNetwork: true });
    api = await startSink();
    const fn = await createFunction(t, { name: 'Partner API', code: SEGMENT_TEMPLATE, settingsSchema: SCHEMA, settings: { endpoint: api.url, apiKey: 'sk_partner_123' } });
    fnId = fn.id;
  });
  after(async () => {
    await t?.close();
    await api?.close();
  });
  beforeEach(() => {
    api.requests.length = 0;
    api.handler = (r) => ({ status: 200, body: r.path === '/api/batch' ? { accepted: r.json.events.length } : { ok: true } });
  });

  it('onTrack posts the event as JSON with basic auth from the secret setting', async () => {
    const event = trackEvent('Order Completed', { properties: { order_id: 'o-1', total: 99.5 } });
    const result = await testRun(t, fnId, { event });
    expect(result, JSON.stringify(result)).to.include({ ok: true, handler: 'onTrack' });
    // The template returns nothing: the answer carries no value (JSON has no undefined).
    expect(result.value ?? null).to.equal(null);
    expect(api.requests).to.have.length(1);
    const [r] = api.requests;
    expect(r!).to.include({ method: 'POST', path: '/api/track' });
    expect(r!.headers['authorization']).to.equal(basic);
    expect(r!.headers['content-type']).to.equal('application/json');
    expect(r!.json).to.deep.equal(event);
    expect(result.requests).to.deep.equal([{ ...result.requests[0], method: 'POST', url: `${api.url}/api/track`, status: 200 }]);
  });

  it('onTrack throws RetryError on 5xx and 429, and on a connection error; a 4xx passes as the template does', async () => {
    for (const status of [500, 503, 429]) {
      api.handler = () => ({ status });
      const result = await testRun(t, fnId, { event: trackEvent() });
      expect(result.ok, String(status)).to.equal(false);
      expect(result.error).to.deep.include({ name: 'RetryError', message: `Failed with ${status}` });
      expect(result.requests[0].status).to.equal(status);
    }
    api.handler = () => ({ status: 400 });
    expect(await testRun(t, fnId, { event: trackEvent() })).to.include({ ok: true });

    // A closed port: fetch rejects, the template turns it into a RetryError.
    const closed = await startSink();
    const deadUrl = closed.url;
    await closed.close();
    const refused = await testRun(t, fnId, { event: trackEvent(), settings: { endpoint: deadUrl } });
    expect(refused.ok).to.equal(false);
    expect(refused.error.name).to.equal('RetryError');
    expect(refused.error.message).to.match(/ECONNREFUSED|failed/);
    expect(refused.requests[0]).to.include({ status: null });
  });

  it('onIdentify posts a form with a hashed email using lodash, crypto and URLSearchParams', async () => {
    const result = await testRun(t, fnId, { event: { type: 'identify', userId: 'u-1', traits: { email: ' Ada@Example.com ', plan: 'pro' } } });
    expect(result, JSON.stringify(result)).to.include({ ok: true, handler: 'onIdentify' });
    expect(result.value).to.deep.equal({ ok: true });
    const [r] = api.requests;
    expect(r!.headers['content-type']).to.equal('application/x-www-form-urlencoded');
    const form = new URLSearchParams(r!.body);
    expect(form.get('email_sha256')).to.equal(createHash('sha256').update('ada@example.com').digest('hex'));
    expect(form.get('plan')).to.equal('pro');

    const missing = await testRun(t, fnId, { event: { type: 'identify', userId: 'u-1', traits: {} } });
    expect(missing.error).to.deep.include({ name: 'InvalidEventPayload', message: 'traits.email is required' });
    api.handler = () => ({ status: 422 });
    const rejected = await testRun(t, fnId, { event: { type: 'identify', userId: 'u-1', traits: { email: 'a@b.c' } } });
    expect(rejected.error).to.deep.include({ name: 'ValidationError', message: 'identify rejected: 422' });
  });

  it('handlers the template declines throw EventNotSupported; handlers it lacks are EventNotSupported too', async () => {
    expect((await testRun(t, fnId, { event: { type: 'group', userId: 'u-1', groupId: 'g-1' } })).error)
      .to.deep.include({ name: 'EventNotSupported', message: 'group is not supported' });
    expect((await testRun(t, fnId, { event: { type: 'delete', userId: 'u-1' } })).error).to.deep.include({ name: 'EventNotSupported' });
    const page = await testRun(t, fnId, { event: { type: 'page', userId: 'u-1', name: 'Home' } });
    expect(page).to.include({ ok: false, handler: 'onPage' });
    expect(page.error.name).to.equal('EventNotSupported');
    expect(api.requests).to.have.length(0);
  });

  it('onBatch sends the track events in one request and answers one result per event', async () => {
    const events = [
      trackEvent('A', { messageId: 'm-1' }),
      { type: 'identify', userId: 'u-1', messageId: 'm-2', traits: { email: 'a@b.c' } },
      trackEvent('B', { messageId: 'm-3', userId: 'u-2' }),
    ];
    const result = await testRun(t, fnId, { events });
    expect(result, JSON.stringify(result)).to.include({ ok: true, handler: 'onBatch' });
    expect(result.value).to.deep.equal([
      { messageId: 'm-1', sent: true }, { messageId: 'm-2', sent: false }, { messageId: 'm-3', sent: true },
    ]);
    expect(api.requests).to.have.length(1);
    expect(api.requests[0]!.headers['authorization']).to.equal(basic);
    expect(api.requests[0]!.json).to.deep.equal({
      events: [{ event: 'A', userId: 'u-1', messageId: 'm-1' }, { event: 'B', userId: 'u-2', messageId: 'm-3' }],
    });
    expect(result.logs.map((l: any) => l.message)).to.deep.equal(['sent 2 of 3 events, 2 accepted']);

    api.handler = () => ({ status: 502 });
    const retry = await testRun(t, fnId, { events });
    expect(retry.error).to.deep.include({ name: 'RetryError', message: 'Failed with 502' });
  });

  it('the README example (basic auth, journey context, RetryError/ValidationError by status) runs unchanged', async () => {
    const readme = `
async function onTrack(event, settings) {
  const res = await fetch(settings.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: \`Basic \${btoa(settings.apiKey + ':')}\` },
    body: JSON.stringify({ email: event.context.traits.email, cart: event.properties.journey_context.checkout_started }),
  });
  if (res.status >= 500 || res.status === 429) throw new RetryError(\`upstream answered \${res.status}\`);
  if (!res.ok) throw new ValidationError(\`upstream refused: \${res.status}\`);
  return res.json();
}`;
    const fn = await createFunction(t, {
      name: 'README example', code: readme, settingsSchema: [{ name: 'url', type: 'string' }, { name: 'apiKey', type: 'string', secret: true }],
      settings: { url: `${api.url}/hook`, apiKey: 'sk_partner_123' },
    });
    const event = trackEvent('Cart Nudge', { properties: { journey_context: { checkout_started: { event: 'Checkout Started', properties: { total: 3 } } } } });
    const result = await testRun(t, fn.id, { event });
    expect(result, JSON.stringify(result)).to.include({ ok: true });
    expect(result.value).to.deep.equal({ ok: true });
    expect(api.requests[0]!.headers['authorization']).to.equal(basic);
    expect(api.requests[0]!.json).to.deep.equal({ email: 'ada@example.com', cart: { event: 'Checkout Started', properties: { total: 3 } } });
    api.handler = () => ({ status: 404 });
    expect((await testRun(t, fn.id, { event })).error).to.deep.include({ name: 'ValidationError', message: 'upstream refused: 404' });
    api.handler = () => ({ status: 429 });
    expect((await testRun(t, fn.id, { event })).error).to.deep.include({ name: 'RetryError', message: 'upstream answered 429' });
  });
});
