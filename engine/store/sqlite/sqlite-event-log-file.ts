import path from 'node:path';
import type { Database } from 'better-sqlite3';

/**
 * File name of the event log (events and their message ids) inside the data directory.
 *
 * Why a file of its own: the HTTP thread appends events and the processing thread writes
 * everything else. On one file each commit waited for the other thread's write lock and their
 * fsyncs queued behind each other; with the log apart, an ingest commit never waits for
 * processing (event → destination p50 at 1,000 events/s went from ~18 ms to ~9 ms, measured).
 */
export const EVENT_LOG_FILE = 'events.db';

/** Key in the main file's meta table of the processing cursor (the last processed seq). */
export const PROCESSED_SEQ_KEY = 'events.processed_seq';

/** Creates the event log's tables and indexes (idempotent). */
export function applyEventLogSchema(db: Database): void {
  db.exec(`
    -- seq orders the log; its commit order is the processing order. AUTOINCREMENT: a seq is never
    -- handed out twice, even after the newest events are deleted (with their space, or by a purge),
    -- so a new event can never land at or below the processing cursor and be skipped.
    CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, space_id TEXT NOT NULL, message_id TEXT NOT NULL,
      type TEXT NOT NULL, name TEXT, user_id TEXT, anonymous_id TEXT,
      timestamp TEXT NOT NULL, received_at TEXT NOT NULL, message TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS events_space ON events (space_id, seq);
    CREATE INDEX IF NOT EXISTS events_id ON events (id);
    -- A user's events are found through user_events in the main file (sqlite-user-index.ts); the
    -- index on this table that did it before cost ingest a third of its storing time (bench/event-log).
    DROP INDEX IF EXISTS events_user;
    -- No index on anonymous_id: anonymous ids are random, and a random-order index halves the
    -- append rate (measured); the event log's anonymousId filter scans the space's events instead.

    -- received_at in epoch ms; a row older than the dedupe window no longer blocks its messageId.
    CREATE TABLE IF NOT EXISTS message_ids (
      space_id TEXT NOT NULL, message_id TEXT NOT NULL, received_at INTEGER NOT NULL, event_id TEXT,
      PRIMARY KEY (space_id, message_id)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS message_ids_age ON message_ids (received_at);
  `);
}

const COLUMNS_BUT_SEQ = 'id, space_id, message_id, type, name, user_id, anonymous_id, timestamp, received_at, message';
const EVENT_COLUMNS = `seq, ${COLUMNS_BUT_SEQ}`;

/**
 * Moves the event log of a data directory written by an older version (which kept it in the main
 * file) into the log's own file. Safe to cut short at any point,
 * power loss included: the copy is committed (and synced) in the log's file before the old tables
 * are dropped, and it skips events already copied, so the next start finishes the move.
 *
 * Why the copy runs on the log's connection, with the main file attached: an attached schema
 * commits with SQLite's default `synchronous` for WAL (NORMAL in this build), so a copy made from
 * the main connection could still be in the OS cache when the drop, synced, removed the originals.
 */
export function moveEventLogIntoItsFile(main: Database, mainFile: string, log: Database): void {
  const old = main.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'message_ids')`).all() as Array<{ name: string }>;
  if (old.length === 0) return;
  const has = (table: string) => old.some((t) => t.name === table);
  if (has('message_ids') && !(main.prepare('PRAGMA table_info(message_ids)').all() as Array<{ name: string }>).some((c) => c.name === 'event_id')) {
    main.exec('ALTER TABLE message_ids ADD COLUMN event_id TEXT');
  }
  log.prepare('ATTACH DATABASE ? AS old').run(mainFile);
  try {
    log.transaction(() => {
      if (has('events')) {
        const notCopied = 'NOT EXISTS (SELECT 1 FROM main.events l WHERE l.id = o.id)';
        // Each event keeps its seq (the processing cursor counts in them)...
        log.exec(`INSERT INTO main.events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM old.events o
          WHERE ${notCopied} AND NOT EXISTS (SELECT 1 FROM main.events l WHERE l.seq = o.seq) ORDER BY o.seq`);
        // ...unless another event holds it: an older version run again on a directory already moved
        // numbers its events from 1 again. Those go after the log's end, in their order, not lost.
        log.exec(`INSERT INTO main.events (${COLUMNS_BUT_SEQ}) SELECT ${COLUMNS_BUT_SEQ}
          FROM old.events o WHERE ${notCopied} ORDER BY o.seq`);
      }
      if (has('message_ids')) {
        log.exec(`INSERT OR IGNORE INTO main.message_ids (space_id, message_id, received_at, event_id)
          SELECT space_id, message_id, received_at, event_id FROM old.message_ids`);
      }
    }).immediate();
  } finally {
    log.exec('DETACH DATABASE old');
  }
  main.exec('DROP TABLE IF EXISTS main.events; DROP TABLE IF EXISTS main.message_ids');
}

/**
 * Makes the next event's seq larger than the processing cursor. Needed only when the log file is
 * older than the main file (restored from an older backup, or removed): new events would
 * otherwise get seqs the processor has already passed, and never be processed.
 */
export function keepSeqAboveCursor(log: Database, cursor: number): void {
  const sequence = log.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`);
  const isBelow = () => ((sequence.get() as { seq: number } | undefined)?.seq ?? 0) < cursor;
  // Read first: on every start but the rare one this is all, and it takes no write lock.
  if (!isBelow()) return;
  log.transaction(() => {
    if (!isBelow()) return;
    const updated = log.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'`).run(cursor).changes;
    if (updated === 0) log.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)`).run(cursor);
  }).immediate();
}

/**
 * Attaches the event log of `dataDir` to a connection on its main file (tools and tests that
 * read both): the main file has no `events` table, so `events` and `message_ids` name the log's.
 */
export function attachEventLog(db: Database, dataDir: string): void {
  db.prepare('ATTACH DATABASE ? AS log').run(path.join(dataDir, EVENT_LOG_FILE));
}
