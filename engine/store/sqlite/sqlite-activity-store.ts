import type { Database } from 'better-sqlite3';
import type { ActivityQuery, ActivityRecord, ActivityStore } from '../activity-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { activityFromRow, type SqliteEffectRows } from './sqlite-effect-rows.ts';

/** SQLite adapter of ActivityStore: append-only, ids are time-ordered so inserts stay sequential. */
export class SqliteActivityStore implements ActivityStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #rows: SqliteEffectRows;

  constructor(db: Database, writes: SqliteWriteQueue, rows: SqliteEffectRows) {
    this.#db = db;
    this.#writes = writes;
    this.#rows = rows;
  }

  append(records: ActivityRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#writes.run(() => {
      for (const a of records) this.#rows.activity(a);
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
    // The cursor is the last record read: the page goes on after its (time, id); an unknown cursor reads nothing.
    if (q.after) { where.push('(at, id) > (SELECT at, id FROM activities WHERE id = ? AND space_id = ? AND journey_id = ?)'); params.push(q.after, spaceId, journeyId); }
    params.push(q.limit);
    const rows = this.#db.prepare(`SELECT * FROM activities WHERE ${where.join(' AND ')} ORDER BY at, id LIMIT ?`).all(...params) as Array<Parameters<typeof activityFromRow>[0]>;
    return rows.map(activityFromRow);
  }
}
