import type { Database, Statement } from 'better-sqlite3';

/**
 * Most rows one statement carries. Why several rows per statement: each `run` binds and steps on
 * its own, and one statement for five rows cost ~0.9 µs less per row than five statements
 * (bench/RESULTS.md, sixteenth session); beyond ~5 rows the saving flattens.
 */
const MAX_ROWS_PER_STATEMENT = 8;

/**
 * An `INSERT OR IGNORE` that writes several rows per statement, with one prepared statement per
 * row count (made on first use). Why OR IGNORE: a plain multi-row INSERT makes SQLite keep a
 * statement journal so that a failing row can take the statement back (2.6× slower, measured);
 * callers compare the count inserted with the rows given instead.
 */
export class MultiRowInsert {
  readonly #db: Database;
  readonly #head: string;
  readonly #values: string;
  readonly #byRows = new Map<number, Statement>();

  /** `head`: `INSERT OR IGNORE INTO table (columns)`, for rows of `columns` values. */
  constructor(db: Database, head: string, columns: number) {
    this.#db = db;
    this.#head = head;
    this.#values = `(${Array(columns).fill('?').join(', ')})`;
    this.#statement(1);
  }

  /** Inserts the rows in order; answers how many were inserted (the others were ignored). */
  run(rows: ReadonlyArray<readonly unknown[]>): number {
    let inserted = 0;
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_STATEMENT) {
      const end = Math.min(rows.length, start + MAX_ROWS_PER_STATEMENT);
      const values: unknown[] = [];
      for (let i = start; i < end; i++) for (const value of rows[i]!) values.push(value);
      inserted += this.#statement(end - start).run(...values).changes;
    }
    return inserted;
  }

  #statement(rows: number): Statement {
    let statement = this.#byRows.get(rows);
    if (!statement) {
      statement = this.#db.prepare(`${this.#head} VALUES ${Array(rows).fill(this.#values).join(', ')}`);
      this.#byRows.set(rows, statement);
    }
    return statement;
  }
}
