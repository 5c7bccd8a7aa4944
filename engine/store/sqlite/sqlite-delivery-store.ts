import type { Database } from 'better-sqlite3';
import type { DeliveryRecord, DeliveryStore } from '../delivery-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import type { SqliteEffectRows } from './sqlite-effect-rows.ts';

/** SQLite adapter of DeliveryStore; the idempotency key is unique per space. */
export class SqliteDeliveryStore implements DeliveryStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #rows: SqliteEffectRows;

  constructor(db: Database, writes: SqliteWriteQueue, rows: SqliteEffectRows) {
    this.#db = db;
    this.#writes = writes;
    this.#rows = rows;
  }

  insertIfAbsent(d: DeliveryRecord): Promise<'inserted' | 'exists'> {
    return this.#writes.run(() => (this.#rows.delivery(d) ? 'inserted' as const : 'exists' as const));
  }

  async listByInstance(spaceId: string, instanceId: string): Promise<DeliveryRecord[]> {
    // Idempotency keys are "<instance id>:<step>:<iteration>": ':' sorts just before ';'.
    const rows = this.#db.prepare(`SELECT doc FROM deliveries WHERE space_id = ? AND idempotency_key >= ? AND idempotency_key < ?
      AND instance_id = ? ORDER BY id`).all(spaceId, `${instanceId}:`, `${instanceId};`, instanceId) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as DeliveryRecord);
  }

  async listByJourney(spaceId: string, journeyId: string, options: { after?: string | null; limit: number }): Promise<DeliveryRecord[]> {
    const rows = this.#db.prepare('SELECT doc FROM deliveries WHERE journey_id = ? AND space_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(journeyId, spaceId, options.after ?? '', options.limit) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as DeliveryRecord);
  }
}
