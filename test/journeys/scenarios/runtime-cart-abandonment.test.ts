/**
 * Segment's real-time cart abandonment campaign: `checkout_started` starts one instance per
 * checkout session (`properties.session_id`, multiple active sessions); the journey holds until
 * `purchase_completed` for one hour, or else sends a nudge.
 */
import { expect } from 'chai';
import { advance, createAndPublish, deliveriesOf, instancesOf, track, uniqueId } from './scenario-helpers.ts';
import { DAY, HOUR, MINUTE, SECOND, engineNow, onlyInstance, reasonsOf, sessionOf, timelineOf, useClockEngine } from './runtime-helpers.ts';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';

/** The campaign; `lookback`, `delayFirst` and `oneActive` (no session identifier) shape the look-back scenarios. */
function cartAbandonment(options: { delayFirst?: string; lookback?: string; oneActive?: boolean } = {}) {
  const hold = {
    id: 'wait-for-purchase',
    name: 'Wait up to 1 hour for the purchase',
    type: 'hold_until',
    branches: [{ id: 'purchased', event: 'purchase_completed', next: 'converted' }],
    timeout: { after: 'PT1H', next: 'nudge' },
    ...(options.lookback ? { lookback: options.lookback } : {}),
  };
  const delay = options.delayFirst
    ? [{ id: 'let-them-browse', type: 'delay', wait: { type: 'duration', duration: options.delayFirst }, next: 'wait-for-purchase' }]
    : [];
  return {
    name: uniqueId('Cart abandonment nudge'),
    entry: {
      event: 'checkout_started',
      conditions: [{ path: 'properties.session_id', operator: 'exists' }],
      reentry: options.oneActive ? { mode: 'one_active' } : { mode: 'multiple_active', identifier: 'properties.session_id' },
    },
    start: options.delayFirst ? 'let-them-browse' : 'wait-for-purchase',
    steps: [
      ...delay,
      hold,
      { id: 'nudge', name: 'Nudge to finish the order', type: 'send', eventName: 'Checkout Abandoned', next: 'abandoned' },
      { id: 'converted', type: 'exit' },
      { id: 'abandoned', type: 'exit' },
    ],
  };
}

for (const store of STORE_MODES) {
  describe(`Cart abandonment (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    describe('checkout_started and no purchase_completed within the hour', () => {
      it('a timer never fires early: one second before the hour nothing is sent', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment());
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1', total: 120 } });
        await t.settle();

        const waiting = await onlyInstance(t, journey.id, user);
        expect(waiting.currentStep).to.equal('wait-for-purchase');
        expect(waiting.waiting?.kind).to.equal('hold');
        const deadline = Date.parse(waiting.waiting!.until);
        expect(deadline - Date.parse(waiting.enteredAt)).to.equal(HOUR);

        await advance(t, 59 * MINUTE);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(0);
        await advance(t, deadline - (await engineNow(t)) - SECOND);
        expect(await deliveriesOf(t, journey.id), 'nothing sent one second before the deadline').to.have.lengthOf(0);
        const stillWaiting = await onlyInstance(t, journey.id, user);
        expect(stillWaiting.status).to.equal('active');
        expect(stillWaiting.currentStep).to.equal('wait-for-purchase');
      });

      it('after 1 hour (+1 ms) exactly one nudge is sent and the instance completes', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment());
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1', total: 120 } });
        await t.settle();

        await advance(t, 59 * MINUTE);
        expect(await deliveriesOf(t, journey.id), 'not after 59 minutes').to.have.lengthOf(0);
        await advance(t, MINUTE + 1);

        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries).to.have.lengthOf(1);
        const [nudge] = deliveries;
        expect(nudge!.eventName).to.equal('Checkout Abandoned');
        expect(nudge!.stepId).to.equal('nudge');
        expect(nudge!.status).to.equal('skipped'); // no destination: recorded only
        expect(nudge!.payload['userId']).to.equal(user);
        expect(nudge!.payload['properties']['journey_context']['checkout_started']['properties']).to.deep.equal({ session_id: 'cart-1', total: 120 });

        const done = await onlyInstance(t, journey.id, user);
        expect(done.status).to.equal('completed');
        expect(done.endReason).to.equal("reached exit step 'abandoned'");
        const { activity } = await timelineOf(t, journey.id, done.id);
        expect(activity.map((a) => a.type)).to.include.members(['entered', 'waiting', 'timed_out', 'send_recorded', 'completed']);

        await advance(t, DAY);
        expect(await deliveriesOf(t, journey.id), 'the timer fires once').to.have.lengthOf(1);
      });
    });

    describe('purchase_completed within the hour', () => {
      it('sends no nudge; the purchase joins the context as "purchase_completed - purchased" beside "checkout_started"', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment());
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1', total: 120 } });
        await t.settle();
        await advance(t, 20 * MINUTE);
        await track(t, { userId: user, event: 'purchase_completed', properties: { session_id: 'cart-1', revenue: 120 } });
        await t.settle();

        const converted = await onlyInstance(t, journey.id, user);
        expect(converted.status).to.equal('completed');
        expect(converted.endReason).to.equal("reached exit step 'converted'");
        expect(converted.context['checkout_started']['event']).to.equal('checkout_started');
        expect(converted.context['checkout_started']['properties']).to.deep.equal({ session_id: 'cart-1', total: 120 });
        expect(converted.context['purchase_completed - purchased']['event']).to.equal('purchase_completed');
        expect(converted.context['purchase_completed - purchased']['properties']).to.deep.equal({ session_id: 'cart-1', revenue: 120 });
        expect(converted.context).to.not.have.property('purchase_completed');

        const { activity } = await timelineOf(t, journey.id, converted.id);
        const matched = activity.find((a) => a.type === 'event_matched');
        expect(matched?.data).to.deep.include({ branch: 'purchased', contextKey: 'purchase_completed - purchased' });

        await advance(t, 2 * HOUR);
        expect(await deliveriesOf(t, journey.id), 'no nudge after the hour').to.have.lengthOf(0);
      });
    });

    describe('look-back: events that arrived before the checkout (clients sending out of order)', () => {
      /** A purchase of `purchased`, then a minute later a checkout of `checkedOut`, each processed. */
      async function purchaseThenCheckout(t: TestEngine, user: string, purchased: string, checkedOut: string): Promise<void> {
        await track(t, { userId: user, event: 'purchase_completed', properties: { session_id: purchased } });
        await t.settle();
        await advance(t, MINUTE);
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: checkedOut } });
        await t.settle();
      }

      it('a purchase of the same session that arrived a minute before its checkout_started counts: no nudge', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ lookback: 'PT10M' }));
        const user = uniqueId('shopper');
        await purchaseThenCheckout(t, user, 'cart-1', 'cart-1');

        const instance = await onlyInstance(t, journey.id, user);
        expect(instance.status).to.equal('completed');
        expect(instance.endReason).to.equal("reached exit step 'converted'");
        const { activity } = await timelineOf(t, journey.id, instance.id);
        expect(reasonsOf(activity, 'event_matched')).to.deep.equal(["an event from the look-back window matched branch 'purchased'"]);
        await advance(t, 2 * HOUR);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(0);
      });

      it('a purchase of another session before the checkout does not count: the nudge is sent', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ lookback: 'PT10M' }));
        const user = uniqueId('shopper');
        await purchaseThenCheckout(t, user, 'cart-0', 'cart-1');
        expect((await onlyInstance(t, journey.id, user)).status).to.equal('active');
        await advance(t, HOUR + 1);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(1);
      });

      it('a purchase that ended an earlier instance of the same session does not count for the next one', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ lookback: 'PT10M' }));
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1' } });
        await t.settle();
        await purchaseThenCheckout(t, user, 'cart-1', 'cart-1');
        const instances = await instancesOf(t, journey.id, user);
        expect(instances.map((i) => i.status).sort()).to.deep.equal(['active', 'completed']);
      });

      it('a purchase that arrived after the earlier instance of the session had ended counts for the next one', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ lookback: 'PT10M' }));
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1' } });
        await t.settle();
        await advance(t, HOUR + 1);
        // The first instance timed out (nudge sent); the purchase and a new checkout of that cart follow, out of order.
        await purchaseThenCheckout(t, user, 'cart-1', 'cart-1');
        const instances = await instancesOf(t, journey.id, user);
        expect(instances.map((i) => i.endReason).sort()).to.deep.equal(["reached exit step 'abandoned'", "reached exit step 'converted'"]);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(1);
      });

      it('without a session identifier, a purchase just before the first checkout counts', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ lookback: 'PT10M', oneActive: true }));
        const user = uniqueId('shopper');
        await purchaseThenCheckout(t, user, 'cart-1', 'cart-2');
        const instance = await onlyInstance(t, journey.id, user);
        expect(instance.status).to.equal('completed');
        expect(instance.endReason).to.equal("reached exit step 'converted'");
      });

      it('without a session identifier, a purchase that ended the earlier instance does not count for the next one', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ lookback: 'PT10M', oneActive: true }));
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1' } });
        await t.settle();
        await purchaseThenCheckout(t, user, 'cart-1', 'cart-2');
        const instances = await instancesOf(t, journey.id, user);
        expect(instances.map((i) => i.status).sort()).to.deep.equal(['active', 'completed']);
      });
    });

    describe('two carts (two session ids) of one user', () => {
      it('the purchase of session A ends only A; B is still nudged after the hour', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment());
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'A' } });
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'B' } });
        await t.settle();
        expect((await sessionOf(t, journey.id, user, 'A')).status).to.equal('active');
        expect((await sessionOf(t, journey.id, user, 'B')).status).to.equal('active');

        await advance(t, 10 * MINUTE);
        await track(t, { userId: user, event: 'purchase_completed', properties: { session_id: 'A' } });
        await t.settle();

        const a = await sessionOf(t, journey.id, user, 'A');
        const b = await sessionOf(t, journey.id, user, 'B');
        expect(a.status).to.equal('completed');
        expect(a.endReason).to.equal("reached exit step 'converted'");
        expect(b.status).to.equal('active');
        expect(b.currentStep).to.equal('wait-for-purchase');
        expect(b.context).to.not.have.property('purchase_completed - purchased');
        const bTimeline = await timelineOf(t, journey.id, b.id);
        expect(reasonsOf(bTimeline.activity, 'event_ignored')).to.deep.equal(["identifier A is not this instance's (B)"]);

        await advance(t, 50 * MINUTE + 1);
        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries).to.have.lengthOf(1);
        expect(deliveries[0]!.instanceId).to.equal(b.id);
        expect(deliveries[0]!.payload['context']['journey']['identifier']).to.equal('B');
        expect((await sessionOf(t, journey.id, user, 'B')).endReason).to.equal("reached exit step 'abandoned'");
      });
    });

    describe('look-back: the instance reaches the hold step after a 30-minute delay (look-back 10 minutes)', () => {
      it('a purchase_completed performed 5 minutes before the instance reached the step counts', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ delayFirst: 'PT30M', lookback: 'PT10M' }));
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1' } });
        await t.settle();
        await advance(t, 25 * MINUTE);
        await track(t, { userId: user, event: 'purchase_completed', properties: { session_id: 'cart-1' } });
        await t.settle();
        expect((await onlyInstance(t, journey.id, user)).currentStep, 'still in the delay').to.equal('let-them-browse');

        await advance(t, 5 * MINUTE + 1);
        const instance = await onlyInstance(t, journey.id, user);
        expect(instance.status).to.equal('completed');
        expect(instance.endReason).to.equal("reached exit step 'converted'");
        expect(instance.context['purchase_completed - purchased']['event']).to.equal('purchase_completed');
        const { activity } = await timelineOf(t, journey.id, instance.id);
        expect(reasonsOf(activity, 'event_matched')).to.deep.equal(["an event from the look-back window matched branch 'purchased'"]);

        await advance(t, 2 * HOUR);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(0);
      });

      it('a burst of other events between the purchase and the step does not push the purchase out of the look-back', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ delayFirst: 'PT30M', lookback: 'PT10M' }));
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1' } });
        await t.settle();
        await advance(t, 25 * MINUTE);
        await track(t, { userId: user, event: 'purchase_completed', properties: { session_id: 'cart-1' } });
        for (let i = 0; i < 60; i++) await track(t, { userId: user, event: 'page_scrolled', properties: { depth: i } });
        await t.settle();

        await advance(t, 5 * MINUTE + 1);
        const instance = await onlyInstance(t, journey.id, user);
        expect(instance.status).to.equal('completed');
        expect(instance.endReason).to.equal("reached exit step 'converted'");
      });

      it('a purchase_completed older than the look-back (25 minutes before) does not count: the nudge is sent', async () => {
        const t = engine();
        const journey = await createAndPublish(t, cartAbandonment({ delayFirst: 'PT30M', lookback: 'PT10M' }));
        const user = uniqueId('shopper');
        await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 'cart-1' } });
        await t.settle();
        await advance(t, 5 * MINUTE);
        await track(t, { userId: user, event: 'purchase_completed', properties: { session_id: 'cart-1' } });
        await t.settle();

        await advance(t, 25 * MINUTE + 1);
        const waiting = await onlyInstance(t, journey.id, user);
        expect(waiting.status).to.equal('active');
        expect(waiting.currentStep).to.equal('wait-for-purchase');
        expect(waiting.context).to.not.have.property('purchase_completed - purchased');

        await advance(t, HOUR);
        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries).to.have.lengthOf(1);
        expect(deliveries[0]!.eventName).to.equal('Checkout Abandoned');
      });
    });
  });
}
