import type { Database, Statement } from 'better-sqlite3';
import { newId } from '../../ids.ts';
import { toJobId, type JobParameters } from 'agenda';
import { StatementCache } from '../../store/sqlite/statement-cache.ts';

/** A value better-sqlite3 binds or returns for the jobs table. */
export type SqlValue = string | number | null;

/** One stored job row, column name → value. */
export type JobRow = Record<string, SqlValue>;

type ColumnKind = 'text' | 'number' | 'raw' | 'date' | 'bool' | 'json';

interface JobColumn {
  readonly key: keyof JobParameters;
  readonly column: string;
  readonly kind: ColumnKind;
}

/**
 * Every stored JobParameters field. `_id` is the primary key; `unique` and `uniqueOpts` are
 * save-time instructions and are not stored (as in Agenda's MongoDB repository).
 */
const COLUMNS: readonly JobColumn[] = [
  { key: 'name', column: 'name', kind: 'text' },
  { key: 'priority', column: 'priority', kind: 'number' },
  { key: 'nextRunAt', column: 'next_run_at', kind: 'date' },
  { key: 'type', column: 'type', kind: 'text' },
  { key: 'lockedAt', column: 'locked_at', kind: 'date' },
  { key: 'lastRunAt', column: 'last_run_at', kind: 'date' },
  { key: 'lastFinishedAt', column: 'last_finished_at', kind: 'date' },
  { key: 'failedAt', column: 'failed_at', kind: 'date' },
  { key: 'failCount', column: 'fail_count', kind: 'number' },
  { key: 'failReason', column: 'fail_reason', kind: 'text' },
  { key: 'repeatInterval', column: 'repeat_interval', kind: 'raw' },
  { key: 'repeatTimezone', column: 'repeat_timezone', kind: 'text' },
  { key: 'repeatAt', column: 'repeat_at', kind: 'text' },
  { key: 'startDate', column: 'start_date', kind: 'date' },
  { key: 'endDate', column: 'end_date', kind: 'date' },
  { key: 'skipDays', column: 'skip_days', kind: 'json' },
  { key: 'data', column: 'data', kind: 'json' },
  { key: 'disabled', column: 'disabled', kind: 'bool' },
  { key: 'progress', column: 'progress', kind: 'number' },
  { key: 'fork', column: 'fork', kind: 'bool' },
  { key: 'debounceStartedAt', column: 'debounce_started_at', kind: 'date' },
  { key: 'lastModifiedBy', column: 'last_modified_by', kind: 'text' },
];

const COLUMN_BY_KEY = new Map<string, JobColumn>(COLUMNS.map((c) => [c.key, c]));

/** Defaults a new row gets for fields the job leaves out (the NOT NULL columns). */
const INSERT_DEFAULTS: Partial<Record<keyof JobParameters, unknown>> = { priority: 0, type: 'normal', disabled: false, fork: false };

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Epoch milliseconds of a Date (or of anything `new Date()` reads), null when absent or invalid. */
export function toEpochMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : new Date(value as string | number).getTime();
  return Number.isFinite(ms) ? ms : null;
}

function toSql(kind: ColumnKind, value: unknown): SqlValue {
  if (kind === 'bool') return value ? 1 : 0;
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'date': return toEpochMs(value);
    case 'json': return JSON.stringify(value) ?? null;
    case 'number': return Number(value);
    case 'text': return String(value);
    case 'raw': return typeof value === 'number' ? value : String(value);
  }
}

function fromSql(kind: ColumnKind, value: SqlValue): unknown {
  if (kind === 'bool') return value === 1;
  if (value === null) return undefined;
  switch (kind) {
    case 'date': return new Date(value as number);
    case 'json': return JSON.parse(value as string);
    default: return value;
  }
}

/** The SQL value of `key` as stored for a job, or `undefined` when `key` is not a stored field. */
export function fieldToSql(key: string, value: unknown): SqlValue | undefined {
  const column = COLUMN_BY_KEY.get(key);
  return column ? toSql(column.kind, value) : undefined;
}

/** The column that stores JobParameters field `key`, if it is stored. */
export function columnOf(key: string): string | undefined {
  return COLUMN_BY_KEY.get(key)?.column;
}

/**
 * The jobs table: its DDL, row ⇄ JobParameters conversion, and a prepared-statement cache.
 * It runs SQL as told; whether a call happens inside the write queue is the caller's business.
 */
export class SqliteJobTable {
  /** Quoted table name, safe to splice into SQL (validated in the constructor). */
  readonly sqlName: string;
  readonly #db: Database;
  readonly #name: string;
  readonly #statements: StatementCache;

  constructor(db: Database, tableName: string) {
    if (!TABLE_NAME.test(tableName)) throw new Error(`invalid Agenda table name "${tableName}": use letters, digits and _`);
    this.#db = db;
    this.#name = tableName;
    this.sqlName = `"${tableName}"`;
    this.#statements = new StatementCache(db);
  }

  /** Creates the table and its indexes if they do not exist (idempotent). */
  createSchema(): void {
    const t = this.sqlName;
    const n = this.#name;
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS ${t} (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        next_run_at INTEGER,
        type TEXT NOT NULL DEFAULT 'normal',
        locked_at INTEGER,
        last_run_at INTEGER,
        last_finished_at INTEGER,
        failed_at INTEGER,
        fail_count INTEGER,
        fail_reason TEXT,
        -- no declared type: a number interval stays a number, a string stays a string
        repeat_interval,
        repeat_timezone TEXT,
        repeat_at TEXT,
        start_date INTEGER,
        end_date INTEGER,
        skip_days TEXT,
        data TEXT,
        disabled INTEGER NOT NULL DEFAULT 0,
        progress REAL,
        fork INTEGER NOT NULL DEFAULT 0,
        debounce_started_at INTEGER,
        last_modified_by TEXT);
      -- Due, unlocked, enabled jobs in lock order: the lock query reads the first entry.
      CREATE INDEX IF NOT EXISTS "${n}_due" ON ${t} (name, next_run_at, priority DESC, id)
        WHERE locked_at IS NULL AND disabled = 0;
      -- Locked jobs, for the expired-lock half of the lock query.
      CREATE INDEX IF NOT EXISTS "${n}_locked" ON ${t} (name, locked_at) WHERE locked_at IS NOT NULL;
      -- At most one 'single' (every()) job per name: the upsert's conflict target.
      CREATE UNIQUE INDEX IF NOT EXISTS "${n}_single" ON ${t} (name) WHERE type = 'single';
      CREATE INDEX IF NOT EXISTS "${n}_name" ON ${t} (name);
      CREATE INDEX IF NOT EXISTS "${n}_next_run_at" ON ${t} (next_run_at) WHERE next_run_at IS NOT NULL;
    `);
  }

  /** A prepared statement for `sql`, prepared once per distinct text. */
  prepare(sql: string): Statement {
    return this.#statements.get(sql);
  }

  /** The stored job with this id, or undefined. */
  findById(id: string): JobRow | undefined {
    return this.prepare(`SELECT * FROM ${this.sqlName} WHERE id = ?`).get(id) as JobRow | undefined;
  }

  /** Inserts a new job (fields it leaves out get defaults) and returns the stored row. */
  insert(job: Partial<JobParameters>): JobRow {
    const columns = this.columnNames();
    const sql = `INSERT INTO ${this.sqlName} (id, ${columns.join(', ')}) VALUES (?${', ?'.repeat(columns.length)}) RETURNING *`;
    return this.prepare(sql).get(this.newId(), ...this.insertValues(job)) as JobRow;
  }

  /** The columns of the fields present in `fields` (own keys, even when undefined). */
  presentColumns(fields: Partial<JobParameters>): string[] {
    return COLUMNS.filter((c) => Object.hasOwn(fields, c.key)).map((c) => c.column);
  }

  /**
   * The `SET` list and values for the fields present in `fields` (own keys, even when undefined:
   * a present-but-undefined field is cleared, as Agenda's MongoDB repository's `$set` does).
   */
  assignments(fields: Partial<JobParameters>): { set: string[]; values: SqlValue[] } {
    const set: string[] = [];
    const values: SqlValue[] = [];
    for (const column of COLUMNS) {
      if (!Object.hasOwn(fields, column.key)) continue;
      set.push(`${column.column} = ?`);
      values.push(toSql(column.kind, fields[column.key]));
    }
    return { set, values };
  }

  /** Updates the present fields of the job with this id (and name, when given); returns the row, or undefined if none matched. */
  updateById(id: string, fields: Partial<JobParameters>, name?: string): JobRow | undefined {
    const { set, values } = this.assignments(fields);
    if (set.length === 0) return this.findById(id);
    const nameClause = name === undefined ? '' : ' AND name = ?';
    const params = name === undefined ? [...values, id] : [...values, id, name];
    return this.prepare(`UPDATE ${this.sqlName} SET ${set.join(', ')} WHERE id = ?${nameClause} RETURNING *`).get(...params) as JobRow | undefined;
  }

  /** A new id for a row about to be inserted: time-ordered, so inserts stay at the end of the primary-key b-tree and `id` is a creation order. */
  newId(): string {
    return newId();
  }

  /** The values of every stored column for a new row, in `columnNames()` order (defaults applied). */
  insertValues(job: Partial<JobParameters>): SqlValue[] {
    return COLUMNS.map((c) => toSql(c.kind, Object.hasOwn(job, c.key) && job[c.key] !== undefined ? job[c.key] : INSERT_DEFAULTS[c.key]));
  }

  /** Every stored column except `id`, in a fixed order. */
  columnNames(): string[] {
    return COLUMNS.map((c) => c.column);
  }
}

/** The JobParameters a stored row stands for; absent fields are left out, `nextRunAt` and `data` are null when empty. */
export function rowToJob<DATA = unknown>(row: JobRow): JobParameters<DATA> {
  const job: Record<string, unknown> = { _id: toJobId(row.id as string) };
  for (const column of COLUMNS) {
    const value = fromSql(column.kind, row[column.column] ?? null);
    if (value !== undefined) job[column.key] = value;
  }
  job.nextRunAt ??= null;
  job.data ??= null;
  return job as unknown as JobParameters<DATA>;
}
