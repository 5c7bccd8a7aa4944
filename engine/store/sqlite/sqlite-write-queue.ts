import type { Database, Statement } from 'better-sqlite3';
import { beganWithoutWaiting } from './without-waiting.ts';

/** How long a blocking statement waits for another connection's write lock. */
export const BUSY_TIMEOUT_MS = 30_000;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * State that writes accumulate during a group commit and that is written once, just before it
 * commits (journey counters: hundreds of writes moving the same few rows become one upsert
 * each). It follows the writes' savepoints: a write that rolls back takes its part back.
 */
export interface TransactionBuffer {
  /** A position to rewind to. */
  mark(): number;
  /** Forgets what was added since `mark`. */
  rewind(mark: number): void;
  /** Writes what was accumulated (inside the transaction) and empties the buffer. */
  flush(): void;
}

interface QueuedWrite {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the embedded store. Writes issued during one turn of the event loop are
 * committed together in one transaction (one fsync), and each caller's promise resolves only
 * after that commit, so "resolved" still means "durable" (with synchronous=FULL; see WalSync).
 *
 * Why: one commit per write caps SQLite at a few thousand durable writes per second; grouping
 * lifts that to tens of thousands. A failing write rolls back alone (the batch is then rolled
 * back and replayed with one savepoint per write), so the grouping never makes two writes depend
 * on each other.
 */
export class SqliteWriteQueue {
  readonly #db: Database;
  readonly #maxBatch: number;
  #queue: QueuedWrite[] = [];
  #commits = 0;
  #scheduled = false;
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #savepoint: Statement;
  readonly #release: Statement;
  readonly #rollbackTo: Statement;
  readonly #rollback: Statement;

  #retryBusy: boolean;
  readonly #buffers: TransactionBuffer[] = [];
  /** A batch one of whose writes failed in a plain run (see #runAll): run next, one write at a time. */
  #isolate: QueuedWrite[] | null = null;

  /**
   * `retryBusy`: when another connection holds the write lock, retry the transaction on a timer
   * instead of letting SQLite's busy handler sleep in this thread.
   */
  constructor(db: Database, options: { maxBatch?: number; retryBusy?: boolean } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 5000;
    this.#retryBusy = options.retryBusy ?? false;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#savepoint = db.prepare('SAVEPOINT w');
    this.#release = db.prepare('RELEASE w');
    this.#rollbackTo = db.prepare('ROLLBACK TO w');
    this.#rollback = db.prepare('ROLLBACK');
  }

  /**
   * Runs `fn` (synchronous SQLite work) in the next group commit; resolves with its result once
   * committed, which with synchronous=FULL means on disk (a connection that commits with NORMAL
   * has a WalSync for what must be).
   */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flushOne());
      }
    });
  }

  /** Adds a buffer flushed before every commit (see TransactionBuffer). */
  addBuffer(buffer: TransactionBuffer): void {
    this.#buffers.push(buffer);
  }

  #marks(): number[] {
    return this.#buffers.map((b) => b.mark());
  }

  #rewind(marks: readonly number[]): void {
    this.#buffers.forEach((b, i) => b.rewind(marks[i] ?? 0));
  }

  /** Group commits made so far (tests and benchmarks read it). */
  get commitCount(): number {
    return this.#commits;
  }

  /** Commits everything queued now (on close). */
  flush(): void {
    this.#scheduled = false;
    const retry = this.#retryBusy;
    // On close, wait for the lock like any blocking connection.
    this.#retryBusy = false;
    try {
      while (this.#queue.length > 0 || this.#isolate !== null) this.#commitBatch();
    } finally {
      this.#retryBusy = retry;
    }
  }

  /**
   * Commits one batch, and leaves the rest to the next turn of the event loop: between two
   * transactions, another connection (the other thread) gets a chance at the write lock.
   */
  #flushOne(): void {
    this.#scheduled = false;
    this.#commitBatch();
    if ((this.#queue.length > 0 || this.#isolate !== null) && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flushOne());
    }
  }

  #commitBatch(): void {
    if (this.#retryBusy && !this.#beginWithoutWaiting()) return;
    // A batch whose plain run failed goes again, one savepoint per write, before anything queued after it.
    const isolated = this.#isolate;
    this.#isolate = null;
    const batch = isolated ?? this.#queue.splice(0, this.#maxBatch);
    let outcomes: Outcome[];
    try {
      if (!this.#retryBusy) this.#begin.run();
      if (isolated) {
        outcomes = this.#runOneByOne(batch);
      } else {
        const all = this.#runAll(batch);
        if (all === null) {
          this.#isolate = batch;
          this.#commitBatch();
          return;
        }
        outcomes = all;
      }
      for (const buffer of this.#buffers) buffer.flush();
      this.#commit.run();
      this.#commits++;
    } catch (error) {
      this.#rewind(this.#buffers.map(() => 0));
      if (this.#db.inTransaction) this.#rollback.run();
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }

  /**
   * BEGIN IMMEDIATE without sleeping in SQLite's busy handler; when the other thread holds the
   * lock, schedules another try shortly (the queue is left as it is) and answers false.
   */
  #beginWithoutWaiting(): boolean {
    // Only this BEGIN must not wait; every other statement keeps the connection's busy timeout.
    if (beganWithoutWaiting(this.#db, BUSY_TIMEOUT_MS, () => this.#begin.run())) return true;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.#flushOne(), 0);
    }
    return false;
  }

  /**
   * Runs the whole batch as it is, with no savepoint. Writes almost never fail; if one does, the
   * whole transaction is rolled back and the caller runs the batch again one write at a time (null).
   *
   * Why no savepoint around the batch: SQLite then keeps the original of every page the batch
   * changes in a statement journal, which spills to a temporary file past 64 KB. On the ingest
   * thread that was 2.7 writes to /var/tmp for every write to the WAL (strace); without it single
   * calls gained ~4% (five interleaved pairs, bench/RESULTS.md).
   */
  #runAll(batch: QueuedWrite[]): Outcome[] | null {
    const outcomes: Outcome[] = [];
    const marks = this.#marks();
    try {
      for (const write of batch) outcomes.push({ ok: true, value: write.fn() });
      return outcomes;
    } catch {
      this.#rewind(marks);
      if (this.#db.inTransaction) this.#rollback.run();
      return null;
    }
  }

  /** Runs each write in its own savepoint, so that a failing write rolls back alone. */
  #runOneByOne(batch: QueuedWrite[]): Outcome[] {
    const outcomes: Outcome[] = [];
    for (const write of batch) {
      const marks = this.#marks();
      this.#savepoint.run();
      try {
        outcomes.push({ ok: true, value: write.fn() });
        this.#release.run();
      } catch (error) {
        this.#rollbackTo.run();
        this.#release.run();
        this.#rewind(marks);
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }
}
