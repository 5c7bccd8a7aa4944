/**
 * A hold_until step with several branches (product.md / README "hold_until: branches on events and
 * conditions"): whichever branch's event arrives first wins, whether the branches listen to
 * different events or to the same event with exclusive conditions. The instance takes the winning
 * branch's path, the matched event joins the journey context as "<event> - <winning branch>", the
 * event_matched activity (and the step's branch figures) name that branch, and a later event of the
 * other branch changes nothing for that instance: no context entry, no activity, no send.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, track, uniqueId } from './scenario-helpers.ts';
import { DAY, HOUR, MINUTE, onlyInstance, reasonsOf, timelineOf, useClockEngine } from './runtime-helpers.ts';

/** A branch's path: wait an hour (so the instance is still active when the other event arrives), send, exit. */
function pathOf(branch: string, eventName: string) {
  return [
    { id: `cool-off-${branch}`, type: 'delay', wait: { type: 'duration', duration: 'PT1H' }, next: `send-${branch}` },
    { id: `send-${branch}`, type: 'send', eventName, next: `done-${branch}` },
    { id: `done-${branch}`, type: 'exit' },
  ];
}

/** Two branches on different events: plan_upgraded (listed first) or trial_cancelled, else a 7-day timeout. */
function trialOutcome() {
  return {
    name: uniqueId('Trial outcome'),
    entry: { event: 'trial_started' },
    start: 'wait-for-outcome',
    steps: [
      {
        id: 'wait-for-outcome', type: 'hold_until',
        branches: [
          { id: 'upgraded', event: 'plan_upgraded', next: 'cool-off-upgraded' },
          { id: 'cancelled', event: 'trial_cancelled', next: 'cool-off-cancelled' },
        ],
        timeout: { after: 'P7D', next: 'send-expired' },
      },
      ...pathOf('upgraded', 'Pro Welcome'),
      ...pathOf('cancelled', 'Win Back'),
      { id: 'send-expired', type: 'send', eventName: 'Trial Expired', next: 'done-expired' },
      { id: 'done-expired', type: 'exit' },
    ],
  };
}

/** Two branches on the same event, order_rated, with exclusive conditions on the rating (happy ≥ 4 > unhappy). */
function ratingFollowUp() {
  return {
    name: uniqueId('Rating follow-up'),
    entry: { event: 'order_delivered' },
    start: 'wait-for-rating',
    steps: [
      {
        id: 'wait-for-rating', type: 'hold_until',
        branches: [
          { id: 'happy', event: 'order_rated', conditions: [{ path: 'properties.rating', operator: 'gte', value: 4 }], next: 'cool-off-happy' },
          { id: 'unhappy', event: 'order_rated', conditions: [{ path: 'properties.rating', operator: 'lt', value: 4 }], next: 'cool-off-unhappy' },
        ],
        timeout: { after: 'P3D', next: 'done-silent' },
      },
      ...pathOf('happy', 'Ask For Review'),
      ...pathOf('unhappy', 'Apology Coupon'),
      { id: 'done-silent', type: 'exit' },
    ],
  };
}

/** The branch figures of one step (`GET .../stats`), zero counts left out. */
async function branchFigures(t: TestEngine, journeyId: string, stepId: string): Promise<Record<string, number>> {
  const res = await t.api('GET', `/api/v1/journeys/${journeyId}/stats`);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  const branches: Record<string, number> = res.body.stats.steps[stepId]?.branches ?? {};
  return Object.fromEntries(Object.entries(branches).filter(([, n]) => n !== 0));
}

/**
 * Checks an instance that took `branch` of `holdStep` on `event` and now waits in that branch's
 * cool-off delay: the step it is at, the context key, and the one event_matched record naming the branch.
 */
async function expectTook(t: TestEngine, journeyId: string, user: string, holdStep: string, branch: string, event: string, properties: Record<string, unknown>) {
  const instance = await onlyInstance(t, journeyId, user);
  expect(instance.status).to.equal('active');
  expect(instance.currentStep, `the path of branch '${branch}'`).to.equal(`cool-off-${branch}`);
  expect(instance.waiting?.kind).to.equal('delay');
  const key = `${event} - ${branch}`;
  expect(instance.context[key]?.['event']).to.equal(event);
  expect(instance.context[key]?.['properties']).to.deep.equal(properties);

  const { activity } = await timelineOf(t, journeyId, instance.id);
  const matched = activity.filter((a) => a.type === 'event_matched');
  expect(matched, 'exactly one event_matched').to.have.lengthOf(1);
  expect(matched[0]!.stepId).to.equal(holdStep);
  expect(matched[0]!.data).to.deep.include({ branch, contextKey: key });
  expect(matched[0]!.reason).to.equal(`${event} matched branch '${branch}'`);
  return instance;
}

for (const store of STORE_MODES) {
  describe(`Hold until with several branches (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    describe('branches on different events (plan_upgraded or trial_cancelled)', () => {
      it('plan_upgraded first: the instance takes the upgraded path, keyed "plan_upgraded - upgraded"; a later trial_cancelled does nothing', async () => {
        const t = engine();
        const journey = await createAndPublish(t, trialOutcome());
        const user = uniqueId('trialist');
        await track(t, { userId: user, event: 'trial_started', properties: { plan: 'basic' } });
        await t.settle();
        expect((await onlyInstance(t, journey.id, user)).currentStep).to.equal('wait-for-outcome');

        await advance(t, 10 * MINUTE);
        await track(t, { userId: user, event: 'plan_upgraded', properties: { to: 'pro' } });
        await t.settle();
        const took = await expectTook(t, journey.id, user, 'wait-for-outcome', 'upgraded', 'plan_upgraded', { to: 'pro' });
        expect(took.context).to.not.have.property('trial_cancelled - cancelled');

        await advance(t, 10 * MINUTE);
        await track(t, { userId: user, event: 'trial_cancelled', properties: { reason: 'too expensive' } });
        await t.settle();
        const after = await expectTook(t, journey.id, user, 'wait-for-outcome', 'upgraded', 'plan_upgraded', { to: 'pro' });
        expect(after.context, 'the losing branch never joins the context').to.not.have.property('trial_cancelled - cancelled');
        expect(after.waiting?.until, 'the cool-off timer is untouched').to.equal(took.waiting?.until);
        const { activity } = await timelineOf(t, journey.id, after.id);
        expect(activity.map((a) => a.stepId), 'the cancelled path is never reached').to.not.include('cool-off-cancelled');

        await advance(t, HOUR);
        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries.map((d) => d.eventName)).to.deep.equal(['Pro Welcome']);
        expect(Object.keys(deliveries[0]!.payload['properties']['journey_context']).sort()).to.deep.equal(['plan_upgraded - upgraded', 'trial_started']);
        const done = await onlyInstance(t, journey.id, user);
        expect(done.status).to.equal('completed');
        expect(done.endReason).to.equal("reached exit step 'done-upgraded'");

        await advance(t, 7 * DAY);
        expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName), 'the hold timeout never fires').to.deep.equal(['Pro Welcome']);
        expect(await branchFigures(t, journey.id, 'wait-for-outcome')).to.deep.equal({ upgraded: 1 });
      });

      it('trial_cancelled (the branch listed second) arriving first wins, even when plan_upgraded arrives right after it', async () => {
        const t = engine();
        const journey = await createAndPublish(t, trialOutcome());
        const user = uniqueId('trialist');
        await track(t, { userId: user, event: 'trial_started', properties: { plan: 'basic' } });
        await t.settle();

        await advance(t, 10 * MINUTE);
        // Both arrive before the engine processes either: arrival order decides, not the branch order.
        await track(t, { userId: user, event: 'trial_cancelled', properties: { reason: 'too expensive' } });
        await track(t, { userId: user, event: 'plan_upgraded', properties: { to: 'pro' } });
        await t.settle();
        const took = await expectTook(t, journey.id, user, 'wait-for-outcome', 'cancelled', 'trial_cancelled', { reason: 'too expensive' });
        expect(took.context).to.not.have.property('plan_upgraded - upgraded');
        const { activity } = await timelineOf(t, journey.id, took.id);
        expect(reasonsOf(activity, 'event_matched')).to.deep.equal(["trial_cancelled matched branch 'cancelled'"]);

        await advance(t, HOUR);
        expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Win Back']);
        const done = await onlyInstance(t, journey.id, user);
        expect(done.status).to.equal('completed');
        expect(done.endReason).to.equal("reached exit step 'done-cancelled'");
        expect(done.context).to.not.have.property('plan_upgraded - upgraded');
        expect(await branchFigures(t, journey.id, 'wait-for-outcome')).to.deep.equal({ cancelled: 1 });
      });

      it('two users, one per branch: each instance takes its own branch', async () => {
        const t = engine();
        const journey = await createAndPublish(t, trialOutcome());
        const upgrader = uniqueId('upgrader');
        const canceller = uniqueId('canceller');
        await track(t, { userId: upgrader, event: 'trial_started' });
        await track(t, { userId: canceller, event: 'trial_started' });
        await t.settle();
        await track(t, { userId: canceller, event: 'trial_cancelled', properties: { reason: 'no time' } });
        await track(t, { userId: upgrader, event: 'plan_upgraded', properties: { to: 'team' } });
        await t.settle();

        await expectTook(t, journey.id, upgrader, 'wait-for-outcome', 'upgraded', 'plan_upgraded', { to: 'team' });
        await expectTook(t, journey.id, canceller, 'wait-for-outcome', 'cancelled', 'trial_cancelled', { reason: 'no time' });
        await advance(t, HOUR + 1);
        expect((await deliveriesOf(t, journey.id, upgrader)).map((d) => d.eventName)).to.deep.equal(['Pro Welcome']);
        expect((await deliveriesOf(t, journey.id, canceller)).map((d) => d.eventName)).to.deep.equal(['Win Back']);
        expect(await branchFigures(t, journey.id, 'wait-for-outcome')).to.deep.equal({ upgraded: 1, cancelled: 1 });
      });
    });

    describe('two branches on the same event (order_rated) with exclusive conditions', () => {
      it('a rating of 2 takes "unhappy" (keyed "order_rated - unhappy"); a later rating of 5 does nothing to the instance', async () => {
        const t = engine();
        const journey = await createAndPublish(t, ratingFollowUp());
        const user = uniqueId('buyer');
        await track(t, { userId: user, event: 'order_delivered', properties: { order_id: 'o-1' } });
        await t.settle();

        await advance(t, 5 * MINUTE);
        await track(t, { userId: user, event: 'order_rated', properties: { rating: 2 } });
        await t.settle();
        const took = await expectTook(t, journey.id, user, 'wait-for-rating', 'unhappy', 'order_rated', { rating: 2 });
        expect(took.context).to.not.have.property('order_rated - happy');

        await advance(t, 5 * MINUTE);
        await track(t, { userId: user, event: 'order_rated', properties: { rating: 5 } });
        await t.settle();
        const after = await expectTook(t, journey.id, user, 'wait-for-rating', 'unhappy', 'order_rated', { rating: 2 });
        expect(after.context, 'the later rating neither joins nor overwrites the context').to.not.have.property('order_rated - happy');
        const { activity } = await timelineOf(t, journey.id, after.id);
        expect(activity.map((a) => a.stepId)).to.not.include('cool-off-happy');

        await advance(t, HOUR);
        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries.map((d) => d.eventName)).to.deep.equal(['Apology Coupon']);
        expect(deliveries[0]!.payload['properties']['journey_context']['order_rated - unhappy']['properties']).to.deep.equal({ rating: 2 });
        expect((await onlyInstance(t, journey.id, user)).endReason).to.equal("reached exit step 'done-unhappy'");
        expect(await branchFigures(t, journey.id, 'wait-for-rating')).to.deep.equal({ unhappy: 1 });
      });

      it('a rating matching neither branch is ignored with its reason; the next rating (4, the boundary) takes "happy"', async () => {
        const t = engine();
        const journey = await createAndPublish(t, ratingFollowUp());
        const user = uniqueId('buyer');
        await track(t, { userId: user, event: 'order_delivered', properties: { order_id: 'o-2' } });
        await t.settle();

        await track(t, { userId: user, event: 'order_rated', properties: { comment: 'no stars given' } });
        await t.settle();
        const waiting = await onlyInstance(t, journey.id, user);
        expect(waiting.currentStep).to.equal('wait-for-rating');
        expect(waiting.waiting?.kind).to.equal('hold');
        expect(waiting.context).to.not.have.property('order_rated - happy');
        expect(waiting.context).to.not.have.property('order_rated - unhappy');
        const { activity } = await timelineOf(t, journey.id, waiting.id);
        expect(reasonsOf(activity, 'event_ignored')).to.deep.equal(["conditions of branch 'happy', 'unhappy' not met"]);

        await track(t, { userId: user, event: 'order_rated', properties: { rating: 4 } });
        await t.settle();
        const took = await expectTook(t, journey.id, user, 'wait-for-rating', 'happy', 'order_rated', { rating: 4 });
        expect(took.context).to.not.have.property('order_rated - unhappy');

        await track(t, { userId: user, event: 'order_rated', properties: { rating: 1 } });
        await t.settle();
        expect((await onlyInstance(t, journey.id, user)).context).to.not.have.property('order_rated - unhappy');

        await advance(t, HOUR + 1);
        expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Ask For Review']);
        expect((await onlyInstance(t, journey.id, user)).endReason).to.equal("reached exit step 'done-happy'");
        expect(await branchFigures(t, journey.id, 'wait-for-rating')).to.deep.equal({ happy: 1 });
      });
    });
  });
}
