import type { Database, Statement } from 'better-sqlite3';
import type { DeliveryQuery, DeliveryRecord, DeliveryStatus, DeliveryStore } from '../delivery-store.ts';
import { deliveryCounters } from '../journey-counters.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import type { SqliteEffectRows } from './sqlite-effect-rows.ts';
import { StatementCache } from './statement-cache.ts';

function parse(row: { doc: string; next_attempt_at: number | null; rev: number }): DeliveryRecord {
  const d = JSON.parse(row.doc) as DeliveryRecord;
  // The columns are the truth for what claims change without rewriting the document.
  d.nextAttemptAt = row.next_attempt_at;
  d.rev = row.rev;
  return d;
}

const COLUMNS = 'doc, next_attempt_at, rev';

/** SQLite adapter of DeliveryStore; the idempotency key is unique per space. */
export class SqliteDeliveryStore implements DeliveryStore {
  readonly #writes: SqliteWriteQueue;
  readonly #rows: SqliteEffectRows;
  readonly #get: Statement;
  readonly #update: Statement;
  readonly #statusAt: Statement;
  readonly #due: Statement;
  readonly #dueLeased: Statement;
  readonly #lease: Statement;
  readonly #next: Statement;
  /** The list queries, built from their filters: each text prepared once. */
  readonly #statements: StatementCache;

  constructor(db: Database, writes: SqliteWriteQueue, rows: SqliteEffectRows) {
    this.#writes = writes;
    this.#rows = rows;
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM deliveries WHERE id = ? AND space_id = ?`);
    this.#statusAt = db.prepare("SELECT status, json_extract(doc, '$.updatedAt') AS updatedAt FROM deliveries WHERE id = ? AND space_id = ? AND rev = ?");
    this.#update = db.prepare('UPDATE deliveries SET status = ?, next_attempt_at = ?, rev = ?, doc = ? WHERE id = ? AND space_id = ? AND rev = ?');
    this.#due = db.prepare(`SELECT id, space_id, ${COLUMNS} FROM deliveries WHERE status IN ('pending', 'retrying')
      AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`);
    // A claim moves the column and leaves the document's time (the backoff) as it was: they differ while leased.
    this.#dueLeased = db.prepare(`SELECT id, space_id, ${COLUMNS} FROM deliveries WHERE status IN ('pending', 'retrying')
      AND next_attempt_at <= ? AND (status = 'pending' OR next_attempt_at IS NOT json_extract(doc, '$.nextAttemptAt'))
      ORDER BY next_attempt_at LIMIT ?`);
    this.#lease = db.prepare('UPDATE deliveries SET next_attempt_at = ?, rev = rev + 1 WHERE id = ? AND space_id = ? AND rev = ?');
    this.#next = db.prepare("SELECT min(next_attempt_at) AS at FROM deliveries WHERE status IN ('pending', 'retrying')");
    this.#statements = new StatementCache(db);
  }

  insertIfAbsent(d: DeliveryRecord): Promise<'inserted' | 'exists'> {
    return this.#writes.run(() => (this.#rows.delivery(d) ? 'inserted' as const : 'exists' as const));
  }

  async get(spaceId: string, id: string): Promise<DeliveryRecord | null> {
    const row = this.#get.get(id, spaceId) as Parameters<typeof parse>[0] | undefined;
    return row ? parse(row) : null;
  }

  update(d: DeliveryRecord, expectedRev: number): Promise<'ok' | 'version_conflict'> {
    const doc = JSON.stringify(d);
    return this.#writes.run(() => {
      // Read in the same job as the write: the counters move by the status this write replaces.
      const before = this.#statusAt.get(d.id, d.spaceId, expectedRev) as { status: DeliveryStatus; updatedAt: string } | undefined;
      if (!before || this.#update.run(d.status, d.nextAttemptAt, d.rev, doc, d.id, d.spaceId, expectedRev).changes !== 1) return 'version_conflict' as const;
      this.#rows.counters.apply(deliveryCounters(before, d));
      return 'ok' as const;
    });
  }

  claimDue(now: number, leaseUntil: number, limit: number, options: { onlyLeased?: boolean } = {}): Promise<DeliveryRecord[]> {
    // Read and lease in the same write job, so two claims in this process never take the same row.
    return this.#writes.run(() => {
      const rows = (options.onlyLeased ? this.#dueLeased : this.#due).all(now, limit) as Array<Parameters<typeof parse>[0] & { id: string; space_id: string }>;
      const claimed: DeliveryRecord[] = [];
      for (const row of rows) {
        if (this.#lease.run(leaseUntil, row.id, row.space_id, row.rev).changes !== 1) continue;
        claimed.push(parse({ ...row, next_attempt_at: leaseUntil, rev: row.rev + 1 }));
      }
      return claimed;
    });
  }

  async nextDueAt(): Promise<number | null> {
    return (this.#next.get() as { at: number | null }).at;
  }

  async list(spaceId: string, query: DeliveryQuery): Promise<DeliveryRecord[]> {
    const where = ['space_id = ?', 'id > ?'];
    const params: Array<string | number> = [spaceId, query.after ?? ''];
    if (query.status !== undefined) { where.push('status = ?'); params.push(query.status); }
    if (query.journeyId !== undefined) { where.push('journey_id = ?'); params.push(query.journeyId); }
    params.push(query.limit);
    const rows = this.#statements.get(`SELECT ${COLUMNS} FROM deliveries WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params) as Array<Parameters<typeof parse>[0]>;
    return rows.map(parse);
  }

  async listByInstance(spaceId: string, instanceId: string): Promise<DeliveryRecord[]> {
    // Idempotency keys are "<instance id>:<step>:<iteration>": ':' sorts just before ';'.
    const rows = this.#statements.get(`SELECT ${COLUMNS} FROM deliveries WHERE space_id = ? AND idempotency_key >= ? AND idempotency_key < ?
      AND instance_id = ? ORDER BY id`).all(spaceId, `${instanceId}:`, `${instanceId};`, instanceId) as Array<Parameters<typeof parse>[0]>;
    return rows.map(parse);
  }

  async listByJourney(spaceId: string, journeyId: string, options: { after?: string | null; limit: number }): Promise<DeliveryRecord[]> {
    const rows = this.#statements.get(`SELECT ${COLUMNS} FROM deliveries WHERE journey_id = ? AND space_id = ? AND id > ? ORDER BY id LIMIT ?`)
      .all(journeyId, spaceId, options.after ?? '', options.limit) as Array<Parameters<typeof parse>[0]>;
    return rows.map(parse);
  }
}
