/**
 * "Send back to the start of the step": a hold-until step with `loop: { maxLoops: 2 }` whose
 * branch sends a reminder and returns to the step. Each repeat of the branch event sends once
 * more and restarts the timer; past the loop limit the instance leaves by the timeout path.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, track, uniqueId } from './scenario-helpers.ts';
import { HOUR, MINUTE, engineNow, onlyInstance, reasonsOf, timelineOf, useClockEngine } from './runtime-helpers.ts';

function browseReminders(options: { pauseBeforeReminder?: string } = {}) {
  const pause = options.pauseBeforeReminder
    ? [{ id: 'pause', type: 'delay', wait: { type: 'duration', duration: options.pauseBeforeReminder }, next: 'remind' }]
    : [];
  return {
    name: uniqueId('Browse reminders'),
    entry: { event: 'browse_started' },
    start: 'wait-for-view',
    steps: [
      {
        id: 'wait-for-view', type: 'hold_until', loop: { maxLoops: 2 },
        branches: [{ id: 'viewed', event: 'item_viewed', next: pause.length > 0 ? 'pause' : 'remind' }],
        timeout: { after: 'PT1H', next: 'final-offer' },
        lookback: 'PT5M',
      },
      ...pause,
      { id: 'remind', type: 'send', eventName: 'Item Reminder', next: 'wait-for-view' },
      { id: 'final-offer', type: 'send', eventName: 'Final Offer', next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  };
}

async function viewItem(t: TestEngine, user: string, sku: string): Promise<void> {
  await track(t, { userId: user, event: 'item_viewed', properties: { sku } });
  await t.settle();
}

for (const store of STORE_MODES) {
  describe(`Loops: send back to the start of a hold-until step (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    it('each repeat of the branch event sends once more and restarts the timer, measured from the restart', async () => {
      const t = engine();
      const journey = await createAndPublish(t, browseReminders());
      const user = uniqueId('browser');
      await track(t, { userId: user, event: 'browse_started' });
      await t.settle();
      const entered = await onlyInstance(t, journey.id, user);
      expect(Date.parse(entered.waiting!.until) - Date.parse(entered.enteredAt)).to.equal(HOUR);

      await advance(t, 40 * MINUTE);
      const restartedAt = await engineNow(t);
      await viewItem(t, user, 'sku-1');
      const looped = await onlyInstance(t, journey.id, user);
      expect(looped.currentStep).to.equal('wait-for-view');
      expect(looped.loops).to.deep.equal({ 'wait-for-view': 1 });
      const restartedUntil = Date.parse(looped.waiting!.until);
      expect(restartedUntil - restartedAt).to.be.within(HOUR, HOUR + MINUTE);
      expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Item Reminder']);

      await advance(t, 30 * MINUTE);
      const afterFirstHour = await onlyInstance(t, journey.id, user);
      expect(afterFirstHour.status, 'the first timer (1 h after entry) has passed but was restarted').to.equal('active');
      expect(afterFirstHour.currentStep).to.equal('wait-for-view');
      expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(1);

      await advance(t, restartedUntil - (await engineNow(t)) + 1);
      const timedOut = await onlyInstance(t, journey.id, user);
      expect(timedOut.status).to.equal('completed');
      expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Item Reminder', 'Final Offer']);
      const { activity } = await timelineOf(t, journey.id, timedOut.id);
      expect(reasonsOf(activity, 'looped')).to.deep.equal(["back to the start of 'wait-for-view' (loop 1 of 2)"]);
      expect(activity.filter((a) => a.type === 'timed_out')).to.have.lengthOf(1);
    });

    it('after the loop limit the instance leaves by the timeout path; idempotency keys differ per loop iteration', async () => {
      const t = engine();
      const journey = await createAndPublish(t, browseReminders());
      const user = uniqueId('browser');
      await track(t, { userId: user, event: 'browse_started' });
      await t.settle();

      await advance(t, 10 * MINUTE);
      await viewItem(t, user, 'sku-1');
      await advance(t, 10 * MINUTE);
      await viewItem(t, user, 'sku-2');
      const twice = await onlyInstance(t, journey.id, user);
      expect(twice.status).to.equal('active');
      expect(twice.loops).to.deep.equal({ 'wait-for-view': 2 });

      await advance(t, 10 * MINUTE);
      await viewItem(t, user, 'sku-3');
      const done = await onlyInstance(t, journey.id, user);
      expect(done.status).to.equal('completed');
      expect(done.endReason).to.equal("reached exit step 'done'");
      expect(done.context['item_viewed - viewed']['properties'], 'the latest matched event is kept').to.deep.equal({ sku: 'sku-3' });

      const deliveries = await deliveriesOf(t, journey.id);
      expect(deliveries.map((d) => `${d.stepId}:${d.eventName}`)).to.deep.equal([
        'remind:Item Reminder', 'remind:Item Reminder', 'remind:Item Reminder', 'final-offer:Final Offer',
      ]);
      expect(deliveries.map((d) => d.idempotencyKey)).to.deep.equal([
        `${done.id}:remind:0`, `${done.id}:remind:1`, `${done.id}:remind:2`, `${done.id}:final-offer:3`,
      ]);
      const { activity } = await timelineOf(t, journey.id, done.id);
      expect(reasonsOf(activity, 'looped')).to.deep.equal([
        "back to the start of 'wait-for-view' (loop 1 of 2)",
        "back to the start of 'wait-for-view' (loop 2 of 2)",
        "loop limit of 2 reached: leaving by the timeout path",
      ]);
      expect(activity.map((a) => a.type), 'left by the loop limit, not by a timer').to.not.include('timed_out');

      await advance(t, 2 * HOUR);
      expect(await deliveriesOf(t, journey.id), 'no timer left behind').to.have.lengthOf(4);
    });

    it('returning to the step does not take the event it just matched again (look-back)', async () => {
      const t = engine();
      const journey = await createAndPublish(t, browseReminders());
      const user = uniqueId('browser');
      await track(t, { userId: user, event: 'browse_started' });
      await t.settle();
      await advance(t, 5 * MINUTE);
      await viewItem(t, user, 'sku-1');

      const instance = await onlyInstance(t, journey.id, user);
      expect(instance.loops, 'the look-back on return does not re-match the event just taken').to.deep.equal({ 'wait-for-view': 1 });
      expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(1);
    });

    it('a branch event performed during the pause before the reminder counts when the instance returns (within the look-back)', async () => {
      const t = engine();
      const journey = await createAndPublish(t, browseReminders({ pauseBeforeReminder: 'PT10M' }));
      const user = uniqueId('browser');
      await track(t, { userId: user, event: 'browse_started' });
      await t.settle();
      await viewItem(t, user, 'sku-1');
      expect((await onlyInstance(t, journey.id, user)).currentStep).to.equal('pause');

      await advance(t, 7 * MINUTE);
      await viewItem(t, user, 'sku-2');
      await advance(t, 3 * MINUTE + 1);
      const again = await onlyInstance(t, journey.id, user);
      expect(again.currentStep, 'sku-2 was taken from the look-back at once').to.equal('pause');
      expect(again.loops).to.deep.equal({ 'wait-for-view': 1 });
      expect(again.context['item_viewed - viewed']['properties']).to.deep.equal({ sku: 'sku-2' });

      await advance(t, 10 * MINUTE);
      const waiting = await onlyInstance(t, journey.id, user);
      expect(waiting.currentStep).to.equal('wait-for-view');
      expect(waiting.waiting?.kind).to.equal('hold');
      expect(waiting.loops).to.deep.equal({ 'wait-for-view': 2 });
      expect((await deliveriesOf(t, journey.id)).map((d) => d.idempotencyKey)).to.deep.equal([`${waiting.id}:remind:0`, `${waiting.id}:remind:1`]);
    });
  });
}
