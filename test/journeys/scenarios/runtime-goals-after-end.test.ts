/**
 * A conversion goal counts for an instance that has already ended, while its window from entry
 * is open: the purchase an hour after the cart-abandonment nudge is what the goal is there to
 * count. Before, goals reached only active instances, so the shipped cart-abandonment example
 * (a P1D goal after a PT1H hold) could never count a purchase after its nudge (an audit found it).
 */
import { expect } from 'chai';
import { STORE_MODES } from '../../support/test-engine.ts';
import { advance, createAndPublish, track, uniqueId } from './scenario-helpers.ts';
import { DAY, HOUR, onlyInstance, timelineOf, useClockEngine } from './runtime-helpers.ts';

/** Hold up to an hour for a purchase, else nudge, then the end; a one-day purchase goal. */
function cartJourney(identifier = false) {
  return {
    name: uniqueId('Cart goal'),
    entry: { event: 'cart_started', ...(identifier ? { reentry: { mode: 'multiple_active', identifier: 'properties.cart' } } : {}) },
    start: 'wait',
    steps: [
      { id: 'wait', type: 'hold_until', branches: [{ id: 'bought', event: 'cart_bought', next: 'done' }], timeout: { after: 'PT1H', next: 'nudge' } },
      { id: 'nudge', type: 'send', eventName: 'Cart Nudge', payload: { context: 'all' }, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
    goals: [{ id: 'purchase', event: 'cart_bought', within: 'P1D', conditions: [{ path: 'properties.total', operator: 'gt', value: 0 }] }],
  };
}

for (const store of STORE_MODES) {
  describe(`Conversion goals after the instance ended (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    it('a purchase after the nudge, within the window, converts the completed instance once', async () => {
      const t = engine();
      const journey = await createAndPublish(t, cartJourney());
      const user = uniqueId('shopper');
      await track(t, { userId: user, event: 'cart_started' });
      await t.settle();
      await advance(t, HOUR + 1);
      expect((await onlyInstance(t, journey.id, user)).status).to.equal('completed');

      await advance(t, 2 * HOUR);
      await track(t, { userId: user, event: 'cart_bought', properties: { total: 0 } });
      await track(t, { userId: user, event: 'cart_bought', properties: { total: 30 } });
      await track(t, { userId: user, event: 'cart_bought', properties: { total: 40 } });
      await t.settle();
      const instance = await onlyInstance(t, journey.id, user);
      expect(instance.status).to.equal('completed');
      expect(Object.keys(instance.conversions)).to.deep.equal(['purchase']);
      const { activity } = await timelineOf(t, journey.id, instance.id);
      const converted = activity.filter((a) => a.type === 'converted');
      expect(converted.map((a) => a.reason)).to.deep.equal(["goal 'purchase' reached by cart_bought after the instance completed"]);
      // The purchase that met no condition is not the ended instance's business: nothing recorded for it.
      expect(activity.filter((a) => a.type === 'event_ignored')).to.deep.equal([]);
      const stats = (await t.api('GET', `/api/v1/journeys/${journey.id}/stats`)).body.stats;
      expect(stats).to.include({ entered: 1, completed: 1, converted: 1 });
      expect(stats.conversions).to.deep.equal({ purchase: { converted: 1, rate: 1 } });
    });

    it('a purchase after the window does not convert, and only the instance of its identifier converts', async () => {
      const t = engine();
      const journey = await createAndPublish(t, cartJourney(true));
      const user = uniqueId('sessions');
      await track(t, { userId: user, event: 'cart_started', properties: { cart: 'a' } });
      // Processed before the clock moves: otherwise it enters two hours late, and ingest, seeing an
      // event waiting for two hours, answers the next one 429 (backpressure).
      await t.settle();
      await advance(t, 2 * HOUR);
      await track(t, { userId: user, event: 'cart_started', properties: { cart: 'b' } });
      await t.settle();
      await advance(t, 2 * HOUR);
      await track(t, { userId: user, event: 'cart_bought', properties: { cart: 'b', total: 5 } });
      await t.settle();
      await advance(t, 2 * DAY);
      await track(t, { userId: user, event: 'cart_bought', properties: { cart: 'a', total: 5 } });
      await t.settle();
      const res = await t.api('GET', `/api/v1/journeys/${journey.id}/instances?userId=${user}`);
      const byCart = Object.fromEntries(res.body.instances.map((i: { identifier: string; conversions: object; status: string }) => [i.identifier, [i.status, Object.keys(i.conversions)]]));
      expect(byCart).to.deep.equal({ a: ['completed', []], b: ['completed', ['purchase']] });
    });
  });
}
