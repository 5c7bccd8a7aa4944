/**
 * A destination function as the target of a journey's send step: publishing checks that the
 * function exists and is deployed; a send runs the deployed version's handler on the send's event
 * (or on what the step's mapping makes of it) through the delivery pipeline, so the function's
 * errors decide the delivery's outcome as Segment's do (RetryError and timeouts retry with
 * backoff on engine time, ValidationError & co. fail at once), with one idempotency key on every
 * attempt. The function posts to a real local server (private network allowed for the test).
 */
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import {
  advancePast, createFunction, createJourney, deployedFunction, expectError, functionTarget, journeyDeliveries, ok, seedCatalog,
  sendOnEntry, startFunctionsEngine, startSink, type Sink, type SinkRequest,
} from './helpers.ts';

const ENTRY = 'Checkout Started';

// Posts what it receives to settings.url; the entry event's `mode` property picks a failure to test.
const CODE = (version: string) => `
async function onTrack(event, settings) {
  const entry = event.properties && event.properties.journey_context ? event.properties.journey_context['${ENTRY}'] : null;
  const mode = entry && entry.properties ? entry.properties.mode : undefined;
  if (mode === 'validation') throw new ValidationError('no email for ' + event.userId);
  if (mode === 'payload') throw new InvalidEventPayload('the cart is empty');
  if (mode === 'hang') await new Promise(() => {});
  const res = await fetch(settings.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-function-version': '${version}' },
    body: JSON.stringify({ version: '${version}', event }),
  });
  if (res.status >= 500 || res.status === 429) throw new RetryError('sink answered ' + res.status);
  if (!res.ok) throw new ValidationError('sink refused: ' + res.status);
  return { forwarded: res.status, version: '${version}' };
}
`;
const SETTINGS_SCHEMA = [{ name: 'url', type: 'string', required: true }];

describe('destination functions: journey sends to a function', function () {
  this.timeout(20_000);
  let t: TestEngine;
  let sink: Sink;

  beforeEach(async () => {
    sink = await startSink();
    t = await startFunctionsEngine({ allowPrivateNetwork: true, functions: { wallTimeoutMs: 1_500 }, config: { testClock: true } });
    await seedCatalog(t, ENTRY);
  });
  afterEach(async () => {
    await t?.close();
    await sink?.close();
  });

  function forwarder(version = 'v1') {
    return { name: `Forward ${Math.random()}`, code: CODE(version), settingsSchema: SETTINGS_SCHEMA, settings: { url: `${sink.url}/fn` } };
  }

  async function publishTo(functionId: string, send: Record<string, unknown> = {}): Promise<string> {
    const id = await createJourney(t, sendOnEntry(`Nudge ${Math.random()}`, ENTRY, { target: functionTarget(functionId), ...send }));
    await ok(t.api('POST', `/api/v1/journeys/${id}/publish`, {}));
    return id;
  }

  /** A user with an email trait enters the journey; answers once the first attempt's outcome is recorded. */
  async function enter(userId: string, properties: Record<string, unknown> = { total: 42 }): Promise<void> {
    await ok(t.ingest('/v1/identify', { userId, traits: { email: `${userId}@example.com`, plan: 'pro' } }));
    await ok(t.ingest('/v1/track', { userId, event: ENTRY, messageId: `m-${userId}`, properties }));
    await t.settle();
  }

  async function deliveryOf(journeyId: string, userId: string): Promise<any> {
    const all = await journeyDeliveries(t, journeyId);
    const mine = all.filter((d: any) => d.payload.userId === userId);
    expect(mine, `one delivery for ${userId}`).to.have.length(1);
    return mine[0];
  }

  const requestsOf = (userId: string): SinkRequest[] => sink.requests.filter((r) => r.json?.event?.userId === userId);

  describe('publishing', () => {
    it('refuses an unknown function and an undeployed one, at the target path; publishes once deployed', async () => {
      const unknown = await createJourney(t, sendOnEntry('Unknown function', ENTRY, { target: functionTarget('fn_does_not_exist') }));
      const e1 = await expectError(t.api('POST', `/api/v1/journeys/${unknown}/publish`, {}), 400, 'invalid_journey');
      expect(e1.problems.map((p: any) => [p.code, p.path])).to.deep.include(['journey_unknown_function', '/steps/0/target/functionId']);

      const fn = await createFunction(t, forwarder());
      const journeyId = await createJourney(t, sendOnEntry('Undeployed function', ENTRY, { target: functionTarget(fn.id) }));
      const validate = await ok(t.api('POST', `/api/v1/journeys/${journeyId}/validate`, {}));
      expect(validate.valid).to.equal(false);
      const e2 = await expectError(t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {}), 400, 'invalid_journey');
      expect(e2.problems.map((p: any) => [p.code, p.path])).to.deep.equal([['journey_function_not_deployed', '/steps/0/target/functionId']]);
      expect((await ok(t.api('GET', `/api/v1/journeys/${journeyId}`))).journey.liveVersion).to.equal(null);

      await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, {}));
      const published = await ok(t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {}));
      expect(published.journey.liveVersion).to.equal(1);
      // A running version's target cannot be deleted from under it.
      await expectError(t.api('DELETE', `/api/v1/functions/${fn.id}`), 409, 'function_in_use');
    });

    it("refuses a function of another space as unknown", async () => {
      const space = await ok(t.api('POST', '/api/v1/spaces', { name: 'Elsewhere' }, { token: t.operatorToken }), 201);
      const theirs = await createFunction(t, forwarder(), space.adminToken.secret);
      await ok(t.api('POST', `/api/v1/functions/${theirs.id}/deploy`, {}, { token: space.adminToken.secret }));
      const journeyId = await createJourney(t, sendOnEntry('Foreign function', ENTRY, { target: functionTarget(theirs.id) }));
      const error = await expectError(t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {}), 400, 'invalid_journey');
      expect(error.problems.map((p: any) => p.code)).to.include('journey_unknown_function');
    });
  });

  describe('delivery', () => {
    it("onTrack receives the send's event (journey context, traits, idempotency key) and the delivery is delivered", async () => {
      const journeyId = await publishTo(await deployedFunction(t, forwarder()));
      await enter('u-ok', { total: 42, sku: 'SKU-1' });
      const d = await deliveryOf(journeyId, 'u-ok');
      expect(d.status, JSON.stringify(d)).to.equal('delivered');
      expect(d.attempts).to.equal(1);
      expect(d.attemptLog.map((a: any) => a.outcome)).to.deep.equal(['delivered']);
      expect(d.attemptLog[0].response).to.include('forwarded');
      expect(d.idempotencyKey).to.equal(`${d.instanceId}:nudge:0`);

      expect(requestsOf('u-ok')).to.have.length(1);
      const { event } = requestsOf('u-ok')[0]!.json;
      expect(event).to.include({ type: 'track', event: 'Cart Nudge', userId: 'u-ok', messageId: d.idempotencyKey });
      expect(event.properties.journey_context[ENTRY]).to.deep.include({ type: 'track', event: ENTRY, userId: 'u-ok', messageId: 'm-u-ok' });
      expect(event.properties.journey_context[ENTRY].properties).to.deep.equal({ total: 42, sku: 'SKU-1' });
      expect(event.context.traits).to.include({ email: 'u-ok@example.com', plan: 'pro' });
      expect(event.context.journey).to.include({ id: journeyId, step_id: 'nudge', instance_id: d.instanceId, idempotency_key: d.idempotencyKey });
      expect(event).to.deep.equal(d.payload);
    });

    it("with a mapping, the function receives what the mapping makes of the send's event", async () => {
      const journeyId = await publishTo(await deployedFunction(t, forwarder()), {
        mapping: { email: { '@path': '$.context.traits.email' }, type: 'track', key: { '@path': '$.context.journey.idempotency_key' } },
      });
      await enter('u-mapped');
      const d = await deliveryOf(journeyId, 'u-mapped');
      expect(d.status, JSON.stringify(d)).to.equal('delivered');
      const received = sink.requests.filter((r) => r.json?.event?.email === 'u-mapped@example.com');
      expect(received).to.have.length(1);
      expect(received[0]!.json.event).to.deep.equal({ email: 'u-mapped@example.com', type: 'track', key: d.idempotencyKey });
    });

    it('RetryError: retrying, then delivered on engine time with the same idempotency key', async () => {
      const journeyId = await publishTo(await deployedFunction(t, forwarder()));
      sink.handler = () => ({ status: 503, body: { error: 'busy' } });
      await enter('u-retry');
      const first = await deliveryOf(journeyId, 'u-retry');
      expect(first.status, JSON.stringify(first)).to.equal('retrying');
      expect(first.attempts).to.equal(1);
      expect(first.attemptLog[0].outcome).to.equal('retry');
      expect(first.attemptLog[0].reason).to.match(/RetryError.*sink answered 503/);
      expect(first.nextAttemptAt).to.be.greaterThan(Date.parse(first.attemptLog[0].at));

      sink.handler = () => ({ status: 200, body: { ok: true } });
      await advancePast(t, first.nextAttemptAt);
      await t.settle();
      const done = await deliveryOf(journeyId, 'u-retry');
      expect(done.status, JSON.stringify(done)).to.equal('delivered');
      expect(done.attempts).to.equal(2);
      expect(done.attemptLog.map((a: any) => a.outcome)).to.deep.equal(['retry', 'delivered']);
      const keys = requestsOf('u-retry').map((r) => r.json.event.context.journey.idempotency_key);
      expect(keys).to.deep.equal([first.idempotencyKey, first.idempotencyKey]);
      expect(done.idempotencyKey).to.equal(first.idempotencyKey);
    });

    it('ValidationError, InvalidEventPayload and a missing handler fail at once with the reason; a timeout retries', async () => {
      const journeyId = await publishTo(await deployedFunction(t, forwarder()));
      await enter('u-validation', { mode: 'validation' });
      await enter('u-payload', { mode: 'payload' });
      await enter('u-hang', { mode: 'hang' });

      const validation = await deliveryOf(journeyId, 'u-validation');
      expect(validation).to.include({ status: 'failed', attempts: 1 });
      expect(validation.reason).to.match(/ValidationError/).and.to.include('no email for u-validation');
      expect(validation.nextAttemptAt).to.equal(null);

      const payload = await deliveryOf(journeyId, 'u-payload');
      expect(payload).to.include({ status: 'failed', attempts: 1 });
      expect(payload.reason).to.match(/InvalidEventPayload/).and.to.include('the cart is empty');

      const hang = await deliveryOf(journeyId, 'u-hang');
      expect(hang.status, JSON.stringify(hang)).to.equal('retrying');
      expect(hang.attemptLog[0].reason).to.match(/TimeoutError/);
      expect(requestsOf('u-validation').length + requestsOf('u-payload').length + requestsOf('u-hang').length).to.equal(0);

      // A function without onTrack: EventNotSupported, failed at once.
      const identifyOnly = await deployedFunction(t, { name: 'Identify only', code: 'async function onIdentify(e) { return 1; }' });
      const other = await publishTo(identifyOnly);
      await enter('u-unsupported');
      const unsupported = await deliveryOf(other, 'u-unsupported');
      expect(unsupported).to.include({ status: 'failed', attempts: 1 });
      expect(unsupported.reason).to.match(/EventNotSupported/);
    });

    it('deliveries run the deployed version at send time: a new deploy changes later sends and pending retries', async () => {
      const fn = await createFunction(t, forwarder('v1'));
      await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, {}));
      const journeyId = await publishTo(fn.id);
      await enter('u-first');
      expect((await deliveryOf(journeyId, 'u-first')).status).to.equal('delivered');
      expect(requestsOf('u-first').map((r) => r.headers['x-function-version'])).to.deep.equal(['v1']);

      // v1 is retried for u-retried while v2 is saved: a saved version changes nothing until deployed.
      sink.handler = () => ({ status: 503 });
      await enter('u-retried');
      const waiting = await deliveryOf(journeyId, 'u-retried');
      expect(waiting.status).to.equal('retrying');
      sink.handler = () => ({ status: 200, body: { ok: true } });
      await ok(t.api('PUT', `/api/v1/functions/${fn.id}`, { ...forwarder('v2'), name: fn.name }));
      await enter('u-saved');
      expect(requestsOf('u-saved').map((r) => r.json.version)).to.deep.equal(['v1']);

      await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, {}));
      await enter('u-deployed');
      expect((await deliveryOf(journeyId, 'u-deployed')).status).to.equal('delivered');
      expect(requestsOf('u-deployed').map((r) => r.json.version)).to.deep.equal(['v2']);

      // The retry of a delivery created under v1 runs v2, the version deployed when it is sent.
      await advancePast(t, waiting.nextAttemptAt);
      await t.settle();
      const retried = await deliveryOf(journeyId, 'u-retried');
      expect(retried.status, JSON.stringify(retried)).to.equal('delivered');
      expect(requestsOf('u-retried').map((r) => r.json.version)).to.deep.equal(['v1', 'v2']);
      expect(retried.attemptLog.at(-1).response).to.include('v2');

      // Rolling back to version 1 applies to the next send as well.
      await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, { version: 1 }));
      await enter('u-rolled-back');
      expect(requestsOf('u-rolled-back').map((r) => r.json.version)).to.deep.equal(['v1']);
    });

    it("previewing and test-sending the step show the function's input and run the deployed version", async () => {
      const fn = await deployedFunction(t, forwarder());
      const journeyId = await publishTo(fn, { mapping: { email: { '@path': '$.context.traits.email' }, type: 'track' } });
      const body = { version: 'live', event: { userId: 'u-preview', properties: { total: 7 } } };
      const preview = await ok(t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/preview`, body));
      expect(preview.target).to.deep.equal({ type: 'function', functionId: fn });
      expect(preview.payload).to.deep.equal({ type: 'track' });
      expect(preview.event.properties.journey_context[ENTRY]).to.include({ userId: 'u-preview' });
      const before = sink.requests.length;
      const sent = await ok(t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/test`, body));
      expect(sent.result).to.include({ outcome: 'delivered', reason: null });
      expect(sink.requests.length - before).to.equal(1);
      expect(sink.requests.at(-1)!.json.event).to.deep.equal({ type: 'track' });
    });
  });
});

describe('destination functions: a journey send whose function reaches a private address (production default)', function () {
  this.timeout(20_000);
  let t: TestEngine;
  let sink: Sink;
  before(async () => {
    sink = await startSink();
    t = await startFunctionsEngine({ config: { testClock: true } });
    await seedCatalog(t, ENTRY);
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  it('the refused fetch fails the delivery at once (a refusal does not heal by retrying); nothing reaches the server', async () => {
    const code = `async function onTrack(event, settings) { const res = await fetch(settings.url, { method: 'POST', body: '{}' }); return res.status; }`;
    const fn = await deployedFunction(t, { name: 'Reaches loopback', code, settingsSchema: SETTINGS_SCHEMA, settings: { url: `${sink.url}/internal` } });
    const journeyId = await createJourney(t, sendOnEntry('To loopback', ENTRY, { target: functionTarget(fn) }));
    await ok(t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {}));
    await ok(t.ingest('/v1/track', { userId: 'u-ssrf', event: ENTRY }));
    await t.settle();
    const [d, ...more] = await journeyDeliveries(t, journeyId);
    expect(more).to.have.length(0);
    expect(d.status, JSON.stringify(d)).to.equal('failed');
    expect(d.attempts).to.equal(1);
    expect(d.reason).to.match(/FetchRefusedError/);
    expect(sink.requests).to.have.length(0);
  });
});
