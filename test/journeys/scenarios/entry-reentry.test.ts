import { expect } from 'chai';
import { startTestEngine, type TestEngine, STORE_MODES } from '../../support/test-engine.ts';
import {
  advance, createAndPublish, ignoredReasons, instancesOf, lifecycle, track, trackAndSettle, uniqueId,
} from './scenario-helpers.ts';

const DAY_MS = 86_400_000;

/** send → exit: every instance ends as soon as it starts. */
function instantJourney(event: string, reentry: Record<string, unknown>) {
  return {
    name: uniqueId(`Instant ${event}`),
    entry: { event, reentry },
    start: 'notify',
    steps: [
      { id: 'notify', type: 'send', eventName: `${event} Notification`, target: null, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  };
}

/** Waits (up to a day) for `closeEvent`, so an instance stays active until that event or the timeout ends it. */
function sessionJourney(event: string, closeEvent: string, entry: Record<string, unknown>, settings?: Record<string, unknown>) {
  return {
    name: uniqueId(`Session ${event}`),
    entry: { event, ...entry },
    start: 'wait',
    steps: [
      {
        id: 'wait', type: 'hold_until',
        branches: [{ id: 'closed', event: closeEvent, next: 'done' }],
        timeout: { after: 'P1D', next: 'done' },
      },
      { id: 'done', type: 'exit' },
    ],
    ...(settings ? { settings } : {}),
  };
}

for (const store of STORE_MODES) {
  describe(`scenario: re-entry [${store}]`, () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine({ testClock: true }, { store }); });
    after(async () => { await t.close(); });

    describe('enter once', () => {
      let journeyId: string;
      before(async () => {
        journeyId = (await createAndPublish(t, instantJourney('Account Created', { mode: 'once' }))).id;
      });

      it('A user enters the welcome journey once; a second trigger after the first instance ended is ignored with the reason', async () => {
        const user = uniqueId('welcome');
        await trackAndSettle(t, { userId: user, event: 'Account Created', properties: { n: 1 } });
        const [first] = await instancesOf(t, journeyId, user);
        expect(first!.status).to.equal('completed');

        await trackAndSettle(t, { userId: user, event: 'Account Created', properties: { n: 2 } });
        const instances = await instancesOf(t, journeyId, user);
        expect(instances.map((i) => i.id)).to.deep.equal([first!.id]);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['entry once: the profile entered this journey before']);
      });

      it('…and also after a new version of the journey is published', async () => {
        const user = uniqueId('welcome-v2');
        await trackAndSettle(t, { userId: user, event: 'Account Created' });
        const edited = instantJourney('Account Created', { mode: 'once' });
        const current = await t.api('GET', `/api/v1/journeys/${journeyId}`);
        const put = await t.api('PUT', `/api/v1/journeys/${journeyId}`, { ...edited, name: current.body.journey.name, description: 'v-next' });
        expect(put.status, JSON.stringify(put.body)).to.equal(200);
        const published = await lifecycle(t, journeyId, 'publish', {});
        expect(published.liveVersion).to.be.greaterThan(1);

        await trackAndSettle(t, { userId: user, event: 'Account Created' });
        const instances = await instancesOf(t, journeyId, user);
        expect(instances).to.have.length(1);
        expect(instances[0]!.version).to.be.lessThan(published.liveVersion!);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['entry once: the profile entered this journey before']);
        // A profile that never entered still enters the new version.
        const newcomer = uniqueId('welcome-new');
        await trackAndSettle(t, { userId: newcomer, event: 'Account Created' });
        const fresh = await instancesOf(t, journeyId, newcomer);
        expect(fresh.map((i) => i.version)).to.deep.equal([published.liveVersion]);
      });

      it('A visitor enters anonymously, then signs in; the same person does not enter again', async () => {
        const user = uniqueId('known');
        const anonymousId = uniqueId('visitor');
        await t.ingest('/v1/identify', { userId: user, traits: { email: `${user}@example.com` } });
        await trackAndSettle(t, { anonymousId, event: 'Account Created' });
        // Signing in joins the anonymous history to the known user.
        await t.ingest('/v1/identify', { userId: user, anonymousId });
        await trackAndSettle(t, { userId: user, event: 'Account Created' });

        expect(await instancesOf(t, journeyId, user)).to.have.length(1);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['entry once: the profile entered this journey before']);
      });
    });

    describe('one active session', () => {
      let journeyId: string;
      before(async () => {
        journeyId = (await createAndPublish(t, sessionJourney('Chat Opened', 'Chat Closed', { reentry: { mode: 'one_active' } }))).id;
      });

      it('a trigger while the instance is active is ignored with the reason; after the instance ends, the profile enters again', async () => {
        const user = uniqueId('chatter');
        await trackAndSettle(t, { userId: user, event: 'Chat Opened', properties: { n: 1 } });
        await trackAndSettle(t, { userId: user, event: 'Chat Opened', properties: { n: 2 } });
        let instances = await instancesOf(t, journeyId, user);
        expect(instances).to.have.length(1);
        expect(instances[0]!.status).to.equal('active');
        expect(instances[0]!.context['Chat Opened'].properties).to.deep.equal({ n: 1 });
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['one active session: an instance is already active']);

        await trackAndSettle(t, { userId: user, event: 'Chat Closed' });
        expect((await instancesOf(t, journeyId, user))[0]!.status).to.equal('completed');

        await trackAndSettle(t, { userId: user, event: 'Chat Opened', properties: { n: 3 } });
        instances = await instancesOf(t, journeyId, user, 'active');
        expect(instances).to.have.length(1);
        expect(instances[0]!.context['Chat Opened'].properties).to.deep.equal({ n: 3 });
        expect(await instancesOf(t, journeyId, user)).to.have.length(2);
      });

      it('an instance that ends by timing out lets the profile enter again', async () => {
        const user = uniqueId('idle-chatter');
        await trackAndSettle(t, { userId: user, event: 'Chat Opened' });
        await advance(t, DAY_MS + 1_000);
        const [ended] = await instancesOf(t, journeyId, user);
        expect(ended!.status).to.equal('completed');
        await trackAndSettle(t, { userId: user, event: 'Chat Opened' });
        expect(await instancesOf(t, journeyId, user, 'active')).to.have.length(1);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal([]);
      });

      it('two triggers in one batch start one instance; the second is recorded as ignored', async () => {
        const user = uniqueId('double-click');
        const res = await t.ingest('/v1/batch', {
          batch: [
            { type: 'track', userId: user, event: 'Chat Opened' },
            { type: 'track', userId: user, event: 'Chat Opened' },
          ],
        });
        expect(res.status).to.equal(200);
        await t.settle();
        expect(await instancesOf(t, journeyId, user)).to.have.length(1);
        expect(await ignoredReasons(t, journeyId, user)).to.have.length(1);
      });

      it('an active instance of the previous version (draining) still blocks a new entry', async () => {
        const user = uniqueId('versioned-chatter');
        await trackAndSettle(t, { userId: user, event: 'Chat Opened' });
        const current = await t.api('GET', `/api/v1/journeys/${journeyId}`);
        const put = await t.api('PUT', `/api/v1/journeys/${journeyId}`, {
          ...sessionJourney('Chat Opened', 'Chat Closed', { reentry: { mode: 'one_active' } }), name: current.body.journey.name,
        });
        expect(put.status, JSON.stringify(put.body)).to.equal(200);
        await lifecycle(t, journeyId, 'publish', { previousVersion: 'drain' });

        await trackAndSettle(t, { userId: user, event: 'Chat Opened' });
        expect(await instancesOf(t, journeyId, user)).to.have.length(1);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['one active session: an instance is already active']);
      });

      it("A visitor's anonymous session is still active after signing in; a trigger as the known user does not start a second one", async () => {
        const user = uniqueId('known-chatter');
        const anonymousId = uniqueId('anon-chatter');
        await t.ingest('/v1/identify', { userId: user });
        await trackAndSettle(t, { anonymousId, event: 'Chat Opened' });
        await t.ingest('/v1/identify', { userId: user, anonymousId });
        await trackAndSettle(t, { userId: user, event: 'Chat Opened' });

        expect(await instancesOf(t, journeyId, user, 'active')).to.have.length(1);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['one active session: an instance is already active']);
      });
    });

    describe('multiple active sessions keyed by properties.order_id (Pushwoosh)', () => {
      let journeyId: string;
      before(async () => {
        journeyId = (await createAndPublish(t, sessionJourney('OrderPlaced', 'OrderDelivered', {
          reentry: { mode: 'multiple_active', identifier: 'properties.order_id' },
        }))).id;
      });

      it('OrderPlaced 1001 starts session 1, 1002 starts session 2; a second OrderPlaced 1001 while session 1 is active does not start another', async () => {
        const user = uniqueId('shopper');
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1001 } });
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1002 } });
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1001, note: 'again' } });
        // The same order id sent as a string is the same session.
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '1001' } });

        const sessions = await instancesOf(t, journeyId, user, 'active');
        expect(sessions.map((s) => s.identifier)).to.have.members(['1001', '1002']);
        const session1 = sessions.find((s) => s.identifier === '1001')!;
        expect(session1.context['OrderPlaced'].properties).to.deep.equal({ order_id: 1001 });
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal([
          'an instance with identifier 1001 is already active',
          'an instance with identifier 1001 is already active',
        ]);
      });

      it('a trigger without order_id does not enter (recorded)', async () => {
        const user = uniqueId('shopper-no-id');
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { total: 10 } });
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '' } });
        expect(await instancesOf(t, journeyId, user)).to.have.length(0);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal([
          "the event has no identifier at 'properties.order_id'",
          "the event has no identifier at 'properties.order_id'",
        ]);
      });

      it('after session 1001 ends, OrderPlaced 1001 starts a new session; session 1002 is untouched', async () => {
        const user = uniqueId('repeat-shopper');
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1001 } });
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1002 } });
        await trackAndSettle(t, { userId: user, event: 'OrderDelivered', properties: { order_id: 1001 } });
        let all = await instancesOf(t, journeyId, user);
        expect(all.filter((i) => i.status === 'completed').map((i) => i.identifier)).to.deep.equal(['1001']);

        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1001 } });
        all = await instancesOf(t, journeyId, user);
        expect(all).to.have.length(3);
        expect(all.filter((i) => i.status === 'active').map((i) => i.identifier)).to.have.members(['1001', '1002']);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal([]);
      });

      it('An anonymous visitor places order 3001 and signs in; OrderPlaced 3001 as the known user does not start a second session, 3002 does', async () => {
        const user = uniqueId('known-shopper');
        const anonymousId = uniqueId('anon-shopper');
        await t.ingest('/v1/identify', { userId: user });
        await trackAndSettle(t, { anonymousId, event: 'OrderPlaced', properties: { order_id: 3001 } });
        await t.ingest('/v1/identify', { userId: user, anonymousId });
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 3001 } });
        await trackAndSettle(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 3002 } });

        expect((await instancesOf(t, journeyId, user, 'active')).map((i) => i.identifier)).to.have.members(['3001', '3002']);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['an instance with identifier 3001 is already active']);
      });

      it('OrderPlaced 2001 and 2002 in one batch start two sessions; a repeat of 2001 in the same batch starts none', async () => {
        const user = uniqueId('batch-shopper');
        const res = await t.ingest('/v1/batch', {
          batch: [2001, 2002, 2001].map((orderId) => ({ type: 'track', userId: user, event: 'OrderPlaced', properties: { order_id: orderId } })),
        });
        expect(res.status).to.equal(200);
        await t.settle();
        expect((await instancesOf(t, journeyId, user)).map((i) => i.identifier)).to.have.members(['2001', '2002']);
        expect(await ignoredReasons(t, journeyId, user)).to.deep.equal(['an instance with identifier 2001 is already active']);
      });
    });

    describe('maxActiveInstancesPerProfile', () => {
      it('with a limit of 2, a third distinct order while two sessions are active is ignored with the reason; once one ends, another may start', async () => {
        const journey = await createAndPublish(t, sessionJourney('Ticket Opened', 'Ticket Resolved', {
          reentry: { mode: 'multiple_active', identifier: 'properties.ticket_id' },
        }, { maxActiveInstancesPerProfile: 2 }));
        const user = uniqueId('customer');
        for (const ticket of ['T1', 'T2', 'T3']) await track(t, { userId: user, event: 'Ticket Opened', properties: { ticket_id: ticket } });
        await t.settle();

        expect((await instancesOf(t, journey.id, user, 'active')).map((i) => i.identifier)).to.have.members(['T1', 'T2']);
        expect(await ignoredReasons(t, journey.id, user)).to.deep.equal(['the profile already has 2 active instances (limit 2)']);

        await trackAndSettle(t, { userId: user, event: 'Ticket Resolved', properties: { ticket_id: 'T1' } });
        await trackAndSettle(t, { userId: user, event: 'Ticket Opened', properties: { ticket_id: 'T4' } });
        expect((await instancesOf(t, journey.id, user, 'active')).map((i) => i.identifier)).to.have.members(['T2', 'T4']);
      });
    });
  });
}
