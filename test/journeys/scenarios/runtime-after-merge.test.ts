/**
 * An instance started by an anonymous visitor who then identifies: runs that no event brings
 * (timers) use the profile it was merged into, so a data split sees the user's traits, a send
 * carries them, and a hold-until's look-back finds the user's events. Before, a timer run read the
 * merged-away anonymous profile: no traits, no userId, no events (an audit found it).
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, track, uniqueId } from './scenario-helpers.ts';
import { MINUTE, HOUR, useClockEngine } from './runtime-helpers.ts';

/**
 * A known user browses anonymously, performs `event` (entering on the anonymous profile), then
 * identifies, so the anonymous profile joins the user's; answers the user id.
 */
async function entersAnonymouslyThenIdentifies(t: TestEngine, event: string, traits: (user: string) => Record<string, unknown> = () => ({})): Promise<string> {
  const [user, anon] = [uniqueId('user'), uniqueId('anon')];
  expect((await t.ingest('/v1/identify', { userId: user, traits: traits(user) })).status).to.equal(200);
  await track(t, { anonymousId: anon, event });
  await t.settle();
  expect((await t.ingest('/v1/identify', { userId: user, anonymousId: anon })).status).to.equal(200);
  await t.settle();
  return user;
}

for (const store of STORE_MODES) {
  describe(`A run after the instance's profile was merged (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    it('a timer run splits on the merged traits and the send carries them', async () => {
      const t = engine();
      const journey = await createAndPublish(t, {
        name: uniqueId('Merged split'),
        entry: { event: 'checkout_started', reentry: { mode: 'one_active' } },
        start: 'wait',
        steps: [
          { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'PT1H' }, next: 'split' },
          {
            id: 'split', type: 'data_split',
            branches: [{ id: 'pro', conditions: [{ path: 'traits.plan', operator: 'equals', value: 'pro' }], next: 'send-pro' }],
            otherwise: { next: 'send-other' },
          },
          { id: 'send-pro', type: 'send', eventName: 'Pro Nudge', payload: { context: 'all', traits: ['email', 'plan'] }, next: 'done' },
          { id: 'send-other', type: 'send', eventName: 'Other Nudge', payload: { context: 'all', traits: ['email', 'plan'] }, next: 'done' },
          { id: 'done', type: 'exit' },
        ],
      });
      const user = await entersAnonymouslyThenIdentifies(t, 'checkout_started', (u) => ({ email: `${u}@example.com`, plan: 'pro' }));

      await advance(t, HOUR + 1);
      const [sent, ...more] = await deliveriesOf(t, journey.id);
      expect(more).to.deep.equal([]);
      expect(sent!.stepId).to.equal('send-pro');
      expect(sent!.payload['userId']).to.equal(user);
      expect(sent!.payload['context']['traits']).to.deep.equal({ email: `${user}@example.com`, plan: 'pro' });
      // A preview of the recorded instance uses the same, live profile.
      const preview = await t.api('POST', `/api/v1/journeys/${journey.id}/steps/send-pro/preview`, { version: 'live', instanceId: sent!.instanceId });
      expect(preview.status, JSON.stringify(preview.body)).to.equal(200);
      expect(JSON.stringify(preview.body)).to.contain(`${user}@example.com`);
    });

    it('a sticky random split gives the same branch on re-entry after the anonymous profile joined the user', async () => {
      const t = engine();
      const journey = await createAndPublish(t, {
        name: uniqueId('Merged sticky'),
        entry: { event: 'sticky_go', reentry: { mode: 'one_active' } },
        start: 'split',
        steps: [
          { id: 'split', type: 'random_split', sticky: true, branches: [{ id: 'a', percent: 50, next: 'done' }, { id: 'b', percent: 50, next: 'done' }] },
          { id: 'done', type: 'exit' },
        ],
      });
      // Six people: by chance alone all six would keep their branch once in 64 runs.
      for (let n = 0; n < 6; n++) {
        const user = await entersAnonymouslyThenIdentifies(t, 'sticky_go');
        await track(t, { userId: user, event: 'sticky_go' });
        await t.settle();
        const res = await t.api('GET', `/api/v1/journeys/${journey.id}/activity?userId=${user}&type=branch_chosen`);
        const branches = res.body.activity.map((a: { data: { branch: string } }) => a.data.branch);
        expect(branches, user).to.have.lengthOf(2);
        expect(branches[0], `${user}: both entries, before and after the merge`).to.equal(branches[1]);
      }
    });

    it("a hold-until reached by a timer finds, in its look-back, an event the user performed under the merged id", async () => {
      const t = engine();
      const journey = await createAndPublish(t, {
        name: uniqueId('Merged look-back'),
        entry: { event: 'cart_viewed', reentry: { mode: 'one_active' } },
        start: 'wait',
        steps: [
          { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'PT10M' }, next: 'hold' },
          { id: 'hold', type: 'hold_until', branches: [{ id: 'bought', event: 'cart_bought', next: 'done' }], timeout: { after: 'PT1H', next: 'done' }, lookback: 'PT15M' },
          { id: 'done', type: 'exit' },
        ],
      });
      const user = await entersAnonymouslyThenIdentifies(t, 'cart_viewed');
      await advance(t, 5 * MINUTE);
      await track(t, { userId: user, event: 'cart_bought' });
      await t.settle();
      await advance(t, 5 * MINUTE + 1);
      const res = await t.api('GET', `/api/v1/journeys/${journey.id}/instances?userId=${user}`);
      expect(res.body.instances.map((i: { status: string }) => i.status)).to.deep.equal(['completed']);
      const timeline = await t.api('GET', `/api/v1/instances/${res.body.instances[0].id}/timeline`);
      expect(JSON.stringify(timeline.body)).to.contain('cart_bought - bought');
    });
  });
}
