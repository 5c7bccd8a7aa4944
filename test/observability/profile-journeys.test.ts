/**
 * The profile explorer: look a profile up, then GET /api/v1/profiles/{profileId}/journeys lists
 * every journey it entered, how often, where its active instances are and what happened last.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../support/test-engine.ts';
import { expectError, unique } from '../delivery-api/delivery-api-helpers.ts';
import { advance, createAndPublish, profileIdOf } from '../journeys/scenarios/scenario-helpers.ts';
import { DAY } from '../journeys/scenarios/runtime-helpers.ts';
import { useCartScenario, type CartScenario } from './cart-scenario.ts';

/** One session per order id, each waiting for its shipment. */
function orderJourney() {
  return {
    name: unique('Order sessions'),
    entry: { event: 'Order Placed', reentry: { mode: 'multiple_active', identifier: 'properties.order_id' } },
    start: 'wait-shipped',
    steps: [
      { id: 'wait-shipped', type: 'hold_until', branches: [{ id: 'shipped', event: 'Order Shipped', next: 'done' }], timeout: { after: 'P30D', next: 'done' } },
      { id: 'done', type: 'exit' },
    ],
  };
}

for (const store of STORE_MODES) {
  describe(`Profile journeys [${store}]`, function () {
    this.timeout(60_000);
    let ordersId: string;
    const fixture = useCartScenario(store, async ({ t, scenario }) => {
      for (const event of ['Order Placed', 'Order Shipped']) await t.ingest('/v1/track', { userId: unique('seed'), event });
      await t.settle();
      ordersId = (await createAndPublish(t, orderJourney())).id;
      const buyer = scenario.users.buyer;
      for (const orderId of ['A-1', 'A-2', 'A-3']) await t.ingest('/v1/track', { userId: buyer, event: 'Order Placed', properties: { order_id: orderId } });
      await t.settle();
      await advance(t, DAY);
      await t.ingest('/v1/track', { userId: buyer, event: 'Order Shipped', properties: { order_id: 'A-2' } });
      await t.settle();
    });
    let t: TestEngine;
    let scenario: CartScenario;
    beforeEach(() => ({ t, scenario } = fixture()));
    const journeysOf = async (profileId: string) => {
      const res = await t.api('GET', `/api/v1/profiles/${profileId}/journeys`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body;
    };

    it('lists every journey entered with the number of entries, active instances and last activity', async () => {
      const profileId = (await profileIdOf(t, scenario.users.buyer))!;
      const body = await journeysOf(profileId);
      expect(body.profile).to.include({ id: profileId, userId: scenario.users.buyer });
      expect(body.journeys.map((j: { journeyId: string }) => j.journeyId), 'most recently entered first').to.deep.equal([ordersId, scenario.journeyId]);
      const [orders, cart] = body.journeys;
      expect(orders).to.include({ entries: 3, status: 'published' });
      expect(orders.active.map((a: { identifier: string }) => a.identifier)).to.have.members(['A-1', 'A-3']);
      for (const active of orders.active) {
        expect(active).to.include({ stepId: 'wait-shipped', version: 1 });
        expect(Date.parse(active.waitingUntil) - Date.parse(active.enteredAt)).to.equal(30 * DAY);
      }
      // The shipment completed session A-2 and was ignored by, all at the same time.
      expect(orders.lastActivity.type).to.be.oneOf(['completed', 'event_ignored']);
      expect(Date.parse(orders.lastActivity.at) - Date.parse(orders.active[0].enteredAt)).to.be.at.least(DAY);
      expect(cart).to.include({ entries: 1, name: cart.name });
      expect(cart.active).to.deep.equal([]);
      expect(cart.lastActivity).to.include({ type: 'completed' });
      expect(Date.parse(cart.firstEnteredAt)).to.equal(Date.parse(cart.lastEnteredAt));
    });

    it('shows the waiting step of an active instance', async () => {
      const viewer = unique('viewer');
      await t.ingest('/v1/track', { userId: viewer, event: 'Cart Viewed' });
      await t.settle();
      const body = await journeysOf((await profileIdOf(t, viewer))!);
      expect(body.journeys).to.have.lengthOf(1);
      expect(body.journeys[0].active).to.have.lengthOf(1);
      expect(body.journeys[0].active[0]).to.include({ stepId: 'wait', identifier: null });
      expect(body.journeys[0].lastActivity).to.include({ type: 'waiting', stepId: 'wait' });
    });

    it('follows merges: the journeys of a profile merged into another belong to the survivor', async () => {
      const anonymous = unique('anon');
      await t.ingest('/v1/track', { anonymousId: anonymous, event: 'Order Placed', properties: { order_id: 'B-1' } });
      await t.settle();
      const alias = await t.ingest('/v1/identify', { anonymousId: anonymous, userId: scenario.users.waiter });
      expect(alias.status).to.equal(200);
      await t.settle();
      const waiterId = (await profileIdOf(t, scenario.users.waiter))!;
      const body = await journeysOf(waiterId);
      expect(body.journeys.map((j: { journeyId: string }) => j.journeyId)).to.have.members([ordersId, scenario.journeyId]);
      const lookup = await t.api('GET', `/api/v1/profiles/lookup?anonymousId=${anonymous}`);
      expect(lookup.status).to.equal(200);
      expect(lookup.body.profile.id, 'the anonymous id leads to the merged profile').to.equal(waiterId);
    });

    it('answers an empty list for a profile that entered nothing, 404 for unknown and other spaces\' profiles', async () => {
      const newcomer = unique('newcomer');
      await t.ingest('/v1/identify', { userId: newcomer, traits: { plan: 'free' } });
      await t.settle();
      expect((await journeysOf((await profileIdOf(t, newcomer))!)).journeys).to.deep.equal([]);
      expectError(await t.api('GET', '/api/v1/profiles/no-such-profile/journeys'), 404, 'not_found');
      const space = await t.api('POST', '/api/v1/spaces', { name: `other-${store}-profiles` }, { token: t.operatorToken });
      expect(space.status, JSON.stringify(space.body)).to.equal(201);
      const profileId = (await profileIdOf(t, scenario.users.buyer))!;
      expectError(await t.api('GET', `/api/v1/profiles/${profileId}/journeys`, undefined, { token: space.body.adminToken.secret }), 404, 'not_found');
    });
  });
}
