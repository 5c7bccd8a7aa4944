import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

interface Received { headers: http.IncomingHttpHeaders; body: unknown }

/** A local HTTP server that records what it receives and answers `status`. */
async function startSink(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    req.on('end', () => {
      received.push({ headers: req.headers, body: text ? JSON.parse(text) : null });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('send steps: preview and test-send', () => {
  let t: TestEngine;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let journeyId: string;

  before(async () => {
    t = await startTestEngine();
    sink = await startSink();
    const destination = await t.api('POST', '/api/v1/destinations', { plugin: 'webhook', name: 'Hooks' });
    expect(destination.status).to.equal(201);
    const journey = await t.api('POST', '/api/v1/journeys', {
      name: 'Cart nudge',
      entry: { event: 'checkout_started' },
      start: 'nudge',
      steps: [
        {
          id: 'nudge', type: 'send', eventName: 'Cart Nudge', next: 'done',
          target: { type: 'destination', destinationId: destination.body.destination.id, action: 'send' },
          payload: { context: 'all', traits: ['email'] },
          mapping: {
            url: sink.url,
            data: {
              email: { '@path': '$.context.traits.email' },
              cart: { '@path': '$.properties.journey_context.checkout_started.properties.cart_id' },
              subject: { '@template': 'Your cart {{properties.journey_context.checkout_started.properties.cart_id}} is waiting' },
            },
          },
        },
        { id: 'done', type: 'exit' },
      ],
    });
    expect(journey.status, JSON.stringify(journey.body)).to.equal(201);
    journeyId = journey.body.journey.id;
    await t.ingest('/v1/identify', { userId: 'u1', traits: { email: 'u1@example.com', plan: 'pro' } });
    await t.settle();
  });

  after(async () => {
    await t.close();
    await sink.close();
  });

  it('stores the action defaults in the send step mapping when the journey is saved', async () => {
    const mapping = (await t.api('GET', `/api/v1/journeys/${journeyId}`)).body.journey.definition.steps[0].mapping;
    expect(mapping.method).to.equal('POST');
    expect(mapping.idempotency_key).to.deep.equal({ '@path': '$.messageId' });
  });

  it('previews the exact payload for a sample event and a known user, sending nothing', async () => {
    const preview = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/preview`, {
      event: { userId: 'u1', properties: { cart_id: 'c-42' } }, userId: 'u1',
    });
    expect(preview.status, JSON.stringify(preview.body)).to.equal(200);
    expect(preview.body.problems).to.deep.equal([]);
    expect(preview.body.payload.data).to.deep.equal({ email: 'u1@example.com', cart: 'c-42', subject: 'Your cart c-42 is waiting' });
    expect(preview.body.payload.url).to.equal(sink.url);
    expect(preview.body.event.context.traits, 'only the selected traits').to.deep.equal({ email: 'u1@example.com' });
    expect(sink.received).to.have.length(0);
  });

  it("without userId, the sample event's own user (or anonymous id) is the person whose traits are previewed", async () => {
    await t.ingest('/v1/identify', { anonymousId: 'anon-7', traits: { email: 'anon7@example.com' } });
    await t.settle();
    const byUser = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/preview`, { event: { userId: 'u1', properties: { cart_id: 'c-1' } } });
    expect(byUser.status, JSON.stringify(byUser.body)).to.equal(200);
    expect(byUser.body.payload.data.email).to.equal('u1@example.com');
    expect(byUser.body.event.userId).to.equal('u1');
    const byAnonymous = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/preview`, { event: { anonymousId: 'anon-7', properties: { cart_id: 'c-2' } } });
    expect(byAnonymous.status, JSON.stringify(byAnonymous.body)).to.equal(200);
    expect(byAnonymous.body.payload.data.email).to.equal('anon7@example.com');
    // A user nobody has seen yet previews with no traits, not an error.
    const unknown = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/preview`, { event: { userId: 'nobody', properties: { cart_id: 'c-3' } } });
    expect(unknown.status, JSON.stringify(unknown.body)).to.equal(200);
    expect(unknown.body.event.context.traits).to.deep.equal({});
  });

  it('reports what a sample event leaves unmapped, with the field path', async () => {
    const other = await t.api('PUT', `/api/v1/journeys/${journeyId}`, {
      ...(await t.api('GET', `/api/v1/journeys/${journeyId}`)).body.journey.definition,
      steps: [
        {
          ...(await t.api('GET', `/api/v1/journeys/${journeyId}`)).body.journey.definition.steps[0],
          mapping: { url: { '@path': '$.properties.journey_context.checkout_started.properties.hook' } },
        },
        { id: 'done', type: 'exit' },
      ],
    });
    expect(other.status).to.equal(200);
    const preview = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/preview`, { event: { userId: 'u1', properties: {} } });
    expect(preview.body.payload).to.equal(null);
    expect(preview.body.problems.map((p: { code: string; path: string }) => `${p.code} ${p.path}`)).to.include('required_value_missing /mapping/url');
  });

  it('test-sends for real and answers the destination response', async () => {
    const sent = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/test`, {
      event: { userId: 'u1', properties: { cart_id: 'c-7', hook: sink.url } },
    });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    expect(sent.body.result.outcome).to.equal('delivered');
    expect(sent.body.result.status).to.equal(200);
    expect(sink.received).to.have.length(1);
    expect(sink.received[0]!.headers['idempotency-key']).to.match(/^test_[0-9A-Z]{26}:nudge:0$/);
    // A second test is a new send: a receiver that honours the key must not drop it (found by an audit).
    const again = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/test`, {
      event: { userId: 'u1', properties: { cart_id: 'c-8', hook: sink.url } },
    });
    expect(again.body.result.outcome).to.equal('delivered');
    expect(sink.received[1]!.headers['idempotency-key']).not.to.equal(sink.received[0]!.headers['idempotency-key']);
  });

  it('refuses bad bodies and unknown steps with the path', async () => {
    const both = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nudge/preview`, {});
    expect(both.status).to.equal(400);
    expect(both.body.error).to.include({ code: 'invalid_request', path: '/event' });
    const unknown = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/nope/preview`, { event: {} });
    expect(unknown.status).to.equal(404);
    const notSend = await t.api('POST', `/api/v1/journeys/${journeyId}/steps/done/preview`, { event: {} });
    expect(notSend.status).to.equal(400);
    expect(notSend.body.error.message).to.contain('exit step');
  });
});
