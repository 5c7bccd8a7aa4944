import type { Database, Statement } from 'better-sqlite3';
import { isMember, type AudienceRecord, type AudienceStore, type MembershipRecord } from '../audience-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { isUniqueViolation } from './is-unique-violation.ts';

interface MembershipRow {
  space_id: string; audience_id: string; profile_id: string; by_rule: number; manual: MembershipRecord['manual']; profile_version: number; updated_at: string;
}

/** SQLite adapter of AudienceStore. */
export class SqliteAudienceStore implements AudienceStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #getMembership: Statement;
  readonly #putMembership: Statement;
  readonly #ofProfile: Statement;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
    this.#ofProfile = db.prepare('SELECT * FROM memberships WHERE space_id = ? AND profile_id = ?');
    this.#getMembership = db.prepare('SELECT * FROM memberships WHERE space_id = ? AND audience_id = ? AND profile_id = ?');
    this.#putMembership = db.prepare(`INSERT INTO memberships (space_id, audience_id, profile_id, by_rule, manual, member, profile_version, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (space_id, audience_id, profile_id)
      DO UPDATE SET by_rule = excluded.by_rule, manual = excluded.manual, member = excluded.member,
      profile_version = excluded.profile_version, updated_at = excluded.updated_at`);
  }

  insert(a: AudienceRecord): Promise<'ok' | 'conflict'> {
    return this.#writes.run(() => {
      try {
        this.#db.prepare('INSERT INTO audiences (id, space_id, name, version, doc) VALUES (?, ?, ?, ?, ?)')
          .run(a.id, a.spaceId, a.name, a.version, JSON.stringify(a));
        return 'ok' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  update(a: AudienceRecord, expectedVersion: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    return this.#writes.run(() => {
      try {
        const changed = this.#db.prepare('UPDATE audiences SET name = ?, version = ?, doc = ? WHERE space_id = ? AND id = ? AND version = ?')
          .run(a.name, a.version, JSON.stringify(a), a.spaceId, a.id, expectedVersion).changes;
        return changed === 1 ? 'ok' as const : 'version_conflict' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  async get(spaceId: string, id: string): Promise<AudienceRecord | null> {
    const row = this.#db.prepare('SELECT doc FROM audiences WHERE space_id = ? AND id = ?').get(spaceId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as AudienceRecord) : null;
  }

  async list(spaceId: string): Promise<AudienceRecord[]> {
    const rows = this.#db.prepare('SELECT doc FROM audiences WHERE space_id = ? ORDER BY name').all(spaceId) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as AudienceRecord);
  }

  delete(spaceId: string, id: string): Promise<boolean> {
    return this.#writes.run(() => {
      const existed = this.#db.prepare('DELETE FROM audiences WHERE space_id = ? AND id = ?').run(spaceId, id).changes === 1;
      this.#db.prepare('DELETE FROM memberships WHERE space_id = ? AND audience_id = ?').run(spaceId, id);
      return existed;
    });
  }

  setByRule(spaceId: string, audienceId: string, profileId: string, byRule: boolean, profileVersion: number, at: string): Promise<void> {
    return this.#writes.run(() => {
      const row = this.#getMembership.get(spaceId, audienceId, profileId) as MembershipRow | undefined;
      if (!row && !byRule) return; // nothing to record: not a member and no manual decision
      if (row && row.profile_version > profileVersion) return;
      const manual = row?.manual ?? null;
      this.#putMembership.run(spaceId, audienceId, profileId, byRule ? 1 : 0, manual, isMember({ byRule, manual }) ? 1 : 0, profileVersion, at);
    });
  }

  setManual(spaceId: string, audienceId: string, profileId: string, manual: MembershipRecord['manual'], at: string): Promise<void> {
    return this.#writes.run(() => {
      const row = this.#getMembership.get(spaceId, audienceId, profileId) as MembershipRow | undefined;
      const byRule = row ? row.by_rule === 1 : false;
      this.#putMembership.run(spaceId, audienceId, profileId, byRule ? 1 : 0, manual, isMember({ byRule, manual }) ? 1 : 0, row?.profile_version ?? 0, at);
    });
  }

  async membershipsOfProfile(spaceId: string, profileId: string): Promise<MembershipRecord[]> {
    const rows = this.#ofProfile.all(spaceId, profileId) as MembershipRow[];
    return rows.map((row) => ({
      spaceId: row.space_id, audienceId: row.audience_id, profileId: row.profile_id,
      byRule: row.by_rule === 1, manual: row.manual, updatedAt: row.updated_at,
    }));
  }

  async members(spaceId: string, audienceId: string, options: { after: string | null; limit: number }): Promise<string[]> {
    const rows = this.#db.prepare(`SELECT profile_id FROM memberships WHERE space_id = ? AND audience_id = ? AND member = 1
      AND profile_id > ? ORDER BY profile_id LIMIT ?`).all(spaceId, audienceId, options.after ?? '', options.limit) as Array<{ profile_id: string }>;
    return rows.map((row) => row.profile_id);
  }
}
