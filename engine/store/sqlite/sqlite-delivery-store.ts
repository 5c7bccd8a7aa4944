import type { Database, Statement } from 'better-sqlite3';
import type { DeliveryRecord, DeliveryStore } from '../delivery-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';

/** SQLite adapter of DeliveryStore; the idempotency key is unique per space. */
export class SqliteDeliveryStore implements DeliveryStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #insert: Statement;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
    this.#insert = db.prepare(`INSERT OR IGNORE INTO deliveries (id, space_id, idempotency_key, journey_id, instance_id, status, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
  }

  insertIfAbsent(d: DeliveryRecord): Promise<'inserted' | 'exists'> {
    return this.#writes.run(() => this.#insert.run(d.id, d.spaceId, d.idempotencyKey, d.journeyId, d.instanceId, d.status, JSON.stringify(d))
      .changes === 1 ? 'inserted' as const : 'exists' as const);
  }

  async listByInstance(spaceId: string, instanceId: string): Promise<DeliveryRecord[]> {
    const rows = this.#db.prepare('SELECT doc FROM deliveries WHERE instance_id = ? AND space_id = ? ORDER BY id').all(instanceId, spaceId) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as DeliveryRecord);
  }

  async listByJourney(spaceId: string, journeyId: string, options: { after?: string | null; limit: number }): Promise<DeliveryRecord[]> {
    const rows = this.#db.prepare('SELECT doc FROM deliveries WHERE journey_id = ? AND space_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(journeyId, spaceId, options.after ?? '', options.limit) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as DeliveryRecord);
  }
}
