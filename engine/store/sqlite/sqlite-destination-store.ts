import type { Database } from 'better-sqlite3';
import type { DestinationRecord, DestinationStore } from '../destination-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { isUniqueViolation } from './is-unique-violation.ts';

/** SQLite adapter of DestinationStore: one row per destination, the name unique per space. */
export class SqliteDestinationStore implements DestinationStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
  }

  insert(d: DestinationRecord): Promise<'ok' | 'conflict'> {
    return this.#writes.run(() => {
      try {
        this.#db.prepare('INSERT INTO destinations (id, space_id, name, version, doc) VALUES (?, ?, ?, ?, ?)')
          .run(d.id, d.spaceId, d.name, d.version, JSON.stringify(d));
        return 'ok' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  async get(spaceId: string, id: string): Promise<DestinationRecord | null> {
    const row = this.#db.prepare('SELECT doc FROM destinations WHERE id = ? AND space_id = ?').get(id, spaceId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as DestinationRecord) : null;
  }

  async list(spaceId: string): Promise<DestinationRecord[]> {
    const rows = this.#db.prepare('SELECT doc FROM destinations WHERE space_id = ? ORDER BY name').all(spaceId) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as DestinationRecord);
  }

  update(d: DestinationRecord, expectedVersion: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    return this.#writes.run(() => {
      try {
        const changed = this.#db.prepare('UPDATE destinations SET name = ?, version = ?, doc = ? WHERE id = ? AND space_id = ? AND version = ?')
          .run(d.name, d.version, JSON.stringify(d), d.id, d.spaceId, expectedVersion).changes;
        return changed === 1 ? 'ok' as const : 'version_conflict' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  delete(spaceId: string, id: string): Promise<boolean> {
    return this.#writes.run(() => this.#db.prepare('DELETE FROM destinations WHERE id = ? AND space_id = ?').run(id, spaceId).changes === 1);
  }
}
