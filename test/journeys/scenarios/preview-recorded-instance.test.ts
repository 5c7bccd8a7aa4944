/**
 * `POST /api/v1/journeys/{id}/steps/{stepId}/preview` with `{"instanceId": …}` (README
 * "Destinations and deliveries"): the preview of a send step for a RECORDED instance is built from
 * that instance's real journey context (its entry event's properties, a hold branch's matched
 * event under "<event> - <branch>") and its profile's traits (only the selected ones), is mapped
 * as the destination action would map it, and sends nothing. An instance id that is unknown,
 * belongs to another journey or to another space, or a malformed body, gets a 4xx with a
 * machine-readable error code.
 */
import { expect } from 'chai';
import { STORE_MODES, type Answer, type TestEngine } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, trackAndSettle, uniqueId, type JourneyView } from './scenario-helpers.ts';
import { HOUR, MINUTE, onlyInstance, useClockEngine } from './runtime-helpers.ts';
import { createDestination, startSink, webhookTarget, type Sink } from '../../delivery-e2e/helpers.ts';

const ENTRY = 'checkout_started';

/**
 * Checkout → hold up to 1 hour for purchase_completed → `thanks` (branch) or `nudge` (timeout),
 * both sends to the webhook destination whose URL is the sink, mapping context and traits.
 */
function cartJourney(destinationId: string, sinkUrl: string) {
  const target = webhookTarget(destinationId);
  return {
    name: uniqueId('Preview cart'),
    entry: { event: ENTRY, reentry: { mode: 'one_active' } },
    start: 'wait-for-purchase',
    steps: [
      {
        id: 'wait-for-purchase', type: 'hold_until',
        branches: [{ id: 'purchased', event: 'purchase_completed', next: 'thanks' }],
        timeout: { after: 'PT1H', next: 'nudge' },
      },
      {
        id: 'nudge', type: 'send', eventName: 'Cart Nudge', target, next: 'done',
        payload: { context: 'all', traits: ['email', 'first_name'] },
        mapping: {
          url: `${sinkUrl}/nudge`,
          data: {
            email: { '@path': '$.context.traits.email' },
            cart: { '@path': '$.properties.journey_context.checkout_started.properties.cart_id' },
            total: { '@path': '$.properties.journey_context.checkout_started.properties.total' },
            subject: { '@template': '{{context.traits.first_name}}, your cart {{properties.journey_context.checkout_started.properties.cart_id}} is waiting' },
            instance: { '@path': '$.context.journey.instance_id' },
          },
        },
      },
      {
        id: 'thanks', type: 'send', eventName: 'Purchase Thanks', target, next: 'done',
        payload: { context: 'all', traits: ['email'] },
        mapping: {
          url: `${sinkUrl}/thanks`,
          data: {
            email: { '@path': '$.context.traits.email' },
            revenue: { '@path': "$.properties.journey_context['purchase_completed - purchased'].properties.revenue" },
            cart: { '@path': '$.properties.journey_context.checkout_started.properties.cart_id' },
          },
        },
      },
      { id: 'done', type: 'exit' },
    ],
  };
}

/** Calls the preview route (with the default space's admin token unless `token` is given). */
function preview(t: TestEngine, journeyId: string, stepId: string, body: unknown, token?: string): Promise<Answer> {
  return t.api('POST', `/api/v1/journeys/${journeyId}/steps/${stepId}/preview`, body, token === undefined ? {} : { token });
}

/** Expects an error answer with this status and machine-readable code (and `path` when given). */
function expectError(res: Answer, status: number, code: string, path?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body.error.code, JSON.stringify(res.body)).to.equal(code);
  if (path !== undefined) expect(res.body.error.path).to.equal(path);
}

for (const store of STORE_MODES) {
  describe(`Send-step preview of a recorded instance [${store}]`, function () {
    this.timeout(20_000);
    const engine = useClockEngine(store);
    let sink: Sink;
    beforeEach(async () => { sink = await startSink(); });
    afterEach(async () => { await sink.close(); });

    /** The cart journey, published, and one user (with traits) waiting in it after a checkout. */
    async function waitingShopper(t: TestEngine): Promise<{ journey: JourneyView; user: string; instanceId: string }> {
      const destinationId = await createDestination(t, { name: uniqueId('hook') });
      const journey = await createAndPublish(t, cartJourney(destinationId, sink.url));
      const user = uniqueId('shopper');
      const identified = await t.ingest('/v1/identify', { userId: user, traits: { email: `${user}@example.com`, first_name: 'Ada', plan: 'pro' } });
      expect(identified.status).to.equal(200);
      await trackAndSettle(t, { userId: user, event: ENTRY, properties: { cart_id: 'c-77', total: 42 } });
      const instance = await onlyInstance(t, journey.id, user);
      expect(instance.currentStep).to.equal('wait-for-purchase');
      return { journey, user, instanceId: instance.id };
    }

    describe('what the preview is built from', () => {
      it("maps the instance's entry event properties and the profile's selected traits, and sends nothing", async () => {
        const t = engine();
        const { journey, user, instanceId } = await waitingShopper(t);

        const res = await preview(t, journey.id, 'nudge', { instanceId });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.problems).to.deep.equal([]);
        expect(res.body.stepId).to.equal('nudge');
        expect(res.body.payload.url).to.equal(`${sink.url}/nudge`);
        expect(res.body.payload.data).to.deep.equal({
          email: `${user}@example.com`, cart: 'c-77', total: 42, subject: 'Ada, your cart c-77 is waiting', instance: instanceId,
        });

        const event = res.body.event;
        expect(event.event).to.equal('Cart Nudge');
        expect(event.userId).to.equal(user);
        expect(event.properties.journey_context[ENTRY].event).to.equal(ENTRY);
        expect(event.properties.journey_context[ENTRY].properties).to.deep.equal({ cart_id: 'c-77', total: 42 });
        expect(event.context.traits, 'only the selected traits').to.deep.equal({ email: `${user}@example.com`, first_name: 'Ada' });
        expect(event.context.journey).to.deep.include({ id: journey.id, instance_id: instanceId, step_id: 'nudge' });
        expect(event.context.journey.activation_key, "the step's activation key").to.equal(
          (journey.definition.steps as Array<{ id: string; activationKey?: string }>).find((s) => s.id === 'nudge')!.activationKey,
        );

        // Nothing was sent or recorded, and the instance did not move.
        expect(sink.requests).to.have.lengthOf(0);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(0);
        const after = await onlyInstance(t, journey.id, user);
        expect(after.currentStep).to.equal('wait-for-purchase');
        expect(after.status).to.equal('active');
      });

      it("the journey context is exactly the instance's: two shoppers' instances preview their own carts", async () => {
        const t = engine();
        const { journey, instanceId } = await waitingShopper(t);
        const other = uniqueId('shopper');
        await trackAndSettle(t, { userId: other, event: ENTRY, properties: { cart_id: 'c-88', total: 7 } });
        const otherInstance = await onlyInstance(t, journey.id, other);

        const mine = await preview(t, journey.id, 'nudge', { instanceId });
        const theirs = await preview(t, journey.id, 'nudge', { instanceId: otherInstance.id });
        expect(mine.status).to.equal(200);
        expect(theirs.status, JSON.stringify(theirs.body)).to.equal(200);
        expect(mine.body.payload.data.cart).to.equal('c-77');
        expect(theirs.body.payload.data.cart).to.equal('c-88');
        expect(theirs.body.payload.data.total).to.equal(7);
        expect(theirs.body.event.properties.journey_context).to.deep.equal(otherInstance.context);
        expect(theirs.body.event.userId).to.equal(other);
        expect(theirs.body.event.context.traits, 'a profile without traits has none').to.deep.equal({});
      });

      it('a completed instance that took a hold branch previews with its "<event> - <branch>" context entry', async () => {
        const t = engine();
        const { journey, user, instanceId } = await waitingShopper(t);
        await advance(t, 10 * MINUTE);
        await trackAndSettle(t, { userId: user, event: 'purchase_completed', properties: { revenue: 99.5 } });
        const done = await onlyInstance(t, journey.id, user);
        expect(done.status).to.equal('completed');

        const res = await preview(t, journey.id, 'thanks', { instanceId });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.problems).to.deep.equal([]);
        expect(res.body.payload.data).to.deep.equal({ email: `${user}@example.com`, revenue: 99.5, cart: 'c-77' });
        expect(res.body.event.properties.journey_context).to.deep.equal(done.context);
        expect(res.body.event.properties.journey_context['purchase_completed - purchased'].properties).to.deep.equal({ revenue: 99.5 });
      });

      it("uses the profile's traits as they are now, not as they were at entry", async () => {
        const t = engine();
        const { journey, user, instanceId } = await waitingShopper(t);
        const identified = await t.ingest('/v1/identify', { userId: user, traits: { first_name: 'Grace' } });
        expect(identified.status).to.equal(200);
        await t.settle();

        const res = await preview(t, journey.id, 'nudge', { instanceId });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.payload.data.subject).to.equal('Grace, your cart c-77 is waiting');
        expect(res.body.payload.data.email).to.equal(`${user}@example.com`);
      });

      it('the preview of a waiting instance matches the send it later makes', async () => {
        const t = engine();
        const { journey, instanceId } = await waitingShopper(t);
        const res = await preview(t, journey.id, 'nudge', { instanceId });
        expect(res.status).to.equal(200);

        await advance(t, HOUR + 1);
        await sink.waitForRequests(1);
        expect(sink.requests[0]!.path).to.equal('/nudge');
        expect(sink.requests[0]!.json).to.deep.equal(res.body.payload.data);
        // The key too: the preview's is the one the send carried (it was '<instance>:<step>:preview': found by an audit).
        expect(sink.requests[0]!.headers['idempotency-key']).to.equal(res.body.event.messageId);
        expect(res.body.event.messageId).to.equal(`${instanceId}:nudge:0`);
      });

      it("a sample event's preview carries the identifier a real entry of it would have", async () => {
        const t = engine();
        await trackAndSettle(t, { userId: uniqueId('seed'), event: 'session_started' });
        const journey = await createAndPublish(t, {
          name: uniqueId('Sessions'),
          entry: { event: 'session_started', reentry: { mode: 'multiple_active', identifier: 'properties.session' } },
          start: 'hello',
          steps: [{ id: 'hello', type: 'send', eventName: 'Hello', payload: { context: 'all' }, next: 'done' }, { id: 'done', type: 'exit' }],
        });
        const res = await preview(t, journey.id, 'hello', { version: 'live', event: { userId: 'u1', properties: { session: 's-9' } } });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.event.context.journey.identifier).to.equal('s-9');
      });
    });

    describe('bad inputs', () => {
      it('an unknown instance id: 404 not_found naming the id', async () => {
        const t = engine();
        const { journey } = await waitingShopper(t);
        const res = await preview(t, journey.id, 'nudge', { instanceId: 'ins_does_not_exist' });
        expectError(res, 404, 'not_found');
        expect(res.body.error.message).to.contain('ins_does_not_exist');
      });

      it('an instance of another journey of the space: 404 not_found', async () => {
        const t = engine();
        const { journey } = await waitingShopper(t);
        const otherJourney = await createAndPublish(t, {
          name: uniqueId('Other journey'), entry: { event: 'signup' }, start: 'nudge',
          steps: [{ id: 'nudge', type: 'send', eventName: 'Welcome', next: 'done' }, { id: 'done', type: 'exit' }],
        });
        const user = uniqueId('member');
        await trackAndSettle(t, { userId: user, event: 'signup' });
        const foreign = await onlyInstance(t, otherJourney.id, user);

        const res = await preview(t, journey.id, 'nudge', { instanceId: foreign.id });
        expectError(res, 404, 'not_found');
        expect(res.body.error.message).to.contain(foreign.id);
        // The same id previews fine on its own journey.
        expect((await preview(t, otherJourney.id, 'nudge', { instanceId: foreign.id })).status).to.equal(200);
      });

      it('an instance of another space: 404 not_found, from either side', async () => {
        const t = engine();
        const { journey, instanceId } = await waitingShopper(t);
        const space = await t.api('POST', '/api/v1/spaces', { name: uniqueId('Other team') }, { token: t.operatorToken });
        expect(space.status, JSON.stringify(space.body)).to.equal(201);
        const adminToken: string = space.body.adminToken.secret;
        const writeKey: string = space.body.writeKey.secret;

        // A journey in the other space, with a send step of the same id, and one instance in it.
        const seeded = await t.ingest('/v1/track', { userId: 'seed', event: ENTRY }, { writeKey });
        expect(seeded.status).to.equal(200);
        await t.settle();
        const created = await t.api('POST', '/api/v1/journeys', {
          name: uniqueId('Other space cart'), entry: { event: ENTRY }, start: 'nudge',
          steps: [{ id: 'nudge', type: 'send', eventName: 'Cart Nudge', next: 'done' }, { id: 'done', type: 'exit' }],
        }, { token: adminToken });
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        const otherJourneyId: string = created.body.journey.id;
        expect((await t.api('POST', `/api/v1/journeys/${otherJourneyId}/publish`, {}, { token: adminToken })).status).to.equal(200);
        const user = uniqueId('other-team-user');
        expect((await t.ingest('/v1/track', { userId: user, event: ENTRY, properties: { cart_id: 'secret' } }, { writeKey })).status).to.equal(200);
        await t.settle();
        const listed = await t.api('GET', `/api/v1/journeys/${otherJourneyId}/instances?userId=${encodeURIComponent(user)}`, undefined, { token: adminToken });
        expect(listed.status, JSON.stringify(listed.body)).to.equal(200);
        expect(listed.body.instances).to.have.lengthOf(1);
        const foreignId: string = listed.body.instances[0].id;

        // This space's journey with the other space's instance.
        const res = await preview(t, journey.id, 'nudge', { instanceId: foreignId });
        expectError(res, 404, 'not_found');
        expect(JSON.stringify(res.body)).to.not.contain('secret');
        // The other space's token with this space's journey and instance.
        expectError(await preview(t, journey.id, 'nudge', { instanceId }, adminToken), 404, 'not_found');
        // The other space's own journey and instance preview fine there.
        const own = await preview(t, otherJourneyId, 'nudge', { instanceId: foreignId }, adminToken);
        expect(own.status, JSON.stringify(own.body)).to.equal(200);
        expect(own.body.event.properties.journey_context[ENTRY].properties).to.deep.equal({ cart_id: 'secret' });
      });

      it('malformed bodies: 400 invalid_request with the path', async () => {
        const t = engine();
        const { journey, instanceId } = await waitingShopper(t);
        expectError(await preview(t, journey.id, 'nudge', { instanceId: '' }), 400, 'invalid_request', '/instanceId');
        expectError(await preview(t, journey.id, 'nudge', { instanceId: 42 }), 400, 'invalid_request', '/instanceId');
        expectError(await preview(t, journey.id, 'nudge', { instanceId, event: { userId: 'x' } }), 400, 'invalid_request', '/instanceId');
        expectError(await preview(t, journey.id, 'nudge', { instanceId, version: 'newest' }), 400, 'invalid_request', '/version');
      });

      it('a step that is not a send, or no such step, with a recorded instance: 400 / 404', async () => {
        const t = engine();
        const { journey, instanceId } = await waitingShopper(t);
        const notSend = await preview(t, journey.id, 'wait-for-purchase', { instanceId });
        expectError(notSend, 400, 'invalid_request', '/stepId');
        expect(notSend.body.error.message).to.contain('hold_until step');
        expectError(await preview(t, journey.id, 'no-such-step', { instanceId }), 404, 'not_found');
      });
    });
  });
}
