import { expect } from 'chai';
import { startTestEngine, type TestEngine, STORE_MODES } from '../../support/test-engine.ts';
import {
  activityOf, createAndPublish, deliveriesOf, ignoredReasons, instancesOf, lifecycle, trackAndSettle, uniqueId, uniqueIds,
} from './scenario-helpers.ts';

/** send → exit on `event`, with the given entry settings. */
function journeyOn(event: string, entry: Record<string, unknown> = {}) {
  return {
    name: uniqueId(`Journey on ${event}`),
    entry: { event, ...entry },
    start: 'notify',
    steps: [
      { id: 'notify', type: 'send', eventName: `${event} Notification`, target: null, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  };
}

for (const store of STORE_MODES) {
  describe(`scenario: entry conditions, audience filter and lifecycle [${store}]`, () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine({}, { store }); });
    after(async () => { await t.close(); });

    async function enteredCount(journeyId: string, userId: string): Promise<number> {
      return (await instancesOf(t, journeyId, userId)).length;
    }

    describe('conditions on event properties', () => {
      it('{category} = shoes, bags, or hats: each listed value enters, any other value starts nothing and is recorded with the reason', async () => {
        const journey = await createAndPublish(t, journeyOn('Category Viewed', {
          conditions: [{ path: 'properties.category', operator: 'equals_any_of', value: ['shoes', 'bags', 'hats'] }],
        }));
        const [shoes, bags, hats, socks, none] = uniqueIds('viewer', 'shoes', 'bags', 'hats', 'socks', 'none');
        await trackAndSettle(t, { userId: shoes, event: 'Category Viewed', properties: { category: 'shoes' } });
        await trackAndSettle(t, { userId: bags, event: 'Category Viewed', properties: { category: 'bags' } });
        await trackAndSettle(t, { userId: hats, event: 'Category Viewed', properties: { category: 'hats' } });
        await trackAndSettle(t, { userId: socks, event: 'Category Viewed', properties: { category: 'socks' } });
        await trackAndSettle(t, { userId: none, event: 'Category Viewed', properties: {} });

        for (const user of [shoes, bags, hats]) expect(await enteredCount(journey.id, user), user).to.equal(1);
        for (const user of [socks, none]) {
          expect(await enteredCount(journey.id, user), user).to.equal(0);
          expect(await ignoredReasons(t, journey.id, user), user).to.deep.equal(['entry conditions not met']);
        }
        expect(await deliveriesOf(t, journey.id)).to.have.length(3);
      });

      it('conditions are ANDed and read nested paths: properties.shipping.address.country = DE and properties.total >= 50', async () => {
        const journey = await createAndPublish(t, journeyOn('Checkout Completed', {
          conditions: [
            { path: 'properties.shipping.address.country', operator: 'equals', value: 'DE' },
            { path: 'properties.total', operator: 'gte', value: 50 },
          ],
        }));
        const [both, wrongCountry, tooSmall, flat] = uniqueIds('checkout', 'both', 'fr', 'small', 'flat');
        await trackAndSettle(t, { userId: both, event: 'Checkout Completed', properties: { total: 80, shipping: { address: { country: 'DE' } } } });
        await trackAndSettle(t, { userId: wrongCountry, event: 'Checkout Completed', properties: { total: 80, shipping: { address: { country: 'FR' } } } });
        await trackAndSettle(t, { userId: tooSmall, event: 'Checkout Completed', properties: { total: 20, shipping: { address: { country: 'DE' } } } });
        // The same key at the top level is not the nested path.
        await trackAndSettle(t, { userId: flat, event: 'Checkout Completed', properties: { total: 80, country: 'DE' } });

        expect(await enteredCount(journey.id, both)).to.equal(1);
        for (const user of [wrongCountry, tooSmall, flat]) {
          expect(await enteredCount(journey.id, user), user).to.equal(0);
          expect(await ignoredReasons(t, journey.id, user), user).to.deep.equal(['entry conditions not met']);
        }
      });

      it('a number and a numeric string are the same value: order_id = 1001 matches "1001", and = "1002" matches 1002', async () => {
        const journey = await createAndPublish(t, journeyOn('Order Shipped', {
          conditions: [{ path: 'properties.order_id', operator: 'equals_any_of', value: [1001, '1002'] }],
        }));
        const [asString, asNumber, other] = uniqueIds('shipped', 'string', 'number', 'other');
        await trackAndSettle(t, { userId: asString, event: 'Order Shipped', properties: { order_id: '1001' } });
        await trackAndSettle(t, { userId: asNumber, event: 'Order Shipped', properties: { order_id: 1002 } });
        await trackAndSettle(t, { userId: other, event: 'Order Shipped', properties: { order_id: '1003' } });
        expect(await enteredCount(journey.id, asString)).to.equal(1);
        expect(await enteredCount(journey.id, asNumber)).to.equal(1);
        expect(await enteredCount(journey.id, other)).to.equal(0);
      });

      it('equals compares a number with a numeric string as equal values too (1001 == "1001"), but not with "1001.5" or "abc"', async () => {
        const journey = await createAndPublish(t, journeyOn('Order Paid', {
          conditions: [{ path: 'properties.order_id', operator: 'equals', value: 1001 }],
        }));
        const [match, fraction, text] = uniqueIds('paid', 'match', 'fraction', 'text');
        await trackAndSettle(t, { userId: match, event: 'Order Paid', properties: { order_id: '1001' } });
        await trackAndSettle(t, { userId: fraction, event: 'Order Paid', properties: { order_id: '1001.5' } });
        await trackAndSettle(t, { userId: text, event: 'Order Paid', properties: { order_id: 'abc' } });
        expect(await enteredCount(journey.id, match)).to.equal(1);
        expect(await enteredCount(journey.id, fraction)).to.equal(0);
        expect(await enteredCount(journey.id, text)).to.equal(0);
      });

      it('an event with another name never triggers the journey, and is not recorded as an ignored trigger', async () => {
        const journey = await createAndPublish(t, journeyOn('Trial Started'));
        const user = uniqueId('trial');
        await trackAndSettle(t, { userId: user, event: 'Trial Ended' });
        expect(await enteredCount(journey.id, user)).to.equal(0);
        expect(await activityOf(t, journey.id, { userId: user })).to.have.length(0);
      });
    });

    describe('audience filter', () => {
      async function identify(userId: string, traits: Record<string, unknown>): Promise<void> {
        const res = await t.ingest('/v1/identify', { userId, traits });
        expect(res.status).to.equal(200);
      }

      it('a profile added to the audience enters; one not in it does not, and the reason names the audience', async () => {
        const audience = await t.api('POST', '/api/v1/audiences', { name: uniqueId('Beta testers') });
        expect(audience.status).to.equal(201);
        const audienceId: string = audience.body.audience.id;
        const journey = await createAndPublish(t, journeyOn('Feature Used', { audienceId }));
        const [member, outsider] = [uniqueId('beta'), uniqueId('outsider')];
        await identify(member, { email: `${member}@example.com` });
        await identify(outsider, { email: `${outsider}@example.com` });
        await t.settle();
        const added = await t.api('POST', `/api/v1/audiences/${audienceId}/members`, { add: [{ userId: member }] });
        expect(added.status, JSON.stringify(added.body)).to.equal(200);

        await trackAndSettle(t, { userId: member, event: 'Feature Used' });
        await trackAndSettle(t, { userId: outsider, event: 'Feature Used' });
        expect(await enteredCount(journey.id, member)).to.equal(1);
        expect(await enteredCount(journey.id, outsider)).to.equal(0);
        const reasons = await ignoredReasons(t, journey.id, outsider);
        expect(reasons).to.have.length(1);
        expect(reasons[0]).to.include(audienceId);
      });

      it('membership is decided when the event arrives: identify(plan pro) then the event, in one batch, enters; after leaving the audience, no entry', async () => {
        const audience = await t.api('POST', '/api/v1/audiences', { name: uniqueId('Pro plan'), rule: [{ path: 'plan', operator: 'equals', value: 'pro' }] });
        expect(audience.status).to.equal(201);
        const audienceId: string = audience.body.audience.id;
        const journey = await createAndPublish(t, {
          ...journeyOn('Report Exported', { audienceId, reentry: { mode: 'one_active' } }),
        });
        const user = uniqueId('pro');
        const batch = await t.ingest('/v1/batch', {
          batch: [
            { type: 'identify', userId: user, traits: { plan: 'pro' } },
            { type: 'track', userId: user, event: 'Report Exported', properties: { n: 1 } },
            { type: 'identify', userId: user, traits: { plan: 'free' } },
            { type: 'track', userId: user, event: 'Report Exported', properties: { n: 2 } },
          ],
        });
        expect(batch.status).to.equal(200);
        await t.settle();

        const instances = await instancesOf(t, journey.id, user);
        expect(instances).to.have.length(1);
        expect(instances[0]!.context['Report Exported'].properties).to.deep.equal({ n: 1 });
        const reasons = await ignoredReasons(t, journey.id, user);
        expect(reasons).to.have.length(1);
        expect(reasons[0]).to.include(audienceId);
      });
    });

    describe('lifecycle', () => {
      it('a paused journey takes no entries (each recorded as ignored) and takes them again after resume', async () => {
        const journey = await createAndPublish(t, journeyOn('Coupon Requested'));
        const [early, whilePaused, afterResume] = uniqueIds('coupon', 'early', 'paused', 'resumed');
        await trackAndSettle(t, { userId: early, event: 'Coupon Requested' });
        expect((await lifecycle(t, journey.id, 'pause')).status).to.equal('paused');

        await trackAndSettle(t, { userId: whilePaused, event: 'Coupon Requested' });
        expect(await enteredCount(journey.id, whilePaused)).to.equal(0);
        expect(await ignoredReasons(t, journey.id, whilePaused)).to.deep.equal(['the journey is paused']);

        expect((await lifecycle(t, journey.id, 'resume')).status).to.equal('published');
        await trackAndSettle(t, { userId: afterResume, event: 'Coupon Requested' });
        expect(await enteredCount(journey.id, early)).to.equal(1);
        expect(await enteredCount(journey.id, afterResume)).to.equal(1);
        // The trigger seen while paused is not replayed on resume.
        expect(await enteredCount(journey.id, whilePaused)).to.equal(0);
        expect(await deliveriesOf(t, journey.id)).to.have.length(2);
      });

      it('an archived journey takes no entries', async () => {
        const journey = await createAndPublish(t, journeyOn('Webinar Registered'));
        const [before, after] = [uniqueId('webinar-before'), uniqueId('webinar-after')];
        await trackAndSettle(t, { userId: before, event: 'Webinar Registered' });
        expect((await lifecycle(t, journey.id, 'archive')).status).to.equal('archived');
        await trackAndSettle(t, { userId: after, event: 'Webinar Registered' });

        expect(await enteredCount(journey.id, before)).to.equal(1);
        expect(await enteredCount(journey.id, after)).to.equal(0);
        expect(await activityOf(t, journey.id, { type: 'entered', userId: after })).to.have.length(0);
        expect(await deliveriesOf(t, journey.id)).to.have.length(1);
      });

      it('a draft journey (never published) takes no entries', async () => {
        const created = await t.api('POST', '/api/v1/journeys', journeyOn('Draft Only Event'));
        expect(created.status).to.equal(201);
        const user = uniqueId('draft');
        await trackAndSettle(t, { userId: user, event: 'Draft Only Event' });
        expect(await enteredCount(created.body.journey.id, user)).to.equal(0);
      });
    });
  });
}
