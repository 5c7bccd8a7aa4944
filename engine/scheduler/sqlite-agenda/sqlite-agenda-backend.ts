/**
 * Agenda 6 backend for the embedded SQLite store: Agenda's jobs live in one table of the engine's
 * database, and every write goes through the engine's group-commit queue (SqliteWriteQueue).
 *
 * It promises:
 * - Durability: a repository call that wrote resolves only once it is committed, in the same
 *   commits as the engine's other writes (one connection, one writer); committed is on disk where
 *   the connection fsyncs in COMMIT (the HTTP thread's), and survives a process crash everywhere.
 * - Atomic locking: finding and locking a job is one `UPDATE … RETURNING` inside one write, and
 *   SQLite has one writer at a time (across connections and processes too: the queue commits with
 *   `BEGIN IMMEDIATE`), so two Agenda instances on the same database never hold one job's lock at once.
 * - MongoDB's lock semantics: the next job for a name is one that is enabled and either due and
 *   unlocked (`nextRunAt <= nextScanAt`) or locked before the lock deadline (its worker presumed
 *   dead), earliest `nextRunAt` first, then highest priority, then oldest job; `every()` jobs are
 *   one row per name; unique and debounced saves, disable/enable, cancel, purge and the dashboard
 *   queries behave as in Agenda's MongoDB repository (differences below).
 * - Its table and indexes are created on construction, idempotently.
 *
 * It does not promise:
 * - Exclusive execution longer than the lock lifetime: a lock is a lease. A handler that runs past
 *   its job's lock lifetime without `job.touch()` may be taken over by another worker (Agenda's rule).
 * - Real-time pickup: there is no notification channel, so Agenda polls (`processEvery`); pass
 *   Agenda a `notificationChannel` for immediate processing within one process.
 * - Persistent job logs: there is no JobLogger; `logging: true` has nothing to write to
 *   (pass Agenda a JobLogger of your own).
 * - Rich `data`: it is stored as JSON, so Dates inside `data` come back as ISO strings and
 *   `undefined` members disappear (MongoDB keeps Dates).
 * - MongoDB's query language: `data` filters (cancel/disable/enable/queryJobs) match the whole
 *   `data` exactly (as JSON text, key order included, like MongoDB's embedded-document equality);
 *   `unique` keys may only be `data`, `data.<path>` or job fields.
 * - Speed for one job per journey timer: each lock, state save and unlock waits for a group commit
 *   (an fsync with synchronous=FULL). Use it for Agenda's strengths (recurring, coordinated, retry
 *   jobs) and claim due journey timers in batches elsewhere (see product.md, "Speed").
 * - Closing the database: it belongs to the engine; `disconnect()` does nothing.
 */
import type { AgendaBackend } from 'agenda';
import type { Database } from 'better-sqlite3';
import type { SqliteWriteQueue } from '../../store/sqlite/sqlite-write-queue.ts';
import { SqliteJobRepository } from './sqlite-job-repository.ts';

/** Options of SqliteAgendaBackend. */
export interface SqliteAgendaBackendOptions {
  /** The engine's open database (WAL); reads use it directly. */
  db: Database;
  /** The engine's group-commit queue on that database; every write goes through it. */
  writes: SqliteWriteQueue;
  /** Jobs table name, letters, digits and `_` (default `agenda_jobs`). */
  tableName?: string;
}

/** Agenda backend storing jobs in the engine's SQLite database (polling, no notification channel, no job logger). */
export class SqliteAgendaBackend implements AgendaBackend {
  readonly name = 'SQLite';
  readonly repository: SqliteJobRepository;
  /** The database is the engine's: Agenda's `stop()` must not close it. */
  readonly ownsConnection = false;

  constructor(options: SqliteAgendaBackendOptions) {
    this.repository = new SqliteJobRepository(options);
  }

  /** Called by every Agenda built on this backend; the table already exists, so it only resolves. */
  async connect(): Promise<void> {
    await this.repository.connect();
  }

  /** Leaves the database open (the engine closes it). */
  async disconnect(): Promise<void> {}
}
