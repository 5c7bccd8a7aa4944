import { expect } from 'chai';
import { HOUR_MS, type HourRange } from '../../engine/store/journey-counters.ts';
import { SPACE_A, SPACE_B, T0, useFreshStore, type MakeStore } from './store-fixtures.ts';
import { JOURNEY_1, makeActivity, makeDelivery, makeInstance, materialize, outboxOf } from './runtime-fixtures.ts';

const DAY_MS = 24 * HOUR_MS;
/** T0 is 2025-03-01T12:00Z: midday, so hours on both sides of it are in the same UTC day. */
const at = (ms: number) => new Date(T0 + ms).toISOString();
const hours = (from: number, to: number): HourRange => ({ fromHour: Math.floor((T0 + from) / HOUR_MS), toHour: Math.floor((T0 + to) / HOUR_MS) });

/** Journey figures: counters moved by activity and delivery writes, exactly once, read by time range. */
export function figureStoreContract(makeStore: MakeStore): void {
  describe('journey figures', () => {
    const s = useFreshStore(makeStore);
    const figures = (range: HourRange | null = null, spaceId = SPACE_A, journeyId = JOURNEY_1) => s.store.figures.journey(spaceId, journeyId, range);

    it('counts what activity records say happened, once however often the same records are appended', async () => {
      const records = [
        makeActivity({ type: 'entered', stepId: null, data: null }),
        makeActivity({ type: 'step_reached', stepId: 'wait' }),
        makeActivity({ type: 'waiting', stepId: 'wait', data: { until: at(HOUR_MS) } }),
        makeActivity({ type: 'branch_chosen', stepId: 'split', data: { branch: 'vip' } }),
        makeActivity({ type: 'send_recorded', stepId: 'send', data: null }),
      ];
      const ignored = makeActivity({ type: 'trigger_ignored', instanceId: null, stepId: null, data: { check: 're_entry' } });
      await s.store.activities.append(records);
      await s.store.activities.append(records);
      await s.store.activities.append([ignored]);
      await s.store.activities.append([ignored]);
      const { flows, gauges } = await figures();
      expect(flows).to.deep.equal({
        entered: 1, 'step:wait:reached': 1, 'step:split:branch:vip': 1, 'step:send:sends': 1,
        triggers_ignored: 1, 'triggers_ignored:re_entry': 1,
      });
      expect(gauges).to.deep.equal({ active: 1, 'step:wait:waiting': 1 });
    });

    it('moves gauges down when an instance leaves a wait or ends', async () => {
      await s.store.activities.append([
        makeActivity({ instanceId: 'i1', type: 'entered', stepId: null, data: null }),
        makeActivity({ instanceId: 'i1', type: 'waiting', stepId: 'hold', data: { until: at(HOUR_MS) } }),
        makeActivity({ instanceId: 'i2', type: 'entered', stepId: null, data: null }),
        makeActivity({ instanceId: 'i2', type: 'waiting', stepId: 'hold', data: { until: at(HOUR_MS) } }),
        makeActivity({ instanceId: 'i3', type: 'entered', stepId: null, data: null }),
        makeActivity({ instanceId: 'i3', type: 'waiting', stepId: 'delay', data: { until: at(HOUR_MS) } }),
      ]);
      await s.store.activities.append([
        makeActivity({ instanceId: 'i1', type: 'event_matched', stepId: 'hold', data: { branch: 'paid', contextKey: 'k', leftWait: true } }),
        makeActivity({ instanceId: 'i1', type: 'completed', stepId: 'done', data: { cause: 'exit_step:done' } }),
        makeActivity({ instanceId: 'i2', type: 'exited', stepId: 'hold', data: { cause: 'rule:cancel', leftWait: true } }),
        makeActivity({ instanceId: 'i3', type: 'delay_over', stepId: 'delay', data: { waitedUntil: at(HOUR_MS) } }),
        makeActivity({ instanceId: 'i3', type: 'converted', data: { goal: 'buy', first: true } }),
        makeActivity({ instanceId: 'i3', type: 'converted', data: { goal: 'upsell', first: false } }),
      ]);
      const { flows, gauges } = await figures();
      expect(gauges).to.deep.equal({
        active: 1, 'step:hold:waiting': 0, 'step:delay:waiting': 0, 'instances:completed': 1, 'instances:exited': 1,
      });
      expect(flows).to.include({
        entered: 3, completed: 1, exited: 1, 'exited:rule:cancel': 1, 'step:hold:branch:paid': 1,
        converted: 1, 'converted:buy': 1, 'converted:upsell': 1,
      });
      expect(await s.store.figures.gaugeTotals(['active', 'instances:completed', 'instances:exited', 'nothing'])).to.deep.equal({
        active: 1, 'instances:completed': 1, 'instances:exited': 1, nothing: 0,
      });
    });

    it('counts an outbox once, whether the store applies it with the instance or it is materialized again after a crash', async () => {
      const entered = makeActivity({ instanceId: 'inst-o', type: 'entered', stepId: null, data: null });
      const reached = makeActivity({ instanceId: 'inst-o', type: 'step_reached', stepId: 'first' });
      const instance = makeInstance({ id: 'inst-o', outbox: outboxOf([entered, reached], [makeDelivery({ instanceId: 'inst-o' })]) });
      expect(await s.store.instances.insert(instance)).to.equal('ok');
      await materialize(s.store, instance);
      await materialize(s.store, instance);
      expect((await figures()).flows).to.deep.equal({ entered: 1, 'step:first:reached': 1 });
    });

    it('sums flows over whole hours and days of a range; gauges are now, whatever the range', async () => {
      await s.store.activities.append([
        makeActivity({ type: 'entered', at: at(-3 * HOUR_MS), data: null }),
        makeActivity({ type: 'entered', at: at(0), data: null }),
        makeActivity({ type: 'entered', at: at(30 * 60_000), data: null }),
        makeActivity({ type: 'entered', at: at(2 * HOUR_MS), data: null }),
        makeActivity({ type: 'entered', at: at(2 * DAY_MS), data: null }),
        makeActivity({ type: 'entered', at: at(-5 * DAY_MS), data: null }),
      ]);
      const entered = async (range: HourRange | null) => (await figures(range)).flows['entered'] ?? 0;
      expect(await entered(null), 'all time').to.equal(6);
      expect(await entered(hours(0, HOUR_MS)), 'one hour').to.equal(2);
      expect(await entered(hours(-3 * HOUR_MS, 3 * HOUR_MS)), 'hours within a day').to.equal(4);
      expect(await entered(hours(-6 * DAY_MS, 3 * DAY_MS)), 'days plus edge hours').to.equal(6);
      expect(await entered(hours(-HOUR_MS, 3 * DAY_MS)), 'edge hours on one side').to.equal(4);
      expect(await entered(hours(HOUR_MS, 2 * HOUR_MS))).to.equal(0);
      expect((await figures(hours(5 * DAY_MS, 6 * DAY_MS))).gauges, 'gauges ignore the range').to.deep.equal({ active: 6 });
    });

    it('counts deliveries sent and failed as they settle, and those retrying now', async () => {
      const a = makeDelivery();
      const b = makeDelivery();
      await s.store.deliveries.insertIfAbsent(a);
      await s.store.deliveries.insertIfAbsent(b);
      const retrying = { ...a, status: 'retrying' as const, rev: 1, updatedAt: at(1000) };
      expect(await s.store.deliveries.update(retrying, 0)).to.equal('ok');
      expect(await s.store.deliveries.update({ ...retrying, rev: 2 }, 1)).to.equal('ok');
      expect((await figures()).gauges).to.deep.equal({ 'deliveries:retrying': 1 });
      expect(await s.store.deliveries.update({ ...retrying, status: 'delivered', rev: 3, nextAttemptAt: null }, 2)).to.equal('ok');
      expect(await s.store.deliveries.update({ ...b, status: 'failed', rev: 1, nextAttemptAt: null }, 0)).to.equal('ok');
      expect(await s.store.deliveries.update({ ...b, status: 'delivered', rev: 9 }, 0), 'a stale write counts nothing').to.equal('version_conflict');
      const { flows, gauges } = await figures();
      expect(flows).to.deep.equal({ 'deliveries:sent': 1, 'deliveries:failed': 1 });
      expect(gauges).to.deep.equal({ 'deliveries:retrying': 0 });
    });

    it('keeps journeys and spaces apart, and forgets a deleted space', async () => {
      await s.store.activities.append([
        makeActivity({ type: 'entered', data: null }),
        makeActivity({ type: 'entered', journeyId: 'journey-2', data: null }),
        makeActivity({ type: 'entered', spaceId: SPACE_B, data: null }),
      ]);
      expect((await figures()).flows).to.deep.equal({ entered: 1 });
      expect((await figures(null, SPACE_B, 'journey-2')).flows, 'another space\'s journey').to.deep.equal({});
      expect((await figures(null, SPACE_A, 'journey-2')).flows).to.deep.equal({ entered: 1 });
      await s.store.spaces.deleteSpace(SPACE_A);
      expect(await figures()).to.deep.equal({ flows: {}, gauges: {} });
      expect((await figures(null, SPACE_B)).gauges).to.deep.equal({ active: 1 });
    });
  });
}
