import type { Database, Statement } from 'better-sqlite3';

/**
 * Prepared statements by SQL text, for queries built from their filters: each combination is
 * prepared once. Bounded, because IN lists of different lengths make different texts.
 */
export class StatementCache {
  readonly #db: Database;
  readonly #max: number;
  readonly #statements = new Map<string, Statement>();

  constructor(db: Database, max = 500) {
    this.#db = db;
    this.#max = max;
  }

  /** The statement for `sql`, prepared on first use. */
  get(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= this.#max) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
