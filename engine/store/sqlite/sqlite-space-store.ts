import type { Database } from 'better-sqlite3';
import type { CredentialRecord, SpaceRecord, SpaceStore } from '../space-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { isUniqueViolation } from './is-unique-violation.ts';

interface CredentialRow {
  id: string; space_id: string; kind: CredentialRecord['kind']; hash: string; hint: string;
  label: string | null; created_at: string; revoked_at: string | null;
}

function toCredential(row: CredentialRow): CredentialRecord {
  return {
    id: row.id, spaceId: row.space_id, kind: row.kind, hash: row.hash, hint: row.hint,
    label: row.label, createdAt: row.created_at, revokedAt: row.revoked_at,
  };
}


/** SQLite adapter of SpaceStore. */
export class SqliteSpaceStore implements SpaceStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #deleteEvents: (spaceId: string) => Promise<void>;

  /** `deleteEvents` deletes a space's event log, which is in a file of its own. */
  constructor(db: Database, writes: SqliteWriteQueue, deleteEvents: (spaceId: string) => Promise<void>) {
    this.#db = db;
    this.#writes = writes;
    this.#deleteEvents = deleteEvents;
  }

  createSpace(space: SpaceRecord): Promise<'ok' | 'conflict'> {
    return this.#writes.run(() => {
      const r = this.#db.prepare('INSERT OR IGNORE INTO spaces (id, name, created_at) VALUES (?, ?, ?)')
        .run(space.id, space.name, space.createdAt);
      return r.changes === 1 ? 'ok' : 'conflict';
    });
  }

  async getSpace(id: string): Promise<SpaceRecord | null> {
    const row = this.#db.prepare('SELECT id, name, created_at FROM spaces WHERE id = ?').get(id) as
      { id: string; name: string; created_at: string } | undefined;
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async listSpaces(): Promise<SpaceRecord[]> {
    const rows = this.#db.prepare('SELECT id, name, created_at FROM spaces ORDER BY created_at, id').all() as
      Array<{ id: string; name: string; created_at: string }>;
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at }));
  }

  /**
   * Two files, so two transactions. The log goes first: cut short after it, the space is still
   * there and deleting it again finishes. It is cleared again after the rest, for events that
   * were being appended (with a key checked just before the credentials went) in between.
   */
  async deleteSpace(id: string): Promise<boolean> {
    await this.#deleteEvents(id);
    const existed = await this.#writes.run(() => {
      const existed = this.#db.prepare('DELETE FROM spaces WHERE id = ?').run(id).changes === 1;
      for (const table of ['credentials', 'profiles', 'identities', 'audiences', 'memberships', 'catalog', 'journeys', 'journey_versions', 'activation_keys', 'instances', 'activities', 'journey_counters', 'journey_gauges', 'deliveries', 'destinations', 'functions', 'function_versions']) {
        this.#db.prepare(`DELETE FROM ${table} WHERE space_id = ?`).run(id);
      }
      return existed;
    });
    await this.#deleteEvents(id);
    return existed;
  }

  addCredential(c: CredentialRecord): Promise<'ok' | 'conflict'> {
    return this.#writes.run(() => {
      try {
        this.#db.prepare(`INSERT INTO credentials (id, space_id, kind, hash, hint, label, created_at, revoked_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(c.id, c.spaceId, c.kind, c.hash, c.hint, c.label, c.createdAt, c.revokedAt);
        return 'ok' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  async findCredentialByHash(hash: string): Promise<CredentialRecord | null> {
    const row = this.#db.prepare('SELECT * FROM credentials WHERE hash = ?').get(hash) as CredentialRow | undefined;
    return row ? toCredential(row) : null;
  }

  async listCredentials(spaceId: string): Promise<CredentialRecord[]> {
    const rows = this.#db.prepare('SELECT * FROM credentials WHERE space_id = ? ORDER BY created_at, id').all(spaceId) as CredentialRow[];
    return rows.map(toCredential);
  }

  revokeCredential(spaceId: string, credentialId: string, at: string): Promise<boolean> {
    return this.#writes.run(() =>
      this.#db.prepare('UPDATE credentials SET revoked_at = ? WHERE space_id = ? AND id = ? AND revoked_at IS NULL')
        .run(at, spaceId, credentialId).changes === 1);
  }
}
