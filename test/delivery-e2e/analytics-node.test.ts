/**
 * The cart-abandonment journey of the source documents, end to end: a real Segment client
 * (@segment/analytics-node) reports checkouts, the journey holds each checkout session until
 * `purchase_completed` for one hour, and when the hour passes without a purchase the nudge
 * reaches a real HTTP endpoint through the built-in webhook destination, mapped from the profile
 * and the journey context. A session that is purchased within the hour gets no nudge.
 */
import { Analytics } from '@segment/analytics-node';
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { advance, createDestination, journeyDeliveries, ok, publishJourney, startSink, webhookTarget, type Sink } from './helpers.ts';

const MINUTE_MS = 60_000;

/** examples/journeys/cart-abandonment.json, sending its nudge to a webhook destination. */
function cartAbandonment(destinationId: string, url: string) {
  return {
    name: 'Cart abandonment nudge (analytics-node)',
    entry: {
      event: 'checkout_started',
      conditions: [{ path: 'properties.session_id', operator: 'exists' }],
      whoEnters: { type: 'performer' },
      availability: { type: 'always' },
      reentry: { mode: 'multiple_active', identifier: 'properties.session_id' },
    },
    start: 'wait-for-purchase',
    steps: [
      {
        id: 'wait-for-purchase', type: 'hold_until',
        branches: [{ id: 'purchased', event: 'purchase_completed', next: 'converted' }],
        timeout: { after: 'PT1H', next: 'nudge' },
        lookback: 'PT5M',
      },
      {
        id: 'nudge', type: 'send', eventName: 'Checkout Abandoned', activationKey: 'cart-nudge-e2e',
        target: webhookTarget(destinationId),
        payload: { context: ['checkout_started'], traits: ['email', 'first_name'] },
        mapping: {
          url, method: 'POST',
          data: {
            email: { '@path': '$.context.traits.email' },
            cart: { '@path': '$.properties.journey_context.checkout_started.properties.session_id' },
            total: { '@path': '$.properties.journey_context.checkout_started.properties.total' },
          },
        },
        next: 'abandoned',
      },
      { id: 'converted', type: 'exit' },
      { id: 'abandoned', type: 'exit' },
    ],
  };
}

describe('cart abandonment with @segment/analytics-node: hold until purchase, nudge after an hour', function () {
  this.timeout(20_000);
  let t: TestEngine;
  let sink: Sink;

  beforeEach(async () => {
    t = await startTestEngine({ testClock: true });
    sink = await startSink();
  });
  afterEach(async () => {
    await t.close();
    await sink.close();
  });

  it('nudges the abandoned session at the endpoint with the mapped payload, and not the purchased one', async () => {
    const client = new Analytics({ writeKey: t.writeKey, host: t.url, flushInterval: 60_000, maxRetries: 3 });
    const failures: unknown[] = [];
    const done = (err?: unknown) => { if (err) failures.push(err); };

    // The entry event enters the catalog with a first checkout, before the journey exists.
    client.track({ userId: 'catalog-seed', event: 'checkout_started', properties: { session_id: 'seed' } }, done);
    await client.flush({ timeout: 8_000 });
    await t.settle();
    const destinationId = await createDestination(t, { name: 'Cart nudge webhook' });
    const journeyId = await publishJourney(t, cartAbandonment(destinationId, `${sink.url}/nudge`));

    client.identify({ userId: 'ada', traits: { email: 'ada@example.com', first_name: 'Ada', plan: 'pro' } }, done);
    client.track({ userId: 'ada', event: 'checkout_started', properties: { session_id: 'cart-A', total: 42.5 } }, done);
    client.track({ userId: 'ada', event: 'checkout_started', properties: { session_id: 'cart-B', total: 19 } }, done);
    await client.flush({ timeout: 8_000 });
    await t.settle();

    let { instances } = await ok(t.api('GET', `/api/v1/journeys/${journeyId}/instances?userId=ada`));
    expect(instances.map((i: any) => i.identifier).sort()).to.deep.equal(['cart-A', 'cart-B']);
    expect(instances.every((i: any) => i.currentStep === 'wait-for-purchase')).to.equal(true);

    // 20 minutes later session A is bought; B never is.
    await advance(t, 20 * MINUTE_MS);
    client.track({ userId: 'ada', event: 'purchase_completed', properties: { session_id: 'cart-A', total: 42.5 } }, done);
    await client.closeAndFlush({ timeout: 8_000 });
    expect(failures, 'every call reached the engine').to.deep.equal([]);
    await t.settle();
    expect(sink.requests, 'nothing before the hour is over').to.have.length(0);
    expect(await journeyDeliveries(t, journeyId)).to.deep.equal([]);

    // Past the hour the hold of session B times out and the nudge goes out.
    await advance(t, 41 * MINUTE_MS);
    expect(sink.requests).to.have.length(1);
    const [request] = sink.requests;
    expect(request!.path).to.equal('/nudge');
    expect(request!.json).to.deep.equal({ email: 'ada@example.com', cart: 'cart-B', total: 19 });

    const deliveries = await journeyDeliveries(t, journeyId);
    expect(deliveries).to.have.length(1);
    const [d] = deliveries;
    expect(d.status).to.equal('delivered');
    expect(d.eventName).to.equal('Checkout Abandoned');
    expect(d.activationKey).to.equal('cart-nudge-e2e');
    expect(request!.headers['idempotency-key']).to.equal(d.idempotencyKey);
    expect(d.payload.properties.journey_context.checkout_started.context.library.name, 'the entry event as the client sent it').to.equal('@segment/analytics-node');
    expect(Object.keys(d.payload.context.traits).sort(), 'only the selected traits').to.deep.equal(['email', 'first_name']);

    ({ instances } = await ok(t.api('GET', `/api/v1/journeys/${journeyId}/instances?userId=ada`)));
    const bySession = new Map(instances.map((i: any) => [i.identifier, i]));
    expect(bySession.get('cart-A')).to.include({ status: 'completed', endReason: "reached exit step 'converted'" });
    expect(bySession.get('cart-B')).to.include({ status: 'completed', endReason: "reached exit step 'abandoned'" });
    expect(d.instanceId).to.equal((bySession.get('cart-B') as any).id);

    // Nothing more is sent later.
    await advance(t, 24 * 60 * MINUTE_MS);
    expect(sink.requests).to.have.length(1);
  });
});
