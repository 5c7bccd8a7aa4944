import type { Database, Statement } from 'better-sqlite3';

interface QueuedWrite {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the embedded store. Writes issued during one turn of the event loop are
 * committed together in one transaction (one fsync), and each caller's promise resolves only
 * after that commit, so "resolved" still means "durable".
 *
 * Why: one commit per write caps SQLite at a few thousand durable writes per second; grouping
 * lifts that to tens of thousands. Each write runs in its own savepoint, so a failing write
 * rolls back alone and the grouping never makes two writes depend on each other.
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

  constructor(db: Database, options: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 5000;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#savepoint = db.prepare('SAVEPOINT w');
    this.#release = db.prepare('RELEASE w');
    this.#rollbackTo = db.prepare('ROLLBACK TO w');
  }

  /** Runs `fn` (synchronous SQLite work) in the next group commit; resolves with its result once durable. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flushOne());
      }
    });
  }

  /** Group commits made so far (tests and benchmarks read it). */
  get commitCount(): number {
    return this.#commits;
  }

  /** Commits everything queued now (on close). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) this.#commitBatch();
  }

  /**
   * Commits one batch, and leaves the rest to the next turn of the event loop: between two
   * transactions, another connection (the other thread) gets a chance at the write lock.
   */
  #flushOne(): void {
    this.#scheduled = false;
    this.#commitBatch();
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flushOne());
    }
  }

  #commitBatch(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.#begin.run();
      for (const write of batch) {
        this.#savepoint.run();
        try {
          outcomes.push({ ok: true, value: write.fn() });
          this.#release.run();
        } catch (error) {
          this.#rollbackTo.run();
          this.#release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.#commit.run();
      this.#commits++;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }
}
