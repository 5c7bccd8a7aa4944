/**
 * EngineReader on the engine's MongoDB database (the URI names it), through the official driver.
 * Document shapes, as engine/store/mongodb/*.ts write them: `events` (`_id` = event id, `pending`
 * present only while unprocessed, `dedupeAt` only while its messageId is remembered), `instances`
 * and `deliveries` (top-level `status`, `journeyId`), `profiles` (`mergedInto` null unless merged;
 * `dead` marks a tombstone), `catalog` (`name`).
 */
import { MongoClient, type Document } from 'mongodb';
import type { EngineReader, StoredEvents } from './engine-reader-types.ts';

/** Counts per value of `status` among the documents `filter` selects. */
async function byStatus(client: MongoClient, collection: string, filter: Document): Promise<Record<string, number>> {
  const rows = await client.db().collection(collection)
    .aggregate<{ _id: string; n: number }>([{ $match: filter }, { $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
  return Object.fromEntries(rows.map((r) => [r._id, r.n]));
}

/** Opens an EngineReader on the engine's MongoDB database. */
export async function openMongoReader(uri: string): Promise<EngineReader> {
  const client = new MongoClient(uri, { readPreference: 'primary' });
  await client.connect();
  const db = client.db();
  const events = db.collection('events');
  const pendingEvents = () => events.countDocuments({ pending: { $exists: true } });
  return {
    store: 'mongodb',
    pendingEvents,
    async instanceCounts(journeyId) {
      const by = await byStatus(client, 'instances', journeyId ? { journeyId } : {});
      const active = by['active'] ?? 0;
      const completed = by['completed'] ?? 0;
      const exited = by['exited'] ?? 0;
      return { active, completed, exited, total: active + completed + exited };
    },
    deliveryCounts(journeyId) {
      return byStatus(client, 'deliveries', journeyId ? { journeyId } : {});
    },
    async storedEvents(catalogName): Promise<StoredEvents> {
      const stored = await events.countDocuments({});
      const unprocessed = await pendingEvents();
      return {
        stored,
        messageIds: await events.countDocuments({ dedupeAt: { $exists: true } }),
        unprocessed,
        progress: `${(stored - unprocessed).toLocaleString('en-US')} of ${stored.toLocaleString('en-US')} events processed (no \`pending\` field)`,
        profiles: await db.collection('profiles').countDocuments({ mergedInto: null, dead: { $exists: false } }),
        catalog: (await db.collection('catalog').countDocuments({ name: catalogName })) === 1,
      };
    },
    async close() {
      await client.close();
    },
  };
}
