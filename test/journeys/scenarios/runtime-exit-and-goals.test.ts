/**
 * Journey-level rules: exit rules end an instance wherever it is (even mid-delay), matched on the
 * session identifier unless told otherwise, optionally with one send; conversion goals record a
 * conversion within their window and may end the instance. Every decision is in the timeline.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, instancesOf, track, uniqueId } from './scenario-helpers.ts';
import { DAY, HOUR, reasonsOf, sessionOf, onlyInstance, timelineOf, useClockEngine } from './runtime-helpers.ts';

/** Trial started → wait a day → reminder → exit; `rules` adds exit rules and goals. */
function trialReminder(rules: { exitRules?: unknown[]; goals?: unknown[] }) {
  return {
    name: uniqueId('Trial reminder'),
    entry: { event: 'trial_started' },
    start: 'wait-a-day',
    steps: [
      { id: 'wait-a-day', type: 'delay', wait: { type: 'duration', duration: 'P1D' }, next: 'reminder' },
      { id: 'reminder', type: 'send', eventName: 'Trial Reminder', next: 'done' },
      { id: 'done', type: 'exit' },
    ],
    ...rules,
  };
}

/** One session per order_id, each waiting (up to 30 days) for OrderShipped; `exitRules` varies. */
function orderJourney(exitRules: unknown[]) {
  return {
    name: uniqueId('Order follow-up'),
    entry: { event: 'OrderPlaced', reentry: { mode: 'multiple_active', identifier: 'properties.order_id' } },
    start: 'wait-shipped',
    steps: [
      {
        id: 'wait-shipped', type: 'hold_until',
        branches: [{ id: 'shipped', event: 'OrderShipped', next: 'notify-shipped' }],
        timeout: { after: 'P30D', next: 'done' },
      },
      { id: 'notify-shipped', type: 'send', eventName: 'Order Shipped Notification', next: 'done' },
      { id: 'done', type: 'exit' },
    ],
    exitRules,
  };
}

async function twoOrders(t: TestEngine, exitRules: unknown[]) {
  const journey = await createAndPublish(t, orderJourney(exitRules));
  const user = uniqueId('customer');
  await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '1001' } });
  await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '1002' } });
  await t.settle();
  return { journey, user };
}

for (const store of STORE_MODES) {
  describe(`Exit rules and conversion goals (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    describe('exit rules', () => {
      it('an instance waiting on a 1-day delay exits at once when the exit event arrives; its timer later does nothing', async () => {
        const t = engine();
        const journey = await createAndPublish(t, trialReminder({ exitRules: [{ id: 'upgraded', event: 'plan_upgraded' }] }));
        const user = uniqueId('trialist');
        await track(t, { userId: user, event: 'trial_started' });
        await t.settle();
        expect((await onlyInstance(t, journey.id, user)).waiting?.kind).to.equal('delay');

        await advance(t, 3 * HOUR);
        await track(t, { userId: user, event: 'plan_upgraded', properties: { plan: 'pro' } });
        await t.settle();
        const exited = await onlyInstance(t, journey.id, user);
        expect(exited.status).to.equal('exited');
        expect(exited.endReason).to.equal("exit rule 'upgraded' (plan_upgraded)");
        expect(exited.currentStep).to.equal(null);
        expect(exited.waiting).to.equal(null);

        await advance(t, DAY);
        expect(await deliveriesOf(t, journey.id), 'no reminder after the day').to.have.lengthOf(0);
        const after = await timelineOf(t, journey.id, exited.id);
        expect(after.instance.endedAt).to.equal(exited.endedAt);
        expect(after.activity.map((a) => a.type)).to.deep.equal(['entered', 'step_reached', 'waiting', 'exited']);
        expect(after.activity.at(-1)!.reason).to.equal("exit rule 'upgraded' (plan_upgraded)");
      });

      it('an exit event whose conditions do not hold is ignored with the reason, and the instance goes on', async () => {
        const t = engine();
        const journey = await createAndPublish(t, trialReminder({
          exitRules: [{ id: 'upgraded', event: 'plan_upgraded', conditions: [{ path: 'properties.plan', operator: 'equals', value: 'pro' }] }],
        }));
        const user = uniqueId('trialist');
        await track(t, { userId: user, event: 'trial_started' });
        await t.settle();
        await track(t, { userId: user, event: 'plan_upgraded', properties: { plan: 'basic' } });
        await t.settle();

        const instance = await onlyInstance(t, journey.id, user);
        expect(instance.status).to.equal('active');
        expect(reasonsOf((await timelineOf(t, journey.id, instance.id)).activity, 'event_ignored'))
          .to.deep.equal(["exit rule 'upgraded': conditions not met"]);
        await advance(t, DAY + 1);
        expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Trial Reminder']);
      });

      it('matched on the identifier: OrderCancelled with order_id 1001 exits only session 1001; without order_id all exit', async () => {
        const t = engine();
        const { journey, user } = await twoOrders(t, [{ id: 'cancelled', event: 'OrderCancelled' }]);
        const third = uniqueId('other-customer');
        await track(t, { userId: third, event: 'OrderPlaced', properties: { order_id: '1001' } });
        await t.settle();

        await track(t, { userId: user, event: 'OrderCancelled', properties: { order_id: '1001' } });
        await t.settle();
        const one = await sessionOf(t, journey.id, user, '1001');
        const two = await sessionOf(t, journey.id, user, '1002');
        expect(one.status).to.equal('exited');
        expect(one.endReason).to.equal("exit rule 'cancelled' (OrderCancelled)");
        expect(two.status).to.equal('active');
        const twoTimeline = await timelineOf(t, journey.id, two.id);
        expect(reasonsOf(twoTimeline.activity, 'event_ignored')).to.deep.equal([
          "exit rule 'cancelled': identifier 1001 is not this instance's",
        ]);
        for (const { activity } of [twoTimeline, await timelineOf(t, journey.id, one.id)]) {
          const unexplained = activity.filter((a) => typeof a.reason !== 'string' || a.reason.length === 0);
          expect(unexplained.map((a) => a.type), 'every decision has a reason').to.deep.equal([]);
        }
        expect((await onlyInstance(t, journey.id, third)).status, "another user's order 1001 is not touched").to.equal('active');

        await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '1003' } });
        await track(t, { userId: user, event: 'OrderCancelled', properties: { reason: 'account closed' } });
        await t.settle();
        const sessions = await instancesOf(t, journey.id, user);
        expect(sessions).to.have.lengthOf(3);
        expect(sessions.map((s) => s.status)).to.deep.equal(['exited', 'exited', 'exited']);
        expect((await onlyInstance(t, journey.id, third)).status).to.equal('active');
      });

      it('matchIdentifier: false: OrderCancelled with order_id 1001 exits every session of the user', async () => {
        const t = engine();
        const { journey, user } = await twoOrders(t, [{ id: 'account-closed', event: 'OrderCancelled', matchIdentifier: false }]);
        await track(t, { userId: user, event: 'OrderCancelled', properties: { order_id: '1001' } });
        await t.settle();
        for (const id of ['1001', '1002']) {
          const session = await sessionOf(t, journey.id, user, id);
          expect(session.status, `session ${id}`).to.equal('exited');
          expect(session.endReason).to.equal("exit rule 'account-closed' (OrderCancelled)");
        }
      });

      it('a send on exit: only the exiting session sends, once, keyed by instance and rule', async () => {
        const t = engine();
        const { journey, user } = await twoOrders(t, [{
          id: 'cancelled', event: 'OrderCancelled',
          send: { eventName: 'Order Cancelled Notification', payload: { context: ['OrderPlaced'], traits: [] } },
        }]);
        await track(t, { userId: user, event: 'OrderCancelled', properties: { order_id: '1002' } });
        await track(t, { userId: user, event: 'OrderCancelled', properties: { order_id: '1002' } });
        await t.settle();

        const two = await sessionOf(t, journey.id, user, '1002');
        expect(two.status).to.equal('exited');
        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries).to.have.lengthOf(1);
        const [sent] = deliveries;
        expect(sent!.instanceId).to.equal(two.id);
        expect(sent!.eventName).to.equal('Order Cancelled Notification');
        expect(sent!.stepId).to.equal('exit:cancelled');
        expect(sent!.idempotencyKey).to.equal(`${two.id}:exit:cancelled:0`);
        expect(Object.keys(sent!.payload['properties']['journey_context'])).to.deep.equal(['OrderPlaced']);
        expect(sent!.payload['properties']['journey_context']['OrderPlaced']['properties']).to.deep.equal({ order_id: '1002' });
        const { activity } = await timelineOf(t, journey.id, two.id);
        expect(activity.map((a) => a.type).slice(-2)).to.deep.equal(['send_recorded', 'exited']);
        expect((await sessionOf(t, journey.id, user, '1001')).status).to.equal('active');
      });
    });

    describe('conversion goals', () => {
      it('a goal with exitOnConversion ends the instance mid-delay; nothing is sent later', async () => {
        const t = engine();
        const journey = await createAndPublish(t, trialReminder({
          goals: [{ id: 'paid', event: 'subscription_paid', within: 'P7D', exitOnConversion: true }],
        }));
        const user = uniqueId('trialist');
        await track(t, { userId: user, event: 'trial_started' });
        await t.settle();
        await advance(t, 2 * HOUR);
        await track(t, { userId: user, event: 'subscription_paid', properties: { amount: 30 } });
        await t.settle();

        const instance = await onlyInstance(t, journey.id, user);
        expect(instance.status).to.equal('exited');
        expect(instance.endReason).to.equal("converted on goal 'paid'");
        expect(Object.keys(instance.conversions)).to.deep.equal(['paid']);
        const { activity } = await timelineOf(t, journey.id, instance.id);
        expect(activity.map((a) => a.type).slice(-2)).to.deep.equal(['converted', 'exited']);
        expect(reasonsOf(activity, 'converted')).to.deep.equal(["goal 'paid' reached by subscription_paid"]);

        await advance(t, DAY);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(0);
      });

      it('a goal without exitOnConversion records the conversion once and the journey goes on', async () => {
        const t = engine();
        const journey = await createAndPublish(t, trialReminder({
          goals: [{ id: 'paid', event: 'subscription_paid', within: 'P7D', conditions: [{ path: 'properties.amount', operator: 'gt', value: 0 }] }],
        }));
        const user = uniqueId('trialist');
        await track(t, { userId: user, event: 'trial_started' });
        await t.settle();
        await track(t, { userId: user, event: 'subscription_paid', properties: { amount: 0 } });
        await t.settle();
        expect((await onlyInstance(t, journey.id, user)).conversions, 'amount 0 does not meet the goal').to.deep.equal({});

        await advance(t, HOUR);
        await track(t, { userId: user, event: 'subscription_paid', properties: { amount: 30 } });
        await t.settle();
        const converted = await onlyInstance(t, journey.id, user);
        const firstConversion = converted.conversions['paid'];
        expect(firstConversion).to.be.a('string');
        expect(converted.status).to.equal('active');

        await advance(t, HOUR);
        await track(t, { userId: user, event: 'subscription_paid', properties: { amount: 30 } });
        await t.settle();
        await advance(t, DAY);
        const done = await onlyInstance(t, journey.id, user);
        expect(done.status).to.equal('completed');
        expect(done.conversions).to.deep.equal({ paid: firstConversion });
        const { activity, deliveries } = await timelineOf(t, journey.id, done.id);
        expect(activity.filter((a) => a.type === 'converted')).to.have.lengthOf(1);
        expect(reasonsOf(activity, 'event_ignored')).to.deep.equal(["goal 'paid': conditions not met"]);
        expect(deliveries.map((d) => d.eventName)).to.deep.equal(['Trial Reminder']);
      });

      it('a goal event for another session is ignored with the reason; its own session converts and exits', async () => {
        const t = engine();
        const doc = { ...orderJourney([]), goals: [{ id: 'shipped', event: 'OrderShipped', within: 'P7D', exitOnConversion: true }] };
        const journey = await createAndPublish(t, doc);
        const user = uniqueId('customer');
        await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1001 } });
        await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: 1002 } });
        await t.settle();
        await track(t, { userId: user, event: 'OrderShipped', properties: { order_id: 1001 } });
        await t.settle();

        const one = await sessionOf(t, journey.id, user, '1001');
        const two = await sessionOf(t, journey.id, user, '1002');
        expect(one.status).to.equal('exited');
        expect(one.endReason).to.equal("converted on goal 'shipped'");
        expect(await deliveriesOf(t, journey.id), 'the goal ended the session before its hold step could send').to.have.lengthOf(0);
        expect(two.status).to.equal('active');
        expect(two.conversions).to.deep.equal({});
        expect(reasonsOf((await timelineOf(t, journey.id, two.id)).activity, 'event_ignored')).to.deep.equal([
          "goal 'shipped': identifier 1001 is not this instance's",
          "identifier 1001 is not this instance's (1002)",
        ]);
      });
    });
  });
}
