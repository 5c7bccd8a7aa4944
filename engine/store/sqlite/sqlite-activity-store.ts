import type { Database } from 'better-sqlite3';
import { ACTIVITY_TYPES, type ActivityQuery, type ActivityRecord, type ActivityStore } from '../activity-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { activityFromRow, type SqliteEffectRows } from './sqlite-effect-rows.ts';
import { StatementCache } from './statement-cache.ts';
import { BY_PROFILE } from './sqlite-instance-row.ts';

/** `?, ?, …` for a list. */
function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/**
 * The index a query reads: the most selective filter's (null: the whole log, see #listAllTypes).
 * Named, because without statistics the planner picks one index for every filter and scans the
 * whole log for a rare profile.
 */
function indexFor(q: ActivityQuery): string | null {
  if (q.instanceId !== undefined) return 'activities_instance';
  if (q.stepId !== undefined) return 'activities_step';
  if (q.type !== undefined) return 'activities_type';
  return null;
}

type ActivityRow = Parameters<typeof activityFromRow>[0];

/**
 * SQLite adapter of ActivityStore: append-only, ids are time-ordered so inserts stay sequential.
 * Each filter of the log has an index ending in (at, id), and the whole log is read through the
 * type index (see sqlite-schema.ts).
 */
export class SqliteActivityStore implements ActivityStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #rows: SqliteEffectRows;
  /** Prepared statements by SQL text: a filter combination is prepared once. */
  readonly #statements: StatementCache;

  constructor(db: Database, writes: SqliteWriteQueue, rows: SqliteEffectRows) {
    this.#db = db;
    this.#writes = writes;
    this.#rows = rows;
    this.#statements = new StatementCache(db);
  }

  append(records: ActivityRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#writes.run(() => this.#rows.activities(records));
  }

  async list(spaceId: string, journeyId: string, q: ActivityQuery): Promise<ActivityRecord[]> {
    if (q.limit <= 0 || (q.profileIds !== undefined && q.profileIds.length === 0)) return [];
    if (q.profileIds !== undefined && q.instanceId === undefined) return this.#listOfProfiles(spaceId, journeyId, q, q.profileIds);
    const where = ['journey_id = ?', 'space_id = ?'];
    const params: Array<string | number> = [journeyId, spaceId];
    if (q.instanceId !== undefined) { where.push('instance_id = ?'); params.push(q.instanceId); }
    if (q.profileIds !== undefined) { where.push(`profile_id IN (${marks(q.profileIds)})`); params.push(...q.profileIds); }
    const index = indexFor(q);
    return index === null ? this.#listAllTypes(spaceId, journeyId, q) : this.#select(index, where, params, q);
  }

  /**
   * A page of the journey's whole log: the first page of each type from activities_type (the
   * (at, id) of each, read from the index alone), merged, and only the page's own records read.
   * At most types × limit index entries, whatever the log's size.
   */
  #listAllTypes(spaceId: string, journeyId: string, q: ActivityQuery): ActivityRecord[] {
    const desc = q.order === 'desc';
    const direction = desc ? 'DESC' : 'ASC';
    const clauses = ['journey_id = ?', 'type = ?'];
    const bounds: Array<string | number> = [];
    if (q.from !== undefined) { clauses.push('at >= ?'); bounds.push(q.from); }
    if (q.to !== undefined) { clauses.push('at < ?'); bounds.push(q.to); }
    if (q.after) { clauses.push(`(at, id) ${desc ? '<' : '>'} (?, ?)`); bounds.push(q.after.at, q.after.id); }
    const perType = `SELECT * FROM (SELECT at, id FROM activities INDEXED BY activities_type WHERE ${clauses.join(' AND ')}
      ORDER BY at ${direction}, id ${direction} LIMIT ?)`;
    // The space is checked on the records: a journey id belongs to one space, so it keeps all of a page or none.
    const sql = `SELECT a.* FROM (${ACTIVITY_TYPES.map(() => perType).join(' UNION ALL ')} ORDER BY at ${direction}, id ${direction} LIMIT ?) p
      CROSS JOIN activities a ON a.id = p.id WHERE a.space_id = ? ORDER BY p.at ${direction}, p.id ${direction}`;
    const values = ACTIVITY_TYPES.flatMap((type) => [journeyId, type, ...bounds, q.limit]);
    return (this.#statements.get(sql).all(...values, q.limit, spaceId) as ActivityRow[]).map(activityFromRow);
  }

  /**
   * A profile's records: its instances' (found through the instances table, then read through
   * activities_instance) and its ignored triggers (activities_untracked), merged in order.
   */
  async #listOfProfiles(spaceId: string, journeyId: string, q: ActivityQuery, profileIds: readonly string[]): Promise<ActivityRecord[]> {
    const instanceIds = (this.#statements.get(`SELECT id FROM instances ${BY_PROFILE.index}
      WHERE profile_id IN (${marks(profileIds)}) AND ${BY_PROFILE.anyStatus} AND journey_id = ? AND space_id = ?`)
      .all(...profileIds, journeyId, spaceId) as Array<{ id: string }>).map((r) => r.id);
    const untracked = this.#select('activities_untracked', ['journey_id = ?', 'space_id = ?', 'instance_id IS NULL', `profile_id IN (${marks(profileIds)})`],
      [journeyId, spaceId, ...profileIds], q);
    if (instanceIds.length === 0) return untracked;
    const tracked = this.#select('activities_instance', ['journey_id = ?', 'space_id = ?', `instance_id IN (${marks(instanceIds)})`], [journeyId, spaceId, ...instanceIds], q);
    const desc = q.order === 'desc';
    const before = (a: ActivityRecord, b: ActivityRecord) => (a.at === b.at ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.at < b.at ? -1 : 1);
    return [...tracked, ...untracked].sort((a, b) => (desc ? before(b, a) : before(a, b))).slice(0, q.limit);
  }

  /** Runs a page query through `index` with the type, step, time and cursor filters of `q` added. */
  #select(index: string, where: string[], params: Array<string | number>, q: ActivityQuery): ActivityRecord[] {
    const clauses = [...where];
    const values = [...params];
    if (q.type !== undefined) { clauses.push('type = ?'); values.push(q.type); }
    if (q.stepId !== undefined) { clauses.push('step_id = ?'); values.push(q.stepId); }
    if (q.from !== undefined) { clauses.push('at >= ?'); values.push(q.from); }
    if (q.to !== undefined) { clauses.push('at < ?'); values.push(q.to); }
    const desc = q.order === 'desc';
    if (q.after) {
      // A row-value comparison is a range on the index's (at, id) suffix: the page starts past the cursor without a scan.
      clauses.push(`(at, id) ${desc ? '<' : '>'} (?, ?)`);
      values.push(q.after.at, q.after.id);
    }
    values.push(q.limit);
    const direction = desc ? 'DESC' : 'ASC';
    const sql = `SELECT * FROM activities INDEXED BY ${index} WHERE ${clauses.join(' AND ')} ORDER BY at ${direction}, id ${direction} LIMIT ?`;
    return (this.#statements.get(sql).all(...values) as ActivityRow[]).map(activityFromRow);
  }

  purgeBefore(beforeId: string, limit: number): Promise<number> {
    return this.#writes.run(() => this.#db.prepare('DELETE FROM activities WHERE id IN (SELECT id FROM activities WHERE id < ? LIMIT ?)')
      .run(beforeId, limit).changes);
  }
}
