import type { Database } from 'better-sqlite3';
import type { JourneyRecord, JourneyStatus, JourneyStore, JourneyVersionRecord, VersionState } from '../journey-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { isUniqueViolation } from './is-unique-violation.ts';

/** SQLite adapter of JourneyStore. */
export class SqliteJourneyStore implements JourneyStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
  }

  insert(j: JourneyRecord): Promise<'ok' | 'conflict'> {
    return this.#writes.run(() => {
      try {
        this.#db.prepare('INSERT INTO journeys (id, space_id, name, status, rev, doc) VALUES (?, ?, ?, ?, ?, ?)')
          .run(j.id, j.spaceId, j.name, j.status, j.rev, JSON.stringify(j));
        return 'ok' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  update(j: JourneyRecord, expectedRev: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    return this.#writes.run(() => {
      try {
        const changed = this.#db.prepare('UPDATE journeys SET name = ?, status = ?, rev = ?, doc = ? WHERE space_id = ? AND id = ? AND rev = ?')
          .run(j.name, j.status, j.rev, JSON.stringify(j), j.spaceId, j.id, expectedRev).changes;
        return changed === 1 ? 'ok' as const : 'version_conflict' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  async get(spaceId: string, id: string): Promise<JourneyRecord | null> {
    const row = this.#db.prepare('SELECT doc FROM journeys WHERE space_id = ? AND id = ?').get(spaceId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as JourneyRecord) : null;
  }

  async list(spaceId: string, options: { status?: JourneyStatus }): Promise<JourneyRecord[]> {
    const rows = (options.status
      ? this.#db.prepare('SELECT doc FROM journeys WHERE space_id = ? AND status = ? ORDER BY name').all(spaceId, options.status)
      : this.#db.prepare('SELECT doc FROM journeys WHERE space_id = ? ORDER BY name').all(spaceId)) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as JourneyRecord);
  }

  delete(spaceId: string, id: string): Promise<boolean> {
    return this.#writes.run(() => {
      const existed = this.#db.prepare('DELETE FROM journeys WHERE space_id = ? AND id = ?').run(spaceId, id).changes === 1;
      if (existed) {
        this.#db.prepare('DELETE FROM journey_versions WHERE journey_id = ?').run(id);
        this.#db.prepare('DELETE FROM activation_keys WHERE space_id = ? AND journey_id = ?').run(spaceId, id);
      }
      return existed;
    });
  }

  putVersion(v: JourneyVersionRecord): Promise<void> {
    return this.#writes.run(() => {
      this.#db.prepare(`INSERT INTO journey_versions (journey_id, version, space_id, state, doc) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (journey_id, version) DO UPDATE SET state = excluded.state, doc = excluded.doc WHERE space_id = excluded.space_id`)
        .run(v.journeyId, v.version, v.spaceId, v.state, JSON.stringify(v));
    });
  }

  async getVersion(spaceId: string, journeyId: string, version: number): Promise<JourneyVersionRecord | null> {
    const row = this.#db.prepare('SELECT doc, state FROM journey_versions WHERE journey_id = ? AND version = ? AND space_id = ?')
      .get(journeyId, version, spaceId) as { doc: string; state: VersionState } | undefined;
    return row ? { ...(JSON.parse(row.doc) as JourneyVersionRecord), state: row.state } : null;
  }

  async listVersions(spaceId: string, journeyId: string): Promise<JourneyVersionRecord[]> {
    const rows = this.#db.prepare('SELECT doc, state FROM journey_versions WHERE journey_id = ? AND space_id = ? ORDER BY version')
      .all(journeyId, spaceId) as Array<{ doc: string; state: VersionState }>;
    return rows.map((row) => ({ ...(JSON.parse(row.doc) as JourneyVersionRecord), state: row.state }));
  }

  setVersionState(spaceId: string, journeyId: string, version: number, state: VersionState): Promise<void> {
    return this.#writes.run(() => {
      this.#db.prepare('UPDATE journey_versions SET state = ? WHERE journey_id = ? AND version = ? AND space_id = ?')
        .run(state, journeyId, version, spaceId);
    });
  }

  async listActiveVersions(): Promise<JourneyVersionRecord[]> {
    const rows = this.#db.prepare("SELECT doc, state FROM journey_versions WHERE state != 'retired'").all() as Array<{ doc: string; state: VersionState }>;
    return rows.map((row) => ({ ...(JSON.parse(row.doc) as JourneyVersionRecord), state: row.state }));
  }

  claimActivationKeys(spaceId: string, journeyId: string, keys: string[]): Promise<string[]> {
    return this.#writes.run(() => {
      const taken: string[] = [];
      const owner = this.#db.prepare('SELECT journey_id FROM activation_keys WHERE space_id = ? AND key = ?');
      const claim = this.#db.prepare('INSERT OR IGNORE INTO activation_keys (space_id, key, journey_id) VALUES (?, ?, ?)');
      for (const key of keys) {
        const row = owner.get(spaceId, key) as { journey_id: string } | undefined;
        if (row && row.journey_id !== journeyId) taken.push(key);
      }
      // All or nothing: a save that fails on one key claims none.
      if (taken.length === 0) for (const key of keys) claim.run(spaceId, key, journeyId);
      return taken;
    });
  }
}
