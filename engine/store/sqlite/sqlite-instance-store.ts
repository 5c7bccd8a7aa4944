import type { Database, Statement } from 'better-sqlite3';
import type { InstanceInsertResult, InstanceRecord, InstanceStatus, InstanceStore } from '../instance-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { isUniqueViolation } from './is-unique-violation.ts';

function parse(row: { doc: string } | undefined): InstanceRecord | null {
  return row ? (JSON.parse(row.doc) as InstanceRecord) : null;
}

/** SQLite adapter of InstanceStore: one row per instance, the timer as an indexed column. */
export class SqliteInstanceStore implements InstanceStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #insert: Statement;
  readonly #exists: Statement;
  readonly #get: Statement;
  readonly #update: Statement;
  readonly #active: Statement;
  readonly #entered: Statement;
  readonly #countActive: Statement;
  readonly #due: Statement;
  readonly #next: Statement;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
    this.#insert = db.prepare(`INSERT INTO instances (id, space_id, journey_id, version, profile_id, identifier_key, status, wake_at, has_outbox, rev, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#exists = db.prepare('SELECT 1 FROM instances WHERE id = ?');
    this.#get = db.prepare('SELECT doc FROM instances WHERE id = ? AND space_id = ?');
    this.#update = db.prepare(`UPDATE instances SET status = ?, wake_at = ?, has_outbox = ?, rev = ?, doc = ?
      WHERE id = ? AND space_id = ? AND rev = ?`);
    this.#active = db.prepare("SELECT doc FROM instances WHERE profile_id = ? AND space_id = ? AND status = 'active'");
    this.#entered = db.prepare('SELECT 1 FROM instances WHERE profile_id = ? AND journey_id = ? AND space_id = ? LIMIT 1');
    this.#countActive = db.prepare("SELECT count(*) AS n FROM instances WHERE profile_id = ? AND journey_id = ? AND space_id = ? AND status = 'active'");
    this.#due = db.prepare("SELECT doc FROM instances WHERE status = 'active' AND wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?");
    this.#next = db.prepare("SELECT min(wake_at) AS at FROM instances WHERE status = 'active' AND wake_at IS NOT NULL");
  }

  insert(i: InstanceRecord): Promise<InstanceInsertResult> {
    return this.#writes.run((): InstanceInsertResult => {
      if (this.#exists.get(i.id)) return 'exists';
      try {
        this.#insert.run(i.id, i.spaceId, i.journeyId, i.version, i.profileId, i.identifier ?? '', i.status, i.wakeAt,
          i.outbox.length > 0 ? 1 : 0, i.rev, JSON.stringify(i));
        return 'ok';
      } catch (error) {
        if (isUniqueViolation(error)) return 'active_conflict';
        throw error;
      }
    });
  }

  async get(spaceId: string, id: string): Promise<InstanceRecord | null> {
    return parse(this.#get.get(id, spaceId) as { doc: string } | undefined);
  }

  update(i: InstanceRecord, expectedRev: number): Promise<'ok' | 'version_conflict'> {
    return this.#writes.run(() => this.#update.run(i.status, i.wakeAt, i.outbox.length > 0 ? 1 : 0, i.rev, JSON.stringify(i), i.id, i.spaceId, expectedRev)
      .changes === 1 ? 'ok' as const : 'version_conflict' as const);
  }

  async activeForProfile(spaceId: string, profileId: string): Promise<InstanceRecord[]> {
    return (this.#active.all(profileId, spaceId) as Array<{ doc: string }>).map((row) => parse(row)!);
  }

  async hasEntered(spaceId: string, journeyId: string, profileId: string): Promise<boolean> {
    return this.#entered.get(profileId, journeyId, spaceId) !== undefined;
  }

  async countActive(spaceId: string, journeyId: string, profileId: string): Promise<number> {
    return (this.#countActive.get(profileId, journeyId, spaceId) as { n: number }).n;
  }

  async due(now: number, limit: number): Promise<InstanceRecord[]> {
    return (this.#due.all(now, limit) as Array<{ doc: string }>).map((row) => parse(row)!);
  }

  async nextWakeAt(): Promise<number | null> {
    return (this.#next.get() as { at: number | null }).at;
  }

  async withOutbox(limit: number): Promise<InstanceRecord[]> {
    return (this.#db.prepare('SELECT doc FROM instances WHERE has_outbox = 1 LIMIT ?').all(limit) as Array<{ doc: string }>).map((row) => parse(row)!);
  }

  async listByJourney(spaceId: string, journeyId: string, options: {
    profileIds?: string[]; status?: InstanceStatus; version?: number; after?: string | null; limit: number;
  }): Promise<InstanceRecord[]> {
    const where = ['journey_id = ?', 'space_id = ?', 'id > ?'];
    const params: Array<string | number> = [journeyId, spaceId, options.after ?? ''];
    if (options.profileIds) {
      if (options.profileIds.length === 0) return [];
      where.push(`profile_id IN (${options.profileIds.map(() => '?').join(', ')})`);
      params.push(...options.profileIds);
    }
    if (options.status) { where.push('status = ?'); params.push(options.status); }
    if (options.version !== undefined) { where.push('version = ?'); params.push(options.version); }
    params.push(options.limit);
    const rows = this.#db.prepare(`SELECT doc FROM instances WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params) as Array<{ doc: string }>;
    return rows.map((row) => parse(row)!);
  }
}
