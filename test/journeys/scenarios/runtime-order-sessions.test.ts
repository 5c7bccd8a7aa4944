/**
 * Pushwoosh's "E-commerce order journey with multiple sessions": OrderPlaced (session identifier
 * order_id) → wait for OrderReady → notify → wait for OrderDelivered → notify → exit, with the
 * conversion goal OrderDelivered within 14 days.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, ignoredReasons, instancesOf, track, uniqueId } from './scenario-helpers.ts';
import { DAY, HOUR, reasonsOf, sessionOf, timelineOf, useClockEngine } from './runtime-helpers.ts';

function orderJourney() {
  return {
    name: uniqueId('Order notifications'),
    entry: {
      event: 'OrderPlaced',
      conditions: [{ path: 'properties.order_id', operator: 'exists' }],
      reentry: { mode: 'multiple_active', identifier: 'properties.order_id' },
    },
    start: 'wait-ready',
    steps: [
      {
        id: 'wait-ready', type: 'hold_until',
        branches: [{ id: 'ready', event: 'OrderReady', next: 'notify-ready' }],
        timeout: { after: 'P30D', next: 'gave-up' },
      },
      { id: 'notify-ready', type: 'send', eventName: 'Order Ready Notification', next: 'wait-delivered' },
      {
        id: 'wait-delivered', type: 'hold_until',
        branches: [{ id: 'delivered', event: 'OrderDelivered', next: 'notify-delivered' }],
        timeout: { after: 'P30D', next: 'gave-up' },
      },
      { id: 'notify-delivered', type: 'send', eventName: 'Order Delivered Notification', next: 'done' },
      { id: 'done', type: 'exit' },
      { id: 'gave-up', type: 'exit' },
    ],
    goals: [{ id: 'delivered', event: 'OrderDelivered', within: 'P14D' }],
  };
}

/** A user who placed orders 1001 and 1002 (two sessions of the journey). */
async function twoOrders(t: TestEngine) {
  const journey = await createAndPublish(t, orderJourney());
  const user = uniqueId('customer');
  await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1001 } });
  await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1002 } });
  await t.settle();
  return { journey, user };
}

for (const store of STORE_MODES) {
  describe(`Order sessions (runtime scenario, Pushwoosh multiple active sessions) [${store}]`, () => {
    const engine = useClockEngine(store);

    it('OrderPlaced with order_id 1001 starts session 1; OrderPlaced with order_id 1002 starts session 2', async () => {
      const t = engine();
      const { journey, user } = await twoOrders(t);
      const sessions = await instancesOf(t, journey.id, user);
      expect(sessions.map((s) => s.identifier).sort()).to.deep.equal(['1001', '1002']);
      for (const session of sessions) {
        expect(session.status).to.equal('active');
        expect(session.currentStep).to.equal('wait-ready');
      }
      expect((await sessionOf(t, journey.id, user, '1001')).context['OrderPlaced']['properties']).to.deep.equal({ order_id: 1001 });
    });

    it('OrderReady with order_id 1001 applies only to session 1', async () => {
      const t = engine();
      const { journey, user } = await twoOrders(t);
      await track(t, { userId: user, event: 'OrderReady', properties: { order_id: '1001' } });
      await t.settle();

      const one = await sessionOf(t, journey.id, user, '1001');
      const two = await sessionOf(t, journey.id, user, '1002');
      expect(one.currentStep).to.equal('wait-delivered');
      expect(one.context['OrderReady - ready']['properties']).to.deep.equal({ order_id: '1001' });
      expect(two.currentStep).to.equal('wait-ready');
      expect(two.context).to.not.have.property('OrderReady - ready');

      const deliveries = await deliveriesOf(t, journey.id);
      expect(deliveries.map((d) => [d.instanceId, d.eventName])).to.deep.equal([[one.id, 'Order Ready Notification']]);
      const { activity } = await timelineOf(t, journey.id, two.id);
      expect(reasonsOf(activity, 'event_ignored')).to.deep.equal(["identifier 1001 is not this instance's (1002)"]);
    });

    it('OrderReady without order_id marks both sessions ready (even if only one order actually is)', async () => {
      const t = engine();
      const { journey, user } = await twoOrders(t);
      await track(t, { userId: user, event: 'OrderReady', properties: { store: 'Main Street' } });
      await t.settle();

      for (const id of ['1001', '1002']) {
        const session = await sessionOf(t, journey.id, user, id);
        expect(session.currentStep, `session ${id}`).to.equal('wait-delivered');
        expect(session.context['OrderReady - ready']['properties']).to.deep.equal({ store: 'Main Street' });
      }
      const deliveries = await deliveriesOf(t, journey.id);
      expect(deliveries).to.have.lengthOf(2);
      expect(deliveries.map((d) => d.payload['context']['journey']['identifier']).sort()).to.deep.equal(['1001', '1002']);
      expect(deliveries.every((d) => d.eventName === 'Order Ready Notification')).to.equal(true);
    });

    it('OrderDelivered with order_id 1001 records a conversion for session 1, with 1002 for session 2', async () => {
      const t = engine();
      const { journey, user } = await twoOrders(t);
      await track(t, { userId: user, event: 'OrderReady' });
      await t.settle();
      await advance(t, 2 * DAY);

      await track(t, { userId: user, event: 'OrderDelivered', properties: { order_id: 1001 } });
      await t.settle();
      let one = await sessionOf(t, journey.id, user, '1001');
      let two = await sessionOf(t, journey.id, user, '1002');
      expect(Object.keys(one.conversions)).to.deep.equal(['delivered']);
      expect(two.conversions).to.deep.equal({});
      expect(one.status).to.equal('completed');
      expect(two.currentStep).to.equal('wait-delivered');

      await advance(t, DAY);
      await track(t, { userId: user, event: 'OrderDelivered', properties: { order_id: 1002 } });
      await t.settle();
      one = await sessionOf(t, journey.id, user, '1001');
      two = await sessionOf(t, journey.id, user, '1002');
      expect(Object.keys(two.conversions)).to.deep.equal(['delivered']);
      expect(Date.parse(two.conversions['delivered']) - Date.parse(one.conversions['delivered'])).to.be.within(DAY, DAY + HOUR);
      expect(two.status).to.equal('completed');

      const { activity } = await timelineOf(t, journey.id, two.id);
      expect(reasonsOf(activity, 'converted')).to.deep.equal(["goal 'delivered' reached by OrderDelivered"]);
      expect(reasonsOf(activity, 'event_ignored')).to.deep.equal(["goal 'delivered': identifier 1001 is not this instance's", "identifier 1001 is not this instance's (1002)"]);
    });

    it('an OrderDelivered after the 14-day goal window is delivered but does not convert (reason recorded)', async () => {
      const t = engine();
      const { journey, user } = await twoOrders(t);
      await advance(t, 10 * DAY);
      await track(t, { userId: user, event: 'OrderReady', properties: { order_id: 1001 } });
      await t.settle();
      await advance(t, 5 * DAY);
      await track(t, { userId: user, event: 'OrderDelivered', properties: { order_id: 1001 } });
      await t.settle();

      const one = await sessionOf(t, journey.id, user, '1001');
      expect(one.status).to.equal('completed');
      expect(one.context).to.have.property('OrderDelivered - delivered');
      expect(one.conversions).to.deep.equal({});
      const { activity, deliveries } = await timelineOf(t, journey.id, one.id);
      expect(deliveries.map((d) => d.eventName)).to.deep.equal(['Order Ready Notification', 'Order Delivered Notification']);
      const windowEnd = new Date(Date.parse(one.enteredAt) + 14 * DAY).toISOString();
      expect(reasonsOf(activity, 'event_ignored')).to.deep.equal([`goal 'delivered': its window closed at ${windowEnd}`]);
      expect(activity.map((a) => a.type)).to.not.include('converted');
    });

    it('deliveries have distinct idempotency keys per session and step', async () => {
      const t = engine();
      const { journey, user } = await twoOrders(t);
      await track(t, { userId: user, event: 'OrderReady' });
      await track(t, { userId: user, event: 'OrderDelivered' });
      await t.settle();

      const sessions = await instancesOf(t, journey.id, user);
      expect(sessions.map((s) => s.status)).to.deep.equal(['completed', 'completed']);
      const deliveries = await deliveriesOf(t, journey.id);
      expect(deliveries).to.have.lengthOf(4);
      const keys = deliveries.map((d) => d.idempotencyKey);
      expect(new Set(keys).size).to.equal(4);
      for (const d of deliveries) {
        expect(d.idempotencyKey).to.equal(`${d.instanceId}:${d.stepId}:0`);
        expect(d.payload['messageId'], 'the key travels with the payload').to.equal(d.idempotencyKey);
      }
      const activationKeys = new Map<string, Set<string>>();
      for (const d of deliveries) activationKeys.set(d.stepId, (activationKeys.get(d.stepId) ?? new Set()).add(d.activationKey));
      expect([...activationKeys.keys()].sort()).to.deep.equal(['notify-delivered', 'notify-ready']);
      expect([...activationKeys.values()].map((s) => s.size), 'one activation key per send step').to.deep.equal([1, 1]);
    });

    it('a second OrderPlaced with order_id 1001 while session 1 is active starts no new session (recorded)', async () => {
      const t = engine();
      const { journey, user } = await twoOrders(t);
      await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '1001' } });
      await t.settle();
      expect(await instancesOf(t, journey.id, user)).to.have.lengthOf(2);
      expect(await ignoredReasons(t, journey.id, user)).to.deep.equal(['an instance with identifier 1001 is already active']);
    });
  });
}
