/**
 * The steps one at a time: delays (a duration, a time of day on weekdays in a timezone, a date
 * read from the journey context), data splits, randomized splits and disabled sends.
 */
import { expect } from 'chai';
import { DateTime } from 'luxon';
import { STORE_MODES, type TestEngine } from '../../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, instancesOf, track, uniqueId } from './scenario-helpers.ts';
import { DAY, HOUR, MINUTE, SECOND, engineNow, onlyInstance, reasonsOf, timelineOf, trackBatch, useClockEngine } from './runtime-helpers.ts';

const BERLIN = 'Europe/Berlin';

/** Entry → one step under test → a send named after where the instance went → exit. */
function journeyWith(entryEvent: string, steps: unknown[], start: string) {
  return { name: uniqueId(`Steps ${entryEvent}`), entry: { event: entryEvent }, start, steps: [...steps, { id: 'done', type: 'exit' }] };
}

function send(id: string, eventName: string, extra: Record<string, unknown> = {}) {
  return { id, type: 'send', eventName, next: 'done', ...extra };
}

/** A journey that waits per `wait`, then sends "Reminder". */
function delayJourney(entryEvent: string, wait: Record<string, unknown>) {
  return journeyWith(entryEvent, [{ id: 'wait', type: 'delay', wait, next: 'remind' }, send('remind', 'Reminder')], 'wait');
}

/** Moves the engine clock to `at` (ms), which must be in its future. */
async function advanceTo(t: TestEngine, at: number): Promise<void> {
  const now = await engineNow(t);
  expect(at, 'the test clock only moves forward').to.be.greaterThan(now);
  await advance(t, at - now);
}

/** The first instant after `from` whose wall clock in `zone` matches `weekday` (1 = Monday) and `hour`:00. */
function nextWallClock(from: number, zone: string, weekday: number, hour: number): DateTime {
  let day = DateTime.fromMillis(from, { zone }).startOf('day');
  for (;;) {
    const candidate = day.set({ hour });
    if (candidate.weekday === weekday && candidate.toMillis() > from) return candidate;
    day = day.plus({ days: 1 });
  }
}

for (const store of STORE_MODES) {
  describe(`Steps (runtime scenario) [${store}]`, () => {
    const engine = useClockEngine(store);

    describe('delay', () => {
      it('by a duration: P1D fires after a day, not a second before', async () => {
        const t = engine();
        const journey = await createAndPublish(t, delayJourney('trial_started', { type: 'duration', duration: 'P1D' }));
        const user = uniqueId('user');
        await track(t, { userId: user, event: 'trial_started' });
        await t.settle();
        const waiting = await onlyInstance(t, journey.id, user);
        expect(waiting.waiting?.kind).to.equal('delay');
        const until = Date.parse(waiting.waiting!.until);
        expect(until - Date.parse(waiting.enteredAt)).to.equal(DAY);

        await advanceTo(t, until - SECOND);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(0);
        await advance(t, SECOND + 1);
        expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Reminder']);
        expect((await onlyInstance(t, journey.id, user)).status).to.equal('completed');
      });

      it('until 09:00 Europe/Berlin on weekdays: entered on Saturday at noon, it fires on Monday at 09:00 Berlin time', async () => {
        const t = engine();
        const journey = await createAndPublish(t, delayJourney('newsletter_signup', {
          type: 'time_of_day', time: '09:00', timezone: BERLIN, weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
        }));
        const saturdayNoon = nextWallClock(await engineNow(t), BERLIN, 6, 12);
        await advanceTo(t, saturdayNoon.toMillis());
        const user = uniqueId('user');
        await track(t, { userId: user, event: 'newsletter_signup' });
        await t.settle();

        const expected = saturdayNoon.plus({ days: 2 }).set({ hour: 9 });
        expect(expected.weekday).to.equal(1);
        const waiting = await onlyInstance(t, journey.id, user);
        expect(Date.parse(waiting.waiting!.until)).to.equal(expected.toMillis());

        await advanceTo(t, expected.toMillis() - MINUTE);
        expect(await deliveriesOf(t, journey.id), 'not on Sunday, not before 09:00 on Monday').to.have.lengthOf(0);
        await advance(t, MINUTE + 1);
        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries).to.have.lengthOf(1);
        expect(DateTime.fromISO(deliveries[0]!.payload['timestamp'], { zone: BERLIN }).toFormat('ccc HH:mm')).to.equal('Mon 09:00');
      });

      it('until 09:00 Europe/Berlin (every day): entered at 08:30 it fires the same morning, entered at 09:30 the next', async () => {
        const t = engine();
        const journey = await createAndPublish(t, delayJourney('newsletter_signup', { type: 'time_of_day', time: '09:00', timezone: BERLIN }));
        const wednesday = nextWallClock(await engineNow(t), BERLIN, 3, 8).set({ minute: 30 });
        await advanceTo(t, wednesday.toMillis());
        const early = uniqueId('early');
        await track(t, { userId: early, event: 'newsletter_signup' });
        await t.settle();
        await advance(t, HOUR);
        const late = uniqueId('late');
        await track(t, { userId: late, event: 'newsletter_signup' });
        await t.settle();

        const earlyInstance = await onlyInstance(t, journey.id, early);
        expect(earlyInstance.status, 'the 09:00 timer already fired for the early bird').to.equal('completed');
        const lateInstance = await onlyInstance(t, journey.id, late);
        expect(Date.parse(lateInstance.waiting!.until)).to.equal(wednesday.plus({ days: 1 }).set({ hour: 9, minute: 0 }).toMillis());
      });

      it('until 09:00 Europe/Berlin across the spring DST change: Monday 09:00 CEST is 07:00 UTC', async () => {
        const t = engine();
        const journey = await createAndPublish(t, delayJourney('newsletter_signup', {
          type: 'time_of_day', time: '09:00', timezone: BERLIN, weekdays: ['mon'],
        }));
        const now = await engineNow(t);
        let year = DateTime.fromMillis(now, { zone: BERLIN }).year;
        const dstMonday = (y: number) => {
          const lastSunday = DateTime.fromObject({ year: y, month: 3, day: 31 }, { zone: BERLIN });
          return lastSunday.minus({ days: lastSunday.weekday % 7 }).plus({ days: 1 }).set({ hour: 9 });
        };
        while (dstMonday(year).minus({ days: 3 }).toMillis() <= now) year += 1;
        const monday = dstMonday(year);
        await advanceTo(t, monday.minus({ days: 3 }).set({ hour: 10 }).toMillis());
        const user = uniqueId('user');
        await track(t, { userId: user, event: 'newsletter_signup' });
        await t.settle();

        const until = (await onlyInstance(t, journey.id, user)).waiting!.until;
        expect(until).to.equal(`${monday.toISODate()}T07:00:00.000Z`);
      });

      it('until a date read from the journey context (one day before the appointment)', async () => {
        const t = engine();
        const journey = await createAndPublish(t, delayJourney('appointment_booked', {
          type: 'property', path: 'context.appointment_booked.properties.appointment_at', offset: '-P1D',
        }));
        const appointment = new Date((await engineNow(t)) + 3 * DAY).toISOString();
        const user = uniqueId('patient');
        await track(t, { userId: user, event: 'appointment_booked', properties: { appointment_at: appointment } });
        await t.settle();

        const until = Date.parse((await onlyInstance(t, journey.id, user)).waiting!.until);
        expect(until).to.equal(Date.parse(appointment) - DAY);
        await advanceTo(t, until - MINUTE);
        expect(await deliveriesOf(t, journey.id)).to.have.lengthOf(0);
        await advance(t, MINUTE + 1);
        expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Reminder']);
      });

      it('until a date from the profile traits (the renewal date)', async () => {
        const t = engine();
        const journey = await createAndPublish(t, delayJourney('plan_chosen', { type: 'property', path: 'traits.renewal_date', offset: '-P7D' }));
        const user = uniqueId('subscriber');
        const renewal = new Date((await engineNow(t)) + 30 * DAY).toISOString();
        expect((await t.ingest('/v1/identify', { userId: user, traits: { renewal_date: renewal } })).status).to.equal(200);
        await track(t, { userId: user, event: 'plan_chosen' });
        await t.settle();
        expect(Date.parse((await onlyInstance(t, journey.id, user)).waiting!.until)).to.equal(Date.parse(renewal) - 7 * DAY);
      });

      it('until a date from the context: a missing or past date continues at once, with the reason', async () => {
        const t = engine();
        const path = 'context.appointment_booked.properties.appointment_at';
        const journey = await createAndPublish(t, delayJourney('appointment_booked', { type: 'property', path, offset: '-P1D' }));
        const missing = uniqueId('no-date');
        const past = uniqueId('too-soon');
        await track(t, { userId: missing, event: 'appointment_booked', properties: { doctor: 'Who' } });
        await track(t, { userId: past, event: 'appointment_booked', properties: { appointment_at: new Date((await engineNow(t)) + 12 * HOUR).toISOString() } });
        await t.settle();

        for (const [user, reason] of [[missing, `not waiting: no date at '${path}'`], [past, `not waiting: the date at '${path}' is already past`]] as const) {
          const instance = await onlyInstance(t, journey.id, user);
          expect(instance.status, user).to.equal('completed');
          const { activity, deliveries } = await timelineOf(t, journey.id, instance.id);
          expect(reasonsOf(activity, 'waiting')).to.deep.equal([reason]);
          expect(deliveries.map((d) => d.eventName)).to.deep.equal(['Reminder']);
        }
      });
    });

    describe('data split', () => {
      it('the first matching branch wins: audience membership, then traits, then journey context, else everyone else', async () => {
        const t = engine();
        const created = await t.api('POST', '/api/v1/audiences', { name: uniqueId('VIP') });
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        const vipAudience = created.body.audience.id as string;
        const users = { vip: uniqueId('vip'), pro: uniqueId('pro'), bigCart: uniqueId('big-cart'), other: uniqueId('other') };
        const traits: Record<string, Record<string, unknown>> = {
          [users.vip]: { plan: 'pro' }, [users.pro]: { plan: 'pro' }, [users.bigCart]: { plan: 'free' }, [users.other]: { plan: 'free' },
        };
        for (const [userId, userTraits] of Object.entries(traits)) {
          expect((await t.ingest('/v1/identify', { userId, traits: userTraits })).status).to.equal(200);
        }
        await t.settle();
        const added = await t.api('POST', `/api/v1/audiences/${vipAudience}/members`, { add: [{ userId: users.vip }] });
        expect(added.status, JSON.stringify(added.body)).to.equal(200);

        const journey = await createAndPublish(t, journeyWith('cart_viewed', [
          {
            id: 'route', type: 'data_split',
            branches: [
              { id: 'vip', audiences: [{ audienceId: vipAudience, member: true }], next: 'send-vip' },
              { id: 'pro', conditions: [{ path: 'traits.plan', operator: 'equals', value: 'pro' }], next: 'send-pro' },
              { id: 'big-cart', conditions: [{ path: 'context.cart_viewed.properties.total', operator: 'gt', value: 100 }], next: 'send-big-cart' },
            ],
            otherwise: { next: 'send-other' },
          },
          send('send-vip', 'VIP Offer'), send('send-pro', 'Pro Offer'), send('send-big-cart', 'Big Cart Offer'), send('send-other', 'Generic Offer'),
        ], 'route'));
        const totals = { [users.vip]: 500, [users.pro]: 500, [users.bigCart]: 250, [users.other]: 10 };
        for (const [userId, total] of Object.entries(totals)) await track(t, { userId, event: 'cart_viewed', properties: { total } });
        await t.settle();

        const expected = [[users.vip, 'VIP Offer', "branch 'vip': its conditions hold"], [users.pro, 'Pro Offer', "branch 'pro': its conditions hold"],
          [users.bigCart, 'Big Cart Offer', "branch 'big-cart': its conditions hold"], [users.other, 'Generic Offer', 'everyone else: no branch matched']];
        for (const [userId, eventName, reason] of expected) {
          const instance = await onlyInstance(t, journey.id, userId!);
          const { activity, deliveries } = await timelineOf(t, journey.id, instance.id);
          expect(deliveries.map((d) => d.eventName), userId).to.deep.equal([eventName]);
          expect(reasonsOf(activity, 'branch_chosen'), userId).to.deep.equal([reason]);
        }
      });
      it('reads an event captured by a hold-until step from the journey context ("OrderReady - ready")', async () => {
        const t = engine();
        const journey = await createAndPublish(t, journeyWith('OrderPlaced', [
          { id: 'wait-ready', type: 'hold_until', branches: [{ id: 'ready', event: 'OrderReady', next: 'how' }], timeout: { after: 'P1D', next: 'done' } },
          {
            id: 'how', type: 'data_split',
            branches: [{ id: 'pickup', conditions: [{ path: 'context["OrderReady - ready"].properties.method', operator: 'equals', value: 'pickup' }], next: 'send-pickup' }],
            otherwise: { next: 'send-courier' },
          },
          send('send-pickup', 'Ready For Pickup'), send('send-courier', 'Out For Delivery'),
        ], 'wait-ready'));
        const [collector, courier] = [uniqueId('collector'), uniqueId('courier')];
        for (const [userId, method] of [[collector, 'pickup'], [courier, 'courier']] as const) {
          await track(t, { userId, event: 'OrderPlaced', properties: { order_id: 'o-1' } });
          await track(t, { userId, event: 'OrderReady', properties: { order_id: 'o-1', method } });
        }
        await t.settle();
        for (const [userId, eventName] of [[collector, 'Ready For Pickup'], [courier, 'Out For Delivery']] as const) {
          const instance = await onlyInstance(t, journey.id, userId);
          expect((await timelineOf(t, journey.id, instance.id)).deliveries.map((d) => d.eventName), userId).to.deep.equal([eventName]);
        }
      });
    });

    describe('randomized split', () => {
      // Fewer on the MongoDB-compatible test server (FerretDB writes one document at a time); the bounds hold either way.
      const splitInstances = store === 'mongodb' ? 200 : 400;
      it(`50/50 over ${splitInstances} instances: each branch gets between 35% and 65%`, async function () {
        this.timeout(60_000);
        const t = engine();
        const journey = await createAndPublish(t, journeyWith('app_opened', [
          { id: 'split', type: 'random_split', branches: [{ id: 'a', percent: 50, next: 'send-a' }, { id: 'b', percent: 50, next: 'send-b' }] },
          send('send-a', 'Variant A'), send('send-b', 'Variant B'),
        ], 'split'));
        const run = uniqueId('run');
        await trackBatch(t, Array.from({ length: splitInstances }, (_, i) => ({ userId: `${run}-${i}`, event: 'app_opened' })));
        await t.settle();

        const deliveries = await deliveriesOf(t, journey.id);
        expect(deliveries).to.have.lengthOf(splitInstances);
        const a = deliveries.filter((d) => d.eventName === 'Variant A').length;
        const b = deliveries.filter((d) => d.eventName === 'Variant B').length;
        expect(a + b).to.equal(splitInstances);
        expect(a, `Variant A got ${a} of ${splitInstances}`).to.be.within(splitInstances * 0.35, splitInstances * 0.65);
        expect(b, `Variant B got ${b} of ${splitInstances}`).to.be.within(splitInstances * 0.35, splitInstances * 0.65);
      });

      it('sticky: a profile that enters again gets the same branch every time', async function () {
        this.timeout(60_000);
        const t = engine();
        const journey = await createAndPublish(t, journeyWith('app_opened', [
          { id: 'split', type: 'random_split', sticky: true, branches: [{ id: 'a', percent: 50, next: 'send-a' }, { id: 'b', percent: 50, next: 'send-b' }] },
          send('send-a', 'Variant A'), send('send-b', 'Variant B'),
        ], 'split'));
        const run = uniqueId('run');
        const users = Array.from({ length: 20 }, (_, i) => `${run}-${i}`);
        for (let round = 0; round < 3; round++) {
          await trackBatch(t, users.map((userId) => ({ userId, event: 'app_opened' })));
          await t.settle();
        }

        const byProfile = new Map<string, string[]>();
        for (const d of await deliveriesOf(t, journey.id)) byProfile.set(d.profileId, [...(byProfile.get(d.profileId) ?? []), d.eventName]);
        expect(byProfile.size).to.equal(20);
        for (const [profileId, variants] of byProfile) {
          expect(variants, `profile ${profileId} entered three times`).to.have.lengthOf(3);
          expect(new Set(variants).size, `profile ${profileId} got ${variants.join(', ')}`).to.equal(1);
        }
        const counts = [...byProfile.values()].map((v) => v[0]);
        expect(new Set(counts), 'both branches are used across profiles').to.deep.equal(new Set(['Variant A', 'Variant B']));
        expect(await instancesOf(t, journey.id, users[0]!)).to.have.lengthOf(3);
      });
    });

    describe('send', () => {
      it('a disabled send step is recorded as skipped and delivers nothing; the journey goes on', async () => {
        const t = engine();
        const journey = await createAndPublish(t, journeyWith('signed_up', [
          { ...send('welcome', 'Welcome'), enabled: false, next: 'follow-up' },
          send('follow-up', 'Follow Up'),
        ], 'welcome'));
        const user = uniqueId('user');
        await track(t, { userId: user, event: 'signed_up' });
        await t.settle();

        const instance = await onlyInstance(t, journey.id, user);
        expect(instance.status).to.equal('completed');
        const { activity, deliveries } = await timelineOf(t, journey.id, instance.id);
        expect(deliveries.map((d) => d.stepId)).to.deep.equal(['follow-up']);
        const skipped = activity.filter((a) => a.type === 'send_skipped');
        expect(skipped.map((a) => [a.stepId, a.reason])).to.deep.equal([['welcome', 'the send is disabled']]);
        expect((await deliveriesOf(t, journey.id)).map((d) => d.eventName)).to.deep.equal(['Follow Up']);
      });
    });
  });
}
