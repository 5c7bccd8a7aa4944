/**
 * A timer that fires late (after an outage, or a test-clock jump past several due times) times
 * what follows from when it was due: the waits after it are timed from then, so every timer that came due
 * fires, in order, and a hold-until reached late still finds, in its look-back, the event that
 * came just before it was due. Records are dated when things ran. Before, a 40-day jump fired
 * only the first of three delays and the next was timed from the jump's end (an audit found it).
 */
import { expect } from 'chai';
import { STORE_MODES } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, track, uniqueId } from './scenario-helpers.ts';
import { DAY, HOUR, MINUTE, engineNow, onlyInstance, timelineOf, useClockEngine } from './runtime-helpers.ts';

for (const store of STORE_MODES) {
  describe(`Timers that fire late time what follows from their due time (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    it('one jump of 40 days fires each of three chained delays, each timed from the one before', async () => {
      const t = engine();
      const send = (id: string, next: string) => ({ id, type: 'send', eventName: id.toUpperCase(), payload: { context: 'all' }, next });
      const journey = await createAndPublish(t, {
        name: uniqueId('Chained delays'),
        entry: { event: 'chain_started' },
        start: 'd1',
        steps: [
          { id: 'd1', type: 'delay', wait: { type: 'duration', duration: 'PT1H' }, next: 's1' }, send('s1', 'd2'),
          { id: 'd2', type: 'delay', wait: { type: 'duration', duration: 'P1D' }, next: 's2' }, send('s2', 'd3'),
          { id: 'd3', type: 'delay', wait: { type: 'duration', duration: 'P7D' }, next: 's3' }, send('s3', 'end'),
          { id: 'end', type: 'exit' },
        ],
      });
      const user = uniqueId('chained');
      const enteredAt = await engineNow(t);
      await track(t, { userId: user, event: 'chain_started' });
      await t.settle();
      await advance(t, 40 * DAY);

      const instance = await onlyInstance(t, journey.id, user);
      expect(instance.status).to.equal('completed');
      const deliveries = await deliveriesOf(t, journey.id, user);
      expect(deliveries.map((d) => d.stepId).sort()).to.deep.equal(['s1', 's2', 's3']);
      const { activity } = await timelineOf(t, journey.id, instance.id);
      const overs = activity.filter((a) => a.type === 'delay_over');
      const due = overs.map((a) => Date.parse(String(a.data?.['waitedUntil'])) - enteredAt);
      // Each due time follows the one before (within the millisecond or two between entry and its stamp).
      expect(due.map((ms) => Math.round(ms / MINUTE))).to.deep.equal([60, 25 * 60, 25 * 60 + 7 * 24 * 60]);
      // Each is dated when it really ran (the jump's end): records stay in the order things happened.
      for (const a of overs) expect(Date.parse(a.at)).to.be.at.least(enteredAt + 40 * DAY);
    });

    it('a hold-until reached late still finds the event from just before it was due', async () => {
      const t = engine();
      const journey = await createAndPublish(t, {
        name: uniqueId('Late hold'),
        entry: { event: 'hold_started' },
        start: 'wait',
        steps: [
          { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'PT10M' }, next: 'hold' },
          { id: 'hold', type: 'hold_until', branches: [{ id: 'bought', event: 'hold_bought', next: 'done' }], timeout: { after: 'PT1H', next: 'done' }, lookback: 'PT5M' },
          { id: 'done', type: 'exit' },
        ],
      });
      const user = uniqueId('late-hold');
      await track(t, { userId: user, event: 'hold_started' });
      await t.settle();
      await advance(t, 7 * MINUTE);
      await track(t, { userId: user, event: 'hold_bought' });
      await t.settle();
      // One jump well past the hold's due time (and past its look-back from the clock's new now).
      await advance(t, HOUR);
      const instance = await onlyInstance(t, journey.id, user);
      expect(instance.status).to.equal('completed');
      const { activity } = await timelineOf(t, journey.id, instance.id);
      expect(activity.find((a) => a.type === 'event_matched')?.reason ?? '').to.contain('look-back');
    });
  });
}
