/**
 * A send step's activation key reaches the destination (README "Send steps": the event a send
 * carries has `context.journey.{id, instance_id, activation_key, idempotency_key, …}`): a journey
 * sends to the built-in webhook destination, whose URL is a real HTTP sink on 127.0.0.1 in this
 * test, and the body the sink receives carries the step's activation key next to the journey id,
 * the instance id, the send's custom event name and the idempotency key (also the Idempotency-Key
 * header). This holds for a key the document sets, for one the engine generates at save, for a
 * mapping that picks the fields one by one, and for an exit rule's send.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';
import { createAndPublish, deliveriesOf, track, uniqueId, type DeliveryView, type JourneyView } from './scenario-helpers.ts';
import { onlyInstance, useClockEngine } from './runtime-helpers.ts';
import { createDestination, startSink, webhookTarget, type Sink, type SinkRequest } from '../../delivery-e2e/helpers.ts';

const ENTRY = 'checkout_started';

/** Entry → `nudge` (a send to the webhook destination with `send`'s fields) → exit. */
function sendOnEntry(destinationId: string, send: Record<string, unknown>) {
  return {
    name: uniqueId('Activation key'),
    entry: { event: ENTRY },
    start: 'nudge',
    steps: [
      { id: 'nudge', type: 'send', eventName: 'Cart Nudge Custom', target: webhookTarget(destinationId), payload: { context: 'all', traits: 'all' }, next: 'done', ...send },
      { id: 'done', type: 'exit' },
    ],
  };
}

/** The one delivery of a journey, once delivered, and the one request the sink received for it. */
async function deliveredOnce(t: TestEngine, sink: Sink, journeyId: string): Promise<{ delivery: DeliveryView; request: SinkRequest }> {
  await sink.waitForRequests(1);
  await t.settle();
  const deliveries = await deliveriesOf(t, journeyId);
  expect(deliveries, 'one delivery').to.have.lengthOf(1);
  const delivery = deliveries[0]!;
  expect(delivery.status, JSON.stringify(delivery)).to.equal('delivered');
  expect(sink.requests, 'one request').to.have.lengthOf(1);
  return { delivery, request: sink.requests[0]! };
}

/** The activation key the published journey's step `stepId` has. */
function keyOf(journey: JourneyView, stepId: string): string {
  const step = (journey.definition.steps as Array<{ id: string; activationKey?: string }>).find((s) => s.id === stepId);
  expect(step?.activationKey, `activation key of ${stepId}`).to.be.a('string');
  return step!.activationKey!;
}

for (const store of STORE_MODES) {
  describe(`Activation key in the payload a destination receives (runtime scenario) [${store}]`, function () {
    this.timeout(20_000);
    const engine = useClockEngine(store);
    let sink: Sink;
    beforeEach(async () => { sink = await startSink(); });
    afterEach(async () => { await sink.close(); });

    it('the default webhook body (the whole event) carries the activation key, journey id, instance id, custom event name and idempotency key', async () => {
      const t = engine();
      const destinationId = await createDestination(t, { name: uniqueId('hook') });
      const journey = await createAndPublish(t, sendOnEntry(destinationId, {
        activationKey: 'cart_nudge-2024', mapping: { url: `${sink.url}/hook` },
      }));
      expect(keyOf(journey, 'nudge')).to.equal('cart_nudge-2024');
      const user = uniqueId('shopper');
      await track(t, { userId: user, event: ENTRY, properties: { cart_id: 'c-9' } });
      await t.settle();

      const instance = await onlyInstance(t, journey.id, user);
      const { delivery, request } = await deliveredOnce(t, sink, journey.id);
      expect(delivery.activationKey).to.equal('cart_nudge-2024');
      expect(request.path).to.equal('/hook');
      const body = request.json;
      expect(body.context.journey.activation_key).to.equal('cart_nudge-2024');
      expect(body.context.journey.id).to.equal(journey.id);
      expect(body.context.journey.instance_id).to.equal(instance.id);
      expect(body.context.journey.step_id).to.equal('nudge');
      expect(body.event).to.equal('Cart Nudge Custom');
      expect(body.type).to.equal('track');
      expect(body.userId).to.equal(user);
      const key = `${instance.id}:nudge:0`;
      expect(delivery.idempotencyKey).to.equal(key);
      expect(body.context.journey.idempotency_key).to.equal(key);
      expect(body.messageId).to.equal(key);
      expect(request.headers['idempotency-key']).to.equal(key);
      expect(body.properties.journey_context[ENTRY].properties).to.deep.equal({ cart_id: 'c-9' });
    });

    it('a mapping can pick the activation key and the other journey fields one by one', async () => {
      const t = engine();
      const destinationId = await createDestination(t, { name: uniqueId('hook') });
      const journey = await createAndPublish(t, sendOnEntry(destinationId, {
        activationKey: 'picked_key',
        mapping: {
          url: `${sink.url}/picked`,
          data: {
            activation: { '@path': '$.context.journey.activation_key' },
            journey: { '@path': '$.context.journey.id' },
            instance: { '@path': '$.context.journey.instance_id' },
            name: { '@path': '$.event' },
            key: { '@path': '$.context.journey.idempotency_key' },
          },
        },
      }));
      const user = uniqueId('shopper');
      await track(t, { userId: user, event: ENTRY });
      await t.settle();

      const instance = await onlyInstance(t, journey.id, user);
      const { request } = await deliveredOnce(t, sink, journey.id);
      expect(request.json).to.deep.equal({
        activation: 'picked_key', journey: journey.id, instance: instance.id, name: 'Cart Nudge Custom', key: `${instance.id}:nudge:0`,
      });
    });

    it('without an activation key in the document, the key generated at save is the one the destination receives', async () => {
      const t = engine();
      const destinationId = await createDestination(t, { name: uniqueId('hook') });
      const journey = await createAndPublish(t, sendOnEntry(destinationId, { mapping: { url: `${sink.url}/generated` } }));
      const generated = keyOf(journey, 'nudge');
      expect(generated).to.match(/^[A-Za-z0-9_-]{4,64}$/);
      const user = uniqueId('shopper');
      await track(t, { userId: user, event: ENTRY });
      await t.settle();

      const { delivery, request } = await deliveredOnce(t, sink, journey.id);
      expect(delivery.activationKey).to.equal(generated);
      expect(request.json.context.journey.activation_key).to.equal(generated);
      expect(request.json.context.journey.id).to.equal(journey.id);
      expect(request.json.context.journey.instance_id).to.equal(delivery.instanceId);
    });

    it("an exit rule's send carries its own activation key, not the step's", async () => {
      const t = engine();
      const destinationId = await createDestination(t, { name: uniqueId('hook') });
      const doc = {
        name: uniqueId('Activation key on exit'),
        entry: { event: ENTRY },
        start: 'wait',
        steps: [
          { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'P1D' }, next: 'nudge' },
          { id: 'nudge', type: 'send', eventName: 'Cart Nudge Custom', activationKey: 'step_key', target: webhookTarget(destinationId), mapping: { url: `${sink.url}/step` }, next: 'done' },
          { id: 'done', type: 'exit' },
        ],
        exitRules: [{
          id: 'bought', event: 'purchase_completed',
          send: { eventName: 'Purchase Thanks', activationKey: 'exit_key', target: webhookTarget(destinationId), mapping: { url: `${sink.url}/exit` } },
        }],
      };
      const journey = await createAndPublish(t, doc);
      const user = uniqueId('shopper');
      await track(t, { userId: user, event: ENTRY });
      await t.settle();
      await track(t, { userId: user, event: 'purchase_completed' });
      await t.settle();

      const instance = await onlyInstance(t, journey.id, user);
      expect(instance.status).to.equal('exited');
      const { delivery, request } = await deliveredOnce(t, sink, journey.id);
      expect(delivery.activationKey).to.equal('exit_key');
      expect(request.path).to.equal('/exit');
      expect(request.json.event).to.equal('Purchase Thanks');
      expect(request.json.context.journey).to.deep.include({
        activation_key: 'exit_key', id: journey.id, instance_id: instance.id, idempotency_key: delivery.idempotencyKey,
      });
      expect(request.headers['idempotency-key']).to.equal(delivery.idempotencyKey);
    });
  });
}
