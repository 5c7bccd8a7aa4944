import { expect } from 'chai';
import { startTestEngine, type TestEngine, STORE_MODES } from '../../support/test-engine.ts';
import {
  createAndPublish, deliveriesOf, ignoredReasons, instancesOf, trackAndSettle, uniqueId, type InstanceView,
} from './scenario-helpers.ts';

/** send → exit: the smallest journey that shows who entered (one delivery per entered profile). */
function forwardJourney(name: string, event: string, entry: Record<string, unknown> = {}) {
  return {
    name,
    entry: { event, ...entry },
    start: 'forward',
    steps: [
      { id: 'forward', type: 'send', eventName: `${event} Forwarded`, target: null, payload: { context: 'all', traits: 'all' }, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  };
}

for (const store of STORE_MODES) {
  describe(`scenario: who enters a journey [${store}]`, () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine({}, { store }); });
    after(async () => { await t.close(); });

    describe('real-time forwarding (Segment)', () => {
      it('A user submits a form; the event is forwarded at once with the event in its payload context, and the instance ends', async () => {
        const journey = await createAndPublish(t, {
          name: uniqueId('Real-time form forwarding'),
          entry: { event: 'Form Submitted', conditions: [{ path: 'properties.form_id', operator: 'exists' }] },
          start: 'forward',
          steps: [
            {
              id: 'forward', type: 'send', eventName: 'Form Submission Forwarded', target: null,
              payload: { context: 'all', traits: ['email'] }, next: 'done',
            },
            { id: 'done', type: 'exit' },
          ],
        });
        const user = uniqueId('form-user');
        await trackAndSettle(t, { userId: user, event: 'Form Submitted', properties: { form_id: 'contact-us', message: 'hello' } });

        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries).to.have.length(1);
        const [delivery] = deliveries;
        expect(delivery!.eventName).to.equal('Form Submission Forwarded');
        expect(delivery!.status).to.equal('skipped'); // no destination: recorded only
        expect(delivery!.payload['userId']).to.equal(user);
        expect(delivery!.payload['properties']['journey_context']['Form Submitted']).to.include({ event: 'Form Submitted', userId: user });
        expect(delivery!.payload['properties']['journey_context']['Form Submitted'].properties).to.deep.equal({ form_id: 'contact-us', message: 'hello' });

        const [instance, ...others] = await instancesOf(t, journey.id, user);
        expect(others).to.have.length(0);
        expect(instance!.status).to.equal('completed');
        expect(delivery!.instanceId).to.equal(instance!.id);
      });
    });

    describe('the performer (default)', () => {
      it('A user completes a purchase; that same user enters the post-purchase journey, and nobody else does', async () => {
        const journey = await createAndPublish(t, forwardJourney(uniqueId('Post-purchase'), 'Purchase Completed'));
        const buyer = uniqueId('buyer');
        const bystander = uniqueId('bystander');
        await trackAndSettle(t, { userId: bystander, event: 'Product Viewed' });
        await trackAndSettle(t, { userId: buyer, event: 'Purchase Completed', properties: { order_id: 'A-1', referrer_id: bystander } });

        const instances = await instancesOf(t, journey.id, buyer);
        expect(instances).to.have.length(1);
        expect(instances[0]!.context['Purchase Completed'].userId).to.equal(buyer);
        expect(await instancesOf(t, journey.id, bystander)).to.have.length(0);
        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries.map((d) => d.payload['userId'])).to.deep.equal([buyer]);
      });

      it('an anonymous visitor enters as the performer too, keyed by the anonymous id', async () => {
        const journey = await createAndPublish(t, forwardJourney(uniqueId('Anonymous welcome'), 'Newsletter Signup'));
        const anonymousId = uniqueId('anon');
        await trackAndSettle(t, { anonymousId, event: 'Newsletter Signup' });
        const res = await t.api('GET', `/api/v1/journeys/${journey.id}/instances?anonymousId=${anonymousId}`);
        expect(res.status).to.equal(200);
        expect(res.body.instances).to.have.length(1);
        expect(res.body.instances[0].context['Newsletter Signup'].anonymousId).to.equal(anonymousId);
      });
    });

    describe('the referrer (Pushwoosh referral program)', () => {
      let journeyId: string;
      before(async () => {
        const journey = await createAndPublish(t, forwardJourney(uniqueId('Referral reward'), 'Signed Up', {
          conditions: [{ path: 'properties.referrer_id', operator: 'exists' }],
          whoEnters: { type: 'property', path: 'properties.referrer_id' },
        }));
        journeyId = journey.id;
      });

      it('User 123 triggers the event and the referrer 456 (from the referrer_id attribute) enters; 123 does not', async () => {
        await trackAndSettle(t, { userId: '123', event: 'Signed Up', properties: { referrer_id: '456', plan: 'free' } });

        const referrer = await instancesOf(t, journeyId, '456');
        expect(referrer).to.have.length(1);
        expect(await instancesOf(t, journeyId, '123')).to.have.length(0);
        // The referrer's journey context still holds the triggering event, performed by 123.
        const trigger = referrer[0]!.context['Signed Up'];
        expect(trigger).to.include({ event: 'Signed Up', userId: '123' });
        expect(trigger.properties).to.deep.equal({ referrer_id: '456', plan: 'free' });

        const deliveries = await deliveriesOf(t, journeyId);
        expect(deliveries.map((d) => d.payload['userId'])).to.deep.equal(['456']);
        expect(deliveries[0]!.payload['properties']['journey_context']['Signed Up'].userId).to.equal('123');
      });

      it("the referrer's send carries the referrer's traits, not those of the user who signed up", async () => {
        const referrer = uniqueId('referrer');
        const referred = uniqueId('referred');
        const identify = async (userId: string, email: string) => {
          const res = await t.ingest('/v1/identify', { userId, traits: { email } });
          expect(res.status).to.equal(200);
        };
        await identify(referrer, `${referrer}@example.com`);
        await identify(referred, `${referred}@example.com`);
        await trackAndSettle(t, { userId: referred, event: 'Signed Up', properties: { referrer_id: referrer } });
        const deliveries = await deliveriesOf(t, journeyId, referrer);
        expect(deliveries).to.have.length(1);
        expect(deliveries[0]!.payload['userId']).to.equal(referrer);
        expect(deliveries[0]!.payload['context']['traits']).to.deep.equal({ email: `${referrer}@example.com` });
      });

      it('a referrer id given as a number enters the user with that id as a string', async () => {
        const performer = uniqueId('referred');
        await trackAndSettle(t, { userId: performer, event: 'Signed Up', properties: { referrer_id: 98765 } });
        const referrer = await instancesOf(t, journeyId, '98765');
        expect(referrer).to.have.length(1);
        expect(referrer[0]!.context['Signed Up'].userId).to.equal(performer);
        expect(await instancesOf(t, journeyId, performer)).to.have.length(0);
      });
    });

    describe('users from an event attribute (Pushwoosh invitation)', () => {
      let journeyId: string;
      before(async () => {
        const journey = await createAndPublish(t, forwardJourney(uniqueId('Invitation fan-out'), 'invitation', {
          whoEnters: { type: 'property', path: 'properties.targetIds' },
        }));
        journeyId = journey.id;
      });

      async function entered(userId: string): Promise<InstanceView[]> {
        return instancesOf(t, journeyId, userId);
      }

      it('targetIds: [1, 2, 3, 4] → users 1, 2, 3 and 4 each enter (numbers read as ids); the inviter does not', async () => {
        const inviter = uniqueId('inviter');
        await trackAndSettle(t, { userId: inviter, event: 'invitation', properties: { targetIds: [1, 2, 3, 4] } });

        for (const id of ['1', '2', '3', '4']) {
          const instances = await entered(id);
          expect(instances, `user ${id}`).to.have.length(1);
          expect(instances[0]!.context['invitation'].userId, `user ${id}`).to.equal(inviter);
        }
        expect(await entered(inviter)).to.have.length(0);
        const deliveries = await deliveriesOf(t, journeyId);
        const invited = deliveries.filter((d) => d.payload['properties']['journey_context']['invitation'].userId === inviter).map((d) => d.payload['userId']);
        expect(invited).to.have.members(['1', '2', '3', '4']);
      });

      it('a user listed twice (even once as a number and once as a string) enters once', async () => {
        const a = uniqueId('guest');
        const b = uniqueId('guest');
        const numeric = 700_000 + Math.floor(Math.random() * 100_000);
        await trackAndSettle(t, {
          userId: uniqueId('inviter'), event: 'invitation', properties: { targetIds: [a, b, a, numeric, String(numeric), b] },
        });
        for (const id of [a, b, String(numeric)]) expect(await entered(id), `user ${id}`).to.have.length(1);
      });

      it('a single id, as a string or as a number, enters that one user', async () => {
        const single = uniqueId('solo');
        const numeric = 800_000 + Math.floor(Math.random() * 100_000);
        await trackAndSettle(t, { userId: uniqueId('inviter'), event: 'invitation', properties: { targetIds: single } });
        await trackAndSettle(t, { userId: uniqueId('inviter'), event: 'invitation', properties: { targetIds: numeric } });
        expect(await entered(single)).to.have.length(1);
        expect(await entered(String(numeric))).to.have.length(1);
      });

      it('an empty list starts nothing and is recorded as trigger_ignored with the reason', async () => {
        const inviter = uniqueId('inviter');
        const before = (await instancesOf(t, journeyId)).length;
        await trackAndSettle(t, { userId: inviter, event: 'invitation', properties: { targetIds: [] } });
        expect(await instancesOf(t, journeyId)).to.have.length(before);
        const reasons = await ignoredReasons(t, journeyId, inviter);
        expect(reasons).to.have.length(1);
        expect(reasons[0]).to.match(/no user ids/).and.to.include('properties.targetIds');
      });

      it('a missing property starts nothing and is recorded as trigger_ignored with the reason', async () => {
        const inviter = uniqueId('inviter');
        const before = (await instancesOf(t, journeyId)).length;
        await trackAndSettle(t, { userId: inviter, event: 'invitation', properties: { note: 'nobody listed' } });
        expect(await instancesOf(t, journeyId)).to.have.length(before);
        expect(await ignoredReasons(t, journeyId, inviter)).to.deep.equal(["no user ids at 'properties.targetIds'"]);
      });

      it('a list without any usable id (null, empty string, object) is ignored like an empty one', async () => {
        const inviter = uniqueId('inviter');
        const before = (await instancesOf(t, journeyId)).length;
        await trackAndSettle(t, { userId: inviter, event: 'invitation', properties: { targetIds: [null, '', { id: 9 }] } });
        expect(await instancesOf(t, journeyId)).to.have.length(before);
        expect((await ignoredReasons(t, journeyId, inviter))[0]).to.match(/no user ids/);
      });
    });
  });
}
