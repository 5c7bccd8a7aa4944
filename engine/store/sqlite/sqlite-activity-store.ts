import type { Database, Statement } from 'better-sqlite3';
import type { ActivityQuery, ActivityRecord, ActivityStore } from '../activity-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';

/** SQLite adapter of ActivityStore: append-only, ids are time-ordered so inserts stay sequential. */
export class SqliteActivityStore implements ActivityStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #insert: Statement;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
    this.#insert = db.prepare(`INSERT OR IGNORE INTO activities (id, space_id, journey_id, instance_id, profile_id, type, step_id, at, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  append(records: ActivityRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#writes.run(() => {
      for (const a of records) {
        this.#insert.run(a.id, a.spaceId, a.journeyId, a.instanceId, a.profileId, a.type, a.stepId, a.at, JSON.stringify(a));
      }
    });
  }

  async list(spaceId: string, journeyId: string, q: ActivityQuery): Promise<ActivityRecord[]> {
    const where = ['journey_id = ?', 'space_id = ?'];
    const params: Array<string | number> = [journeyId, spaceId];
    if (q.instanceId !== undefined) { where.push('instance_id = ?'); params.push(q.instanceId); }
    if (q.profileId !== undefined) { where.push('profile_id = ?'); params.push(q.profileId); }
    if (q.type !== undefined) { where.push('type = ?'); params.push(q.type); }
    if (q.stepId !== undefined) { where.push('step_id = ?'); params.push(q.stepId); }
    if (q.from !== undefined) { where.push('at >= ?'); params.push(q.from); }
    if (q.to !== undefined) { where.push('at < ?'); params.push(q.to); }
    if (q.after) { where.push('id > ?'); params.push(q.after); }
    params.push(q.limit);
    const rows = this.#db.prepare(`SELECT doc FROM activities WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as ActivityRecord);
  }
}
