import type { Database, Statement } from 'better-sqlite3';
import type { LeaseStore } from '../lease-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';

/** SQLite adapter of LeaseStore (the file is one process's, but the contract is the same everywhere). */
export class SqliteLeaseStore implements LeaseStore {
  readonly #writes: SqliteWriteQueue;
  readonly #take: Statement;
  readonly #release: Statement;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#writes = writes;
    this.#take = db.prepare(`INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
      WHERE leases.owner = excluded.owner OR leases.until <= ?`);
    this.#release = db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?');
  }

  acquire(name: string, owner: string, now: number, until: number): Promise<boolean> {
    return this.#writes.run(() => this.#take.run(name, owner, until, now).changes > 0);
  }

  async release(name: string, owner: string): Promise<void> {
    await this.#writes.run(() => this.#release.run(name, owner));
  }
}
