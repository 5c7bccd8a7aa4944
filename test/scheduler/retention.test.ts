/**
 * The scheduled retention purge on both stores: processed events and activity records older
 * than their retention go, in chunks; recent ones, unprocessed events and journey figures stay.
 */
import { expect } from 'chai';
import { firstIdAt } from '../../engine/ids.ts';
import { openSqliteStore } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { openMongoStore } from '../../engine/store/mongodb/open-mongo-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { purgeExpired, PURGE_CHUNK } from '../../engine/scheduler/retention.ts';
import { freshDbName, mongoUriFor, dropDatabase } from '../support/mongo-server.ts';
import { makeEvent } from '../contract/store-fixtures.ts';
import { makeActivity } from '../contract/runtime-fixtures.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

const stores: Array<[string, () => Promise<{ store: Store; cleanup: () => Promise<void> }>]> = [
  ['sqlite', async () => ({ store: openSqliteStore({ dataDir: ':memory:' }), cleanup: async () => {} })],
  ['mongodb', async () => {
    const db = freshDbName('retention');
    return { store: await openMongoStore({ uri: mongoUriFor(db) }), cleanup: () => dropDatabase(db) };
  }],
];

for (const [name, open] of stores) {
  describe(`retention purge [${name}]`, function () {
    this.timeout(60_000);
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => ({ store, cleanup } = await open()));
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('deletes what is older than its retention, keeps the rest and the figures', async () => {
      const oldEvents = [makeEvent({ id: firstIdAt(NOW - 40 * DAY) }), makeEvent({ id: firstIdAt(NOW - 31 * DAY) })];
      const oldUnprocessed = makeEvent({ id: firstIdAt(NOW - 35 * DAY) });
      const recentEvent = makeEvent({ id: firstIdAt(NOW - 29 * DAY) });
      await store.events.append([...oldEvents, oldUnprocessed, recentEvent], { dedupeWindowMs: DAY, now: NOW });
      const pending = await store.events.pending(10);
      await store.events.markProcessed(pending.filter((e) => e.id !== oldUnprocessed.id).slice(0, 2));
      const oldActivity = makeActivity({ id: firstIdAt(NOW - 91 * DAY), type: 'entered', data: null });
      const recentActivity = makeActivity({ id: firstIdAt(NOW - 89 * DAY), type: 'entered', data: null });
      await store.activities.append([oldActivity, recentActivity]);

      const purged = await purgeExpired(store, { eventDays: 30, activityDays: 90 }, DAY, NOW);
      expect(purged).to.deep.equal({ events: 2, activities: 1 });
      for (const e of oldEvents) expect(await store.events.get(e.spaceId, e.id)).to.equal(null);
      expect(await store.events.get(oldUnprocessed.spaceId, oldUnprocessed.id), 'not processed yet: kept').to.not.equal(null);
      expect(await store.events.get(recentEvent.spaceId, recentEvent.id)).to.not.equal(null);
      const activity = await store.activities.list(oldActivity.spaceId, oldActivity.journeyId, { limit: 10 });
      expect(activity.map((a) => a.id)).to.deep.equal([recentActivity.id]);
      expect((await store.figures.journey(oldActivity.spaceId, oldActivity.journeyId, null)).flows, 'figures outlive the records').to.deep.equal({ entered: 2 });
    });

    it('keeps everything with 0 days, and events inside the dedupe window whatever the retention', async () => {
      const event = makeEvent({ id: firstIdAt(NOW - 2 * DAY) });
      await store.events.append([event, makeEvent({ id: firstIdAt(NOW) })], { dedupeWindowMs: DAY, now: NOW });
      await store.events.markProcessed(await store.events.pending(10));
      await store.activities.append([makeActivity({ id: firstIdAt(NOW - 400 * DAY) })]);
      expect(await purgeExpired(store, { eventDays: 0, activityDays: 0 }, DAY, NOW)).to.deep.equal({ events: 0, activities: 0 });
      expect(await purgeExpired(store, { eventDays: 1, activityDays: 0 }, 3 * DAY, NOW), 'the 3-day dedupe window wins').to.deep.equal({ events: 0, activities: 0 });
      expect(await purgeExpired(store, { eventDays: 1, activityDays: 0 }, DAY, NOW)).to.deep.equal({ events: 1, activities: 0 });
    });
  });
}

describe('retention purge in chunks', () => {
  it('goes on past one chunk within a run', async function () {
    this.timeout(60_000);
    const store = openSqliteStore({ dataDir: ':memory:' });
    const records = Array.from({ length: PURGE_CHUNK + 10 }, (_, i) => makeActivity({ id: firstIdAt(NOW - 100 * DAY - i) }));
    for (let i = 0; i < records.length; i += 1000) await store.activities.append(records.slice(i, i + 1000));
    expect(await purgeExpired(store, { eventDays: 0, activityDays: 90 }, DAY, NOW)).to.deep.equal({ events: 0, activities: PURGE_CHUNK + 10 });
    await store.close();
  });
});
