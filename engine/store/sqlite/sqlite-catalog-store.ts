import type { Database, Statement } from 'better-sqlite3';
import type { CatalogEntry, CatalogStore } from '../catalog-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { mergeCatalogEntry } from '../../catalog/merge-catalog-entry.ts';

interface CatalogRow { space_id: string; name: string; property_keys: string; first_seen_at: string; last_seen_at: string }

function toEntry(row: CatalogRow): CatalogEntry {
  return {
    spaceId: row.space_id, name: row.name, propertyKeys: JSON.parse(row.property_keys) as string[],
    firstSeenAt: row.first_seen_at, lastSeenAt: row.last_seen_at,
  };
}

/** SQLite adapter of CatalogStore. */
export class SqliteCatalogStore implements CatalogStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #get: Statement;
  readonly #put: Statement;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
    this.#get = db.prepare('SELECT * FROM catalog WHERE space_id = ? AND name = ?');
    this.#put = db.prepare(`INSERT INTO catalog (space_id, name, property_keys, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (space_id, name) DO UPDATE SET property_keys = excluded.property_keys,
      first_seen_at = excluded.first_seen_at, last_seen_at = excluded.last_seen_at`);
  }

  async record(entries: CatalogEntry[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.#writes.run(() => {
      const row = this.#get.get(entry.spaceId, entry.name) as CatalogRow | undefined;
      // A first sighting goes through the merge too, so its keys are sorted, deduped and capped.
      const merged = mergeCatalogEntry(row ? toEntry(row) : entry, entry);
      this.#put.run(merged.spaceId, merged.name, JSON.stringify(merged.propertyKeys), merged.firstSeenAt, merged.lastSeenAt);
    })));
  }

  async list(spaceId: string): Promise<CatalogEntry[]> {
    return (this.#db.prepare('SELECT * FROM catalog WHERE space_id = ? ORDER BY name').all(spaceId) as CatalogRow[]).map(toEntry);
  }

  async get(spaceId: string, name: string): Promise<CatalogEntry | null> {
    const row = this.#get.get(spaceId, name) as CatalogRow | undefined;
    return row ? toEntry(row) : null;
  }
}
