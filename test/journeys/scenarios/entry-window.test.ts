import { expect } from 'chai';
import { startTestEngine, type TestEngine, STORE_MODES } from '../../support/test-engine.ts';
import { createAndPublish, ensureInCatalog, ignoredReasons, instancesOf, track, uniqueId } from './scenario-helpers.ts';

/** send → exit, open from 00:00 on `startDate` to the end of 23:59 on `endDate` in `timezone`. */
function windowJourney(event: string, startDate: string, endDate: string, timezone: string) {
  return {
    name: uniqueId(`${event} campaign`),
    entry: { event, availability: { type: 'window', startDate, endDate, timezone }, reentry: { mode: 'one_active' } },
    start: 'notify',
    steps: [
      { id: 'notify', type: 'send', eventName: `${event} Notification`, target: null, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  };
}

for (const store of STORE_MODES) {
  describe(`scenario: entry availability window (IANA timezone, decided by the event timestamp) [${store}]`, () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine({}, { store }); });
    after(async () => { await t.close(); });

    /**
     * Sends one trigger per timestamp (each from its own user), then answers, per timestamp,
     * whether that user entered and the reason recorded when not.
     */
    async function triggerAt(journeyId: string, event: string, timestamps: string[]): Promise<Map<string, { entered: boolean; reasons: string[] }>> {
      const users = timestamps.map((ts) => [ts, uniqueId(`at-${ts}`)] as const);
      for (const [timestamp, userId] of users) await track(t, { userId, event, timestamp });
      await t.settle();
      const out = new Map<string, { entered: boolean; reasons: string[] }>();
      for (const [timestamp, userId] of users) {
        out.set(timestamp, {
          entered: (await instancesOf(t, journeyId, userId)).length === 1,
          reasons: await ignoredReasons(t, journeyId, userId),
        });
      }
      return out;
    }

    function expectInside(result: Map<string, { entered: boolean; reasons: string[] }>, timestamp: string): void {
      const r = result.get(timestamp)!;
      expect(r.entered, `${timestamp} should be inside the window`).to.equal(true);
      expect(r.reasons, timestamp).to.deep.equal([]);
    }

    function expectOutside(result: Map<string, { entered: boolean; reasons: string[] }>, timestamp: string, reason: RegExp): void {
      const r = result.get(timestamp)!;
      expect(r.entered, `${timestamp} should be outside the window`).to.equal(false);
      expect(r.reasons, timestamp).to.have.length(1);
      expect(r.reasons[0], timestamp).to.match(reason);
    }

    it('Europe/Berlin, 2026-03-29 (spring forward) to 2026-10-25 (fall back): opens at 00:00 CET on the 29th, closes after 23:59:59.999 CET on the 25th', async () => {
      const journey = await createAndPublish(t, windowJourney('Summer Sale Viewed', '2026-03-29', '2026-10-25', 'Europe/Berlin'));
      const result = await triggerAt(journey.id, 'Summer Sale Viewed', [
        '2026-03-28T22:59:59.999Z', // 23:59:59.999 on the 28th in Berlin (UTC+1)
        '2026-03-28T23:00:00.000Z', // 00:00 on the 29th in Berlin
        '2026-03-29T01:30:00.000Z', // 03:30 CEST, just after the clocks went forward
        '2026-07-15T12:00:00.000Z',
        '2026-10-25T00:30:00.000Z', // 02:30 CEST, the first pass through the repeated hour
        '2026-10-25T01:30:00.000Z', // 02:30 CET, the second pass
        '2026-10-25T22:59:59.999Z', // 23:59:59.999 CET on the 25th (UTC+1 after fall-back)
        '2026-10-25T23:00:00.000Z', // 00:00 on the 26th
      ]);
      expectOutside(result, '2026-03-28T22:59:59.999Z', /before the entry window \(opens 2026-03-29 00:00 Europe\/Berlin, 2026-03-28T23:00:00\.000Z\)/);
      for (const inside of ['2026-03-28T23:00:00.000Z', '2026-03-29T01:30:00.000Z', '2026-07-15T12:00:00.000Z',
        '2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T22:59:59.999Z']) expectInside(result, inside);
      expectOutside(result, '2026-10-25T23:00:00.000Z', /after the entry window \(closed at the end of .*, 2026-10-25T22:59:59\.999Z\)/);
    });

    it('a one-day window on the spring-forward day itself lasts 23 hours (Europe/Berlin, 2026-03-29)', async () => {
      const journey = await createAndPublish(t, windowJourney('Flash Sale Viewed', '2026-03-29', '2026-03-29', 'Europe/Berlin'));
      const result = await triggerAt(journey.id, 'Flash Sale Viewed', [
        '2026-03-28T22:59:59.999Z', '2026-03-28T23:00:00.000Z', '2026-03-29T21:59:59.999Z', '2026-03-29T22:00:00.000Z',
      ]);
      expectOutside(result, '2026-03-28T22:59:59.999Z', /before the entry window/);
      expectInside(result, '2026-03-28T23:00:00.000Z');
      expectInside(result, '2026-03-29T21:59:59.999Z'); // 23:59:59.999 CEST (UTC+2)
      expectOutside(result, '2026-03-29T22:00:00.000Z', /after the entry window/);
    });

    it('America/New_York, 2026-03-08 (spring forward) to 2026-11-01 (fall back): 05:00Z EST start, 04:59:59.999Z EST end', async () => {
      const journey = await createAndPublish(t, windowJourney('Fall Promo Viewed', '2026-03-08', '2026-11-01', 'America/New_York'));
      const result = await triggerAt(journey.id, 'Fall Promo Viewed', [
        '2026-03-08T04:59:59.999Z', '2026-03-08T05:00:00.000Z', '2026-11-02T04:59:59.999Z', '2026-11-02T05:00:00.000Z',
      ]);
      expectOutside(result, '2026-03-08T04:59:59.999Z', /before the entry window \(opens .*, 2026-03-08T05:00:00\.000Z\)/);
      expectInside(result, '2026-03-08T05:00:00.000Z');
      expectInside(result, '2026-11-02T04:59:59.999Z');
      expectOutside(result, '2026-11-02T05:00:00.000Z', /after the entry window \(closed at the end of .*, 2026-11-02T04:59:59\.999Z\)/);
    });

    it('Australia/Sydney (southern hemisphere), 2026-04-05 (DST ends) to 2026-10-04 (DST starts): opens 00:00 AEDT, closes 23:59:59.999 AEDT', async () => {
      const journey = await createAndPublish(t, windowJourney('Winter Deal Viewed', '2026-04-05', '2026-10-04', 'Australia/Sydney'));
      const result = await triggerAt(journey.id, 'Winter Deal Viewed', [
        '2026-04-04T12:59:59.999Z', // 23:59:59.999 AEDT (UTC+11) on the 4th
        '2026-04-04T13:00:00.000Z', // 00:00 AEDT on the 5th; clocks go back at 03:00
        '2026-10-04T12:59:59.999Z', // 23:59:59.999 AEDT on the 4th of October (DST began at 02:00)
        '2026-10-04T13:00:00.000Z',
      ]);
      expectOutside(result, '2026-04-04T12:59:59.999Z', /before the entry window \(opens .*, 2026-04-04T13:00:00\.000Z\)/);
      expectInside(result, '2026-04-04T13:00:00.000Z');
      expectInside(result, '2026-10-04T12:59:59.999Z');
      expectOutside(result, '2026-10-04T13:00:00.000Z', /after the entry window \(closed at the end of .*, 2026-10-04T12:59:59\.999Z\)/);
    });

    it('Asia/Beirut, where clocks fall back at midnight: both passes through 23:xx on the end date are inside', async () => {
      // 2026-10-25 00:00 EEST becomes 2026-10-24 23:00 EET: the 24th's last hour happens twice.
      const journey = await createAndPublish(t, windowJourney('Autumn Offer Viewed', '2026-10-01', '2026-10-24', 'Asia/Beirut'));
      const result = await triggerAt(journey.id, 'Autumn Offer Viewed', [
        '2026-10-24T20:30:00.000Z', '2026-10-24T21:30:00.000Z', '2026-10-24T21:59:59.999Z', '2026-10-24T22:00:00.000Z',
      ]);
      expectInside(result, '2026-10-24T20:30:00.000Z'); // 23:30 EEST
      expectInside(result, '2026-10-24T21:30:00.000Z'); // 23:30 EET
      expectInside(result, '2026-10-24T21:59:59.999Z');
      expectOutside(result, '2026-10-24T22:00:00.000Z', /after the entry window/);
    });

    it('the event timestamp decides, not the arrival time: a late-arriving event from inside a past window enters, one timestamped today does not', async () => {
      const journey = await createAndPublish(t, windowJourney('Spring Promo Viewed', '2024-04-01', '2024-04-30', 'UTC'));
      const [late, now, offset] = [uniqueId('late'), uniqueId('now'), uniqueId('offset')];
      await track(t, { userId: late, event: 'Spring Promo Viewed', timestamp: '2024-04-15T10:00:00.000Z' });
      await track(t, { userId: now, event: 'Spring Promo Viewed' });
      // A timestamp with a zone offset is read as that instant: 2024-05-01T01:00+02:00 is 2024-04-30T23:00Z.
      await track(t, { userId: offset, event: 'Spring Promo Viewed', timestamp: '2024-05-01T01:00:00+02:00' });
      await t.settle();
      expect(await instancesOf(t, journey.id, late)).to.have.length(1);
      expect(await instancesOf(t, journey.id, offset)).to.have.length(1);
      expect(await instancesOf(t, journey.id, now)).to.have.length(0);
      expect((await ignoredReasons(t, journey.id, now))[0]).to.match(/after the entry window/);
    });

    it('a window with an unknown timezone, or ending before it starts, cannot be published (problems name the field)', async () => {
      await ensureInCatalog(t, 'Bad Window Viewed');
      const cases: Array<[string, string, string, string]> = [
        ['2026-01-01', '2026-12-31', 'Mars/Olympus_Mons', '/entry/availability/timezone'],
        ['2026-12-31', '2026-01-01', 'Europe/Berlin', '/entry/availability/startDate'],
      ];
      for (const [startDate, endDate, timezone, path] of cases) {
        const created = await t.api('POST', '/api/v1/journeys', windowJourney('Bad Window Viewed', startDate, endDate, timezone));
        expect(created.status).to.equal(201);
        const published = await t.api('POST', `/api/v1/journeys/${created.body.journey.id}/publish`, {});
        expect(published.status, path).to.equal(400);
        expect(published.body.error.code, path).to.equal('invalid_journey');
        expect(JSON.stringify(published.body), path).to.include(path);
      }
    });
  });
}
