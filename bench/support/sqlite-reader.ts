/**
 * EngineReader on the engine's SQLite file (DATA_DIR/engine.db), read-only; WAL mode lets it read
 * while the engine writes. The shared queries live in engine-db.ts (timers and journeys use them).
 */
import { instanceCounts, openReadOnly, pendingEvents } from './engine-db.ts';
import type { EngineReader, StoredEvents } from './engine-reader-types.ts';

/** Opens a read-only EngineReader on the engine's SQLite file. */
export function openSqliteReader(dbFile: string): EngineReader {
  const db = openReadOnly(dbFile);
  const one = (sql: string, ...params: unknown[]) => Number((db.prepare(sql).get(...params) as { n: number | string | null } | undefined)?.n ?? 0);
  return {
    store: 'sqlite',
    async pendingEvents() {
      return pendingEvents(db);
    },
    async instanceCounts(journeyId) {
      return instanceCounts(db, journeyId);
    },
    async deliveryCounts(journeyId) {
      const rows = (journeyId
        ? db.prepare('SELECT status, count(*) AS n FROM deliveries WHERE journey_id = ? GROUP BY status').all(journeyId)
        : db.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all()) as Array<{ status: string; n: number }>;
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async storedEvents(catalogName): Promise<StoredEvents> {
      // 'events.processed_seq' in the meta table is the processor's cursor (sqlite-event-store.ts).
      const processedUpTo = one(`SELECT value AS n FROM meta WHERE key = 'events.processed_seq'`);
      const maxSeq = one('SELECT max(seq) AS n FROM events');
      return {
        stored: one('SELECT count(*) AS n FROM events'),
        messageIds: one('SELECT count(*) AS n FROM message_ids'),
        unprocessed: pendingEvents(db),
        progress: `processor cursor at seq ${processedUpTo.toLocaleString('en-US')} of ${maxSeq.toLocaleString('en-US')}`,
        profiles: one('SELECT count(*) AS n FROM profiles WHERE merged_into IS NULL'),
        catalog: one('SELECT count(*) AS n FROM catalog WHERE name = ?', catalogName) === 1,
      };
    },
    async close() {
      db.close();
    },
  };
}
