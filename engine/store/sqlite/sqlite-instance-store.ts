import type { Database, Statement } from 'better-sqlite3';
import type { InstanceInsertResult, JourneyEntries, InstanceRecord, InstanceStatus, InstanceStore, InstanceTimerState } from '../instance-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { StatementCache } from './statement-cache.ts';
import type { SqliteEffectRows } from './sqlite-effect-rows.ts';
import { BY_PROFILE, INSTANCE_ROW_COLUMNS, instanceFromRow, leanInstanceDoc, type InstanceRow } from './sqlite-instance-row.ts';

/** A stored instance, or null. */
function parse(row: InstanceRow | undefined): InstanceRecord | null {
  return row ? instanceFromRow(row) : null;
}

/**
 * SQLite adapter of InstanceStore: one row per instance, the timer as an indexed column, and a
 * document of only what the columns do not hold (sqlite-instance-row.ts).
 *
 * Why the outbox is applied in the same transaction: SQLite has them, and writing the outbox
 * into the row and then clearing it costs two extra row writes and a commit per change (the
 * timer path's largest cost). The outbox column stays for rows written by older versions.
 */
export class SqliteInstanceStore implements InstanceStore {
  readonly appliesOutboxAtomically = true;
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #rows: SqliteEffectRows;
  readonly #insert: Statement;
  readonly #exists: Statement;
  readonly #activeKey: Statement;
  readonly #get: Statement;
  readonly #update: Statement;
  readonly #updateTimer: Statement;
  readonly #updateDoc: Statement;
  readonly #markDone: Statement;
  readonly #entered: Statement;
  readonly #countActive: Statement;
  readonly #due: Statement;
  readonly #next: Statement;
  /** Queries built from their filters (list pages, a profile's entries): each text prepared once. */
  readonly #statements: StatementCache;
  /** activeForProfiles statements by IN-list length: preparing one per call cost ~11 µs per processed event. */
  readonly #activeFor = new Map<number, Statement>();
  readonly #refsFor = new Map<number, Statement>();

  constructor(db: Database, writes: SqliteWriteQueue, rows: SqliteEffectRows) {
    this.#db = db;
    this.#writes = writes;
    this.#rows = rows;
    this.#insert = db.prepare(`INSERT INTO instances (id, space_id, journey_id, version, profile_id, identifier_key, status, wake_at, rev, doc, outbox)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#exists = db.prepare('SELECT 1 FROM instances WHERE id = ?');
    this.#get = db.prepare(`SELECT ${INSTANCE_ROW_COLUMNS} FROM instances WHERE id = ? AND space_id = ?`);
    // An update never makes a second active instance of a key. The key's check runs only for an
    // instance that is not active now and would be after (the runtime never does that; the contract
    // forbids it): every other update writes without an extra read.
    this.#update = db.prepare(`UPDATE instances SET status = ?, wake_at = ?, rev = ?, doc = ?, outbox = ?
      WHERE id = ? AND space_id = ? AND rev = ? AND (status = 'active' OR ? <> 'active'
        OR NOT ${BY_PROFILE.activeKeyHeld('instances.profile_id', 'instances.journey_id', 'instances.identifier_key')})`);
    // Why two more: SQLite moves an index entry for every column an UPDATE assigns, changed or not.
    // An instance that stays active (a drip campaign's next delay, an event ignored at its step)
    // need not move in the profile index (status) nor, with the same timer, in the wake index:
    // 41–50 µs against 68–71 µs per update over 400,000 instances (bench/RESULTS.md, twentieth
    // session). Each is guarded by the status (and timer) it keeps, so a wrong hint writes nothing.
    this.#updateTimer = db.prepare(`UPDATE instances SET wake_at = ?, rev = ?, doc = ?, outbox = ?
      WHERE id = ? AND space_id = ? AND rev = ? AND status = ?`);
    this.#updateDoc = db.prepare(`UPDATE instances SET rev = ?, doc = ?, outbox = ?
      WHERE id = ? AND space_id = ? AND rev = ? AND status = ? AND wake_at IS ?`);
    this.#markDone = db.prepare('UPDATE instances SET outbox = NULL WHERE id = ? AND space_id = ? AND rev = ?');
    // The queries by profile name its index: without statistics the planner may take another one.
    this.#activeKey = db.prepare(`SELECT ${BY_PROFILE.activeKeyHeld('?', '?', '?')} AS held`).pluck();
    this.#entered = db.prepare(`SELECT 1 FROM instances ${BY_PROFILE.index}
      WHERE profile_id = ? AND ${BY_PROFILE.anyStatus} AND journey_id = ? AND space_id = ? LIMIT 1`);
    this.#countActive = db.prepare(`SELECT count(*) AS n FROM instances ${BY_PROFILE.index}
      WHERE profile_id = ? AND status = 'active' AND journey_id = ? AND space_id = ?`);
    this.#due = db.prepare(`SELECT ${INSTANCE_ROW_COLUMNS} FROM instances WHERE status = 'active' AND wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?`);
    this.#next = db.prepare("SELECT min(wake_at) AS at FROM instances WHERE status = 'active' AND wake_at IS NOT NULL");
    this.#statements = new StatementCache(db);
  }

  insert(i: InstanceRecord): Promise<InstanceInsertResult> {
    return this.#writes.run((): InstanceInsertResult => {
      if (this.#exists.get(i.id)) return 'exists';
      // Sound without a unique index: this runs inside a write transaction, and SQLite lets one
      // write transaction at a time into the file, whichever connection (thread, process) holds it.
      if (i.status === 'active' && this.#activeKey.get(i.profileId, i.journeyId, i.identifier ?? '') === 1) return 'active_conflict';
      this.#insert.run(i.id, i.spaceId, i.journeyId, i.version, i.profileId, i.identifier ?? '', i.status, i.wakeAt, i.rev, leanInstanceDoc(i), null);
      this.#rows.outbox(i.outbox, 'fresh');
      return 'ok';
    });
  }

  async get(spaceId: string, id: string): Promise<InstanceRecord | null> {
    return parse(this.#get.get(id, spaceId) as InstanceRow | undefined);
  }

  update(i: InstanceRecord, expectedRev: number, before?: InstanceTimerState): Promise<'ok' | 'version_conflict'> {
    const doc = leanInstanceDoc(i);
    return this.#writes.run(() => {
      if (this.#write(i, doc, expectedRev, before) !== 1) return 'version_conflict' as const;
      this.#rows.outbox(i.outbox, 'fresh');
      return 'ok' as const;
    });
  }

  /** Rows written: the narrowest statement `before` allows, then (hint wrong, or version stale) the full one. */
  #write(i: InstanceRecord, doc: string, expectedRev: number, before: InstanceTimerState | undefined): number {
    if (before?.status === i.status) {
      const narrow = before.wakeAt === i.wakeAt
        ? this.#updateDoc.run(i.rev, doc, null, i.id, i.spaceId, expectedRev, i.status, i.wakeAt)
        : this.#updateTimer.run(i.wakeAt, i.rev, doc, null, i.id, i.spaceId, expectedRev, i.status);
      if (narrow.changes === 1) return 1;
    }
    return this.#update.run(i.status, i.wakeAt, i.rev, doc, null, i.id, i.spaceId, expectedRev, i.status).changes;
  }

  markOutboxDone(spaceId: string, id: string, rev: number): Promise<void> {
    return this.#writes.run(() => { this.#markDone.run(id, spaceId, rev); });
  }

  async activeForProfiles(spaceId: string, profileIds: string[]): Promise<InstanceRecord[]> {
    if (profileIds.length === 0) return [];
    const rows = this.#activeOf(this.#activeFor, INSTANCE_ROW_COLUMNS, profileIds.length).all(...profileIds, spaceId) as InstanceRow[];
    // Sorted here rather than by ORDER BY: SQLite would build a temporary B-tree on every call.
    return rows.map((row) => parse(row)!).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async activeRefsForProfiles(spaceId: string, profileIds: string[]): Promise<Array<{ id: string; journeyId: string; version: number }>> {
    if (profileIds.length === 0) return [];
    const rows = this.#activeOf(this.#refsFor, 'id, journey_id, version', profileIds.length).all(...profileIds, spaceId) as Array<{ id: string; journey_id: string; version: number }>;
    return rows.map((r) => ({ id: r.id, journeyId: r.journey_id, version: r.version })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The query of `columns` of the active instances of `profiles` profiles (then the space), from
   * `byLength`, prepared on first use. Why not the StatementCache: this runs for every processed
   * event, and a map by length needs no SQL text built per call.
   */
  #activeOf(byLength: Map<number, Statement>, columns: string, profiles: number): Statement {
    let statement = byLength.get(profiles);
    if (!statement) {
      statement = this.#db.prepare(`SELECT ${columns} FROM instances ${BY_PROFILE.index}
        WHERE profile_id IN (${Array(profiles).fill('?').join(', ')}) AND status = 'active' AND space_id = ?`);
      if (byLength.size < 32) byLength.set(profiles, statement);
    }
    return statement;
  }

  async entriesByJourney(spaceId: string, profileIds: readonly string[]): Promise<JourneyEntries[]> {
    if (profileIds.length === 0) return [];
    const rows = this.#statements.get(`SELECT journey_id, count(*) AS n, min(id) AS first, max(id) AS last FROM instances
      WHERE profile_id IN (${profileIds.map(() => '?').join(', ')}) AND space_id = ? GROUP BY journey_id`)
      .all(...profileIds, spaceId) as Array<{ journey_id: string; n: number; first: string; last: string }>;
    return rows.map((r) => ({ journeyId: r.journey_id, entries: r.n, firstInstanceId: r.first, lastInstanceId: r.last }));
  }

  async hasEntered(spaceId: string, journeyId: string, profileId: string): Promise<boolean> {
    return this.#entered.get(profileId, journeyId, spaceId) !== undefined;
  }

  async countActive(spaceId: string, journeyId: string, profileId: string): Promise<number> {
    return (this.#countActive.get(profileId, journeyId, spaceId) as { n: number }).n;
  }

  async due(now: number, limit: number): Promise<InstanceRecord[]> {
    return (this.#due.all(now, limit) as InstanceRow[]).map((row) => parse(row)!);
  }

  async nextWakeAt(): Promise<number | null> {
    return (this.#next.get() as { at: number | null }).at;
  }

  async withOutbox(limit: number): Promise<InstanceRecord[]> {
    return (this.#statements.get(`SELECT ${INSTANCE_ROW_COLUMNS} FROM instances WHERE outbox IS NOT NULL LIMIT ?`).all(limit) as InstanceRow[]).map((row) => parse(row)!);
  }

  async listByJourney(spaceId: string, journeyId: string, options: {
    profileIds?: string[]; status?: InstanceStatus; version?: number; after?: string | null; limit: number;
  }): Promise<InstanceRecord[]> {
    const where = ['journey_id = ?', 'space_id = ?', 'id > ?'];
    const params: Array<string | number> = [journeyId, spaceId, options.after ?? ''];
    let index = '';
    if (options.profileIds) {
      if (options.profileIds.length === 0) return [];
      // A few profiles' instances: seeks in the profile index rather than a walk of the journey's whole range.
      index = BY_PROFILE.index;
      where.push(`profile_id IN (${options.profileIds.map(() => '?').join(', ')})`);
      params.push(...options.profileIds);
      if (!options.status) where.push(BY_PROFILE.anyStatus);
    }
    if (options.status) { where.push('status = ?'); params.push(options.status); }
    if (options.version !== undefined) { where.push('version = ?'); params.push(options.version); }
    params.push(options.limit);
    const rows = this.#statements.get(`SELECT ${INSTANCE_ROW_COLUMNS} FROM instances ${index} WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params) as InstanceRow[];
    return rows.map((row) => parse(row)!);
  }
}
