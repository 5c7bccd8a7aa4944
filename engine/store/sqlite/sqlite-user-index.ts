import type { Database, Statement } from 'better-sqlite3';
import { beganWithoutWaiting } from './without-waiting.ts';

/**
 * Which of the event log's events each user sent, kept behind the log instead of by its writes.
 *
 * Why not an index on the log's table: a user's entries are spread over the whole index, so every
 * ingest commit wrote one more page per event, at random: ~5 µs of the ~17 µs the HTTP thread
 * spent storing an event (bench/event-log). Here the checkpoint thread adds the entries of new
 * events every round, sorted, in the main file: the HTTP thread's commits no longer touch it.
 * Readers take the indexed part from this table and the newest events, not yet indexed, from the
 * log's end (the `seq` range above the watermark), so answers are complete at every moment.
 */

/** Key in the main file's meta table of the last event log seq whose user is in user_events. */
export const USER_INDEXED_SEQ_KEY = 'events.user_indexed_seq';

/** Most events indexed per transaction: bounds how long the main file's write lock is held (~13 ms, measured). */
const CHUNK_EVENTS = 5_000;

/** Creates the table in the main file (idempotent). */
export function applyUserIndexSchema(db: Database): void {
  db.exec(`
    -- An event's seq under its (space, user); user_events_seq finds the entries of purged events.
    CREATE TABLE IF NOT EXISTS user_events (
      space_id TEXT NOT NULL, user_id TEXT NOT NULL, seq INTEGER NOT NULL,
      PRIMARY KEY (space_id, user_id, seq)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS user_events_seq ON user_events (seq);
  `);
}

/**
 * Adds the users of new log events to user_events, on a connection to the main file that sees the
 * log under the schema name `log` (attached) or `main` (one in-memory database holds both).
 */
export class UserIndexer {
  readonly #db: Database;
  readonly #busyTimeoutMs: number;
  readonly #watermark: Statement;
  readonly #logEnd: Statement;
  readonly #insert: Statement;
  readonly #setWatermark: Statement;
  readonly #oldestEvent: Statement;
  readonly #hasDangling: Statement;
  readonly #deleteDangling: Statement;

  /** `busyTimeoutMs`: the connection's own busy timeout, restored after each non-waiting BEGIN. */
  constructor(db: Database, logSchema: 'log' | 'main', options: { busyTimeoutMs: number }) {
    this.#db = db;
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#watermark = db.prepare('SELECT CAST(value AS INTEGER) FROM main.meta WHERE key = ?').pluck();
    this.#logEnd = db.prepare(`SELECT max(seq) FROM ${logSchema}.events`).pluck();
    // Sorted, so that entries landing in the same page of the table are written together.
    this.#insert = db.prepare(`INSERT OR IGNORE INTO main.user_events (space_id, user_id, seq)
      SELECT space_id, user_id, seq FROM ${logSchema}.events WHERE seq > ? AND seq <= ? AND user_id IS NOT NULL
      ORDER BY space_id, user_id, seq`);
    this.#setWatermark = db.prepare('INSERT INTO main.meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.#oldestEvent = db.prepare(`SELECT min(seq) FROM ${logSchema}.events`).pluck();
    this.#hasDangling = db.prepare('SELECT 1 FROM main.user_events WHERE seq < ? LIMIT 1').pluck();
    this.#deleteDangling = db.prepare('DELETE FROM main.user_events WHERE seq < ?');
  }

  /**
   * Indexes up to `maxEvents` new events, in transactions of at most CHUNK_EVENTS each. Answers
   * how many log seqs it covered; it stops early when the main file's write lock is taken (the next
   * round goes on from the watermark).
   */
  step(maxEvents = 4 * CHUNK_EVENTS): number {
    let covered = 0;
    while (covered < maxEvents && this.hasWork()) {
      let chunk = 0;
      if (!this.#inTransaction(() => { chunk = this.indexChunk(); })) return covered;
      if (chunk === 0) return covered;
      covered += chunk;
    }
    return covered;
  }

  /**
   * Indexes the next CHUNK_EVENTS log seqs past the watermark and drops the entries of events
   * purged from the log's start; answers the seqs covered (0: nothing new). Call inside a write
   * transaction of the main file.
   */
  indexChunk(): number {
    const from = (this.#watermark.get(USER_INDEXED_SEQ_KEY) as number | undefined) ?? 0;
    const end = (this.#logEnd.get() as number | null) ?? 0;
    // Entries below the log's first event are of purged events (all of them, once the log is empty).
    const kept = (this.#oldestEvent.get() as number | null) ?? from + 1;
    if (this.#hasDangling.get(kept) !== undefined) this.#deleteDangling.run(kept);
    if (end <= from) return 0;
    const to = Math.min(end, from + CHUNK_EVENTS);
    this.#insert.run(from, to);
    this.#setWatermark.run(USER_INDEXED_SEQ_KEY, String(to));
    return to - from;
  }

  /** Whether a chunk would change anything: read first, so an idle round takes no write lock. */
  hasWork(): boolean {
    const from = (this.#watermark.get(USER_INDEXED_SEQ_KEY) as number | undefined) ?? 0;
    if (((this.#logEnd.get() as number | null) ?? 0) > from) return true;
    return this.#hasDangling.get((this.#oldestEvent.get() as number | null) ?? from + 1) !== undefined;
  }

  /** Runs `fn` in a write transaction, or answers false without waiting when the lock is taken. */
  #inTransaction(fn: () => void): boolean {
    if (!beganWithoutWaiting(this.#db, this.#busyTimeoutMs, () => this.#db.exec('BEGIN IMMEDIATE'))) return false;
    try {
      fn();
      this.#db.exec('COMMIT');
      return true;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}
