import type { Database, Statement } from 'better-sqlite3';
import { computeJobState } from 'agenda';
import type {
  JobId, JobParameters, JobRepository, JobRepositoryOptions, JobsOverview, JobsQueryOptions, JobsResult,
  JobWithState, RemoveJobsOptions,
} from 'agenda';
import type { SqliteWriteQueue } from '../../store/sqlite/sqlite-write-queue.ts';
import { rowToJob, SqliteJobTable, toEpochMs, type JobRow } from './sqlite-job-table.ts';
import { orderBy, queryOptionsFilter, removeOptionsFilter } from './sqlite-job-filters.ts';
import { saveJobSync } from './save-job-sync.ts';

/** Options of SqliteJobRepository. */
export interface SqliteJobRepositoryOptions {
  /** The engine's database; reads use it directly. */
  db: Database;
  /** The engine's group-commit queue; every write goes through it. */
  writes: SqliteWriteQueue;
  /** Jobs table name (default `agenda_jobs`). */
  tableName?: string;
}

/** Default jobs table name, the same as Agenda's PostgreSQL backend uses. */
export const DEFAULT_AGENDA_TABLE = 'agenda_jobs';

/** Lock order of the lock queries: earliest due first, then highest priority, then oldest job. */
const LOCK_ORDER = 'next_run_at ASC, priority DESC, id ASC';

/**
 * The statement that finds and locks the next job of a name: the lock query of Agenda's MongoDB
 * repository, i.e. a due unlocked job or any job whose lock is older than the lock deadline (its
 * worker is presumed dead). Exported for the query-plan test.
 *
 * Why two halves: each reads one index entry (see SqliteJobTable's indexes); one OR'ed scan
 * would visit and sort every due job. Why `+@name`: better-sqlite3 builds SQLite with STAT4, and
 * a bare `name = ?` under an ORDER BY makes SQLite re-plan the statement on every run (about
 * 10 µs, 8x this statement's cost); the unary plus hides the value from the planner and changes
 * nothing else (the index is still used).
 */
export function lockNextJobSql(table: string): string {
  return `UPDATE ${table} SET locked_at = @lockedAt, last_modified_by = @by WHERE id = (
    SELECT id FROM (
      SELECT * FROM (SELECT id, next_run_at, priority FROM ${table}
        WHERE name = +@name AND locked_at IS NULL AND disabled = 0 AND next_run_at <= @nextScanAt
        ORDER BY ${LOCK_ORDER} LIMIT 1)
      UNION ALL
      SELECT * FROM (SELECT id, next_run_at, priority FROM ${table}
        WHERE name = +@name AND locked_at <= @lockDeadline AND disabled = 0
        ORDER BY ${LOCK_ORDER} LIMIT 1))
    ORDER BY ${LOCK_ORDER} LIMIT 1)
    RETURNING *`;
}

/**
 * Agenda's JobRepository over one SQLite table (see SqliteAgendaBackend for what it promises).
 * Reads run on the database directly; each write is one function on the write queue, so every
 * read-modify-write (locking, unique upserts) is atomic and every resolved write is committed.
 */
export class SqliteJobRepository implements JobRepository {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #table: SqliteJobTable;
  readonly #lockNext: Statement;
  readonly #lockOne: Statement;
  readonly #saveState: Statement;

  constructor(options: SqliteJobRepositoryOptions) {
    this.#db = options.db;
    this.#writes = options.writes;
    this.#table = new SqliteJobTable(options.db, options.tableName ?? DEFAULT_AGENDA_TABLE);
    // Why here and not in connect(): the statements prepared below need the table, and a
    // repository used without Agenda (the engine's own code, tests) never calls connect().
    // CREATE … IF NOT EXISTS is idempotent, and runs outside any group commit because the queue
    // never leaves a transaction open between turns of the event loop.
    this.#table.createSchema();
    const t = this.#table.sqlName;
    this.#lockNext = this.#db.prepare(lockNextJobSql(t));
    this.#lockOne = this.#db.prepare(`UPDATE ${t} SET locked_at = @lockedAt, last_modified_by = @by
      WHERE id = @id AND name = @name AND locked_at IS NULL AND next_run_at IS @nextRunAt AND disabled = 0 RETURNING *`);
    this.#saveState = this.#db.prepare(`UPDATE ${t} SET locked_at = @lockedAt, next_run_at = @nextRunAt,
      last_run_at = @lastRunAt, progress = @progress, fail_reason = @failReason, fail_count = @failCount,
      failed_at = @failedAt, last_finished_at = @lastFinishedAt, last_modified_by = @by
      WHERE id = @id AND name = @name`);
  }

  /** Nothing to connect: the table exists from construction and the database is the engine's. */
  async connect(): Promise<void> {}

  async queryJobs(options: JobsQueryOptions = {}): Promise<JobsResult> {
    const { state, skip = 0, limit = 0 } = options;
    const now = new Date();
    const filter = queryOptionsFilter(options);
    const select = `SELECT * FROM ${this.#table.sqlName} WHERE ${filter.where} ORDER BY ${orderBy(options.sort)}`;
    const withState = (row: JobRow): JobWithState => {
      const job = rowToJob(row);
      return { ...job, _id: job._id!, state: computeJobState(job, now) };
    };
    if (!state) {
      // Without a state filter the database can count and paginate.
      const total = (this.#table.prepare(`SELECT count(*) AS n FROM ${this.#table.sqlName} WHERE ${filter.where}`).get(...filter.params) as { n: number }).n;
      const page = limit > 0 ? ` LIMIT ${Math.trunc(limit)} OFFSET ${Math.trunc(skip)}` : skip > 0 ? ` LIMIT -1 OFFSET ${Math.trunc(skip)}` : '';
      const rows = this.#table.prepare(select + page).all(...filter.params) as JobRow[];
      return { jobs: rows.map(withState), total };
    }
    // The state is computed from several fields (Agenda's computeJobState), so filter it here;
    // 'paused' means disabled, as in Agenda's own repositories.
    const jobs = (this.#table.prepare(select).all(...filter.params) as JobRow[]).map(withState)
      .filter((job) => (state === 'paused' ? job.disabled === true : job.state === state));
    return { jobs: limit > 0 ? jobs.slice(skip, skip + limit) : jobs.slice(skip), total: jobs.length };
  }

  async getJobsOverview(): Promise<JobsOverview[]> {
    const now = new Date();
    const rows = this.#table.prepare(`SELECT name, locked_at, last_finished_at, failed_at, next_run_at, repeat_interval, disabled
      FROM ${this.#table.sqlName} ORDER BY name`).all() as JobRow[];
    const byName = new Map<string, JobsOverview>();
    for (const row of rows) {
      const name = row.name as string;
      let overview = byName.get(name);
      if (!overview) {
        overview = { name, total: 0, running: 0, scheduled: 0, queued: 0, completed: 0, failed: 0, repeating: 0, paused: 0 };
        byName.set(name, overview);
      }
      const job = rowToJob(row);
      overview.total++;
      overview[computeJobState(job, now)]++;
      // As in Agenda's repositories, a disabled job counts in its state and also as paused.
      if (job.disabled === true) overview.paused++;
    }
    return [...byName.values()];
  }

  async getDistinctJobNames(): Promise<string[]> {
    return (this.#table.prepare(`SELECT DISTINCT name FROM ${this.#table.sqlName} ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);
  }

  async getJobById(id: string): Promise<JobParameters | null> {
    const row = this.#table.findById(String(id));
    return row ? rowToJob(row) : null;
  }

  async getQueueSize(): Promise<number> {
    return (this.#table.prepare(`SELECT count(*) AS n FROM ${this.#table.sqlName} WHERE next_run_at < ?`).get(Date.now()) as { n: number }).n;
  }

  async removeJobs(options: RemoveJobsOptions): Promise<number> {
    const filter = removeOptionsFilter(options);
    if (!filter) return 0;
    return this.#writes.run(() => this.#table.prepare(`DELETE FROM ${this.#table.sqlName} WHERE ${filter.where}`).run(...filter.params).changes);
  }

  async saveJob<DATA = unknown>(job: JobParameters<DATA>, options: JobRepositoryOptions | undefined): Promise<JobParameters<DATA>> {
    const now = new Date();
    return this.#writes.run(() => saveJobSync(this.#table, job, options?.lastModifiedBy, now));
  }

  async saveJobState(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<void> {
    if (!job._id) throw new Error('Cannot save job state without job ID');
    const changes = await this.#writes.run(() => this.#saveState.run({
      id: String(job._id), name: job.name,
      lockedAt: toEpochMs(job.lockedAt), nextRunAt: toEpochMs(job.nextRunAt), lastRunAt: toEpochMs(job.lastRunAt),
      progress: job.progress ?? null, failReason: job.failReason ?? null, failCount: job.failCount ?? null,
      failedAt: toEpochMs(job.failedAt), lastFinishedAt: toEpochMs(job.lastFinishedAt), by: options?.lastModifiedBy ?? null,
    }).changes);
    if (changes !== 1) {
      throw new Error(`job ${job._id} (name: ${job.name}) cannot be updated in the database, maybe it does not exist anymore?`);
    }
  }

  async lockJob(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    if (!job._id) return undefined;
    const params = {
      id: String(job._id), name: job.name, nextRunAt: toEpochMs(job.nextRunAt),
      lockedAt: Date.now(), by: options?.lastModifiedBy ?? null,
    };
    const row = await this.#writes.run(() => this.#lockOne.get(params) as JobRow | undefined);
    return row ? rowToJob(row) : undefined;
  }

  async unlockJob(job: JobParameters): Promise<void> {
    if (!job._id) return;
    // A job whose nextRunAt is null is running its last run: its worker unlocks it when done.
    await this.#writes.run(() => this.#table.prepare(`UPDATE ${this.#table.sqlName} SET locked_at = NULL WHERE id = ? AND next_run_at IS NOT NULL`).run(String(job._id)));
  }

  async unlockJobs(jobIds: (JobId | string)[]): Promise<void> {
    if (jobIds.length === 0) return;
    const ids = JSON.stringify(jobIds.map(String));
    await this.#writes.run(() => this.#table.prepare(`UPDATE ${this.#table.sqlName} SET locked_at = NULL WHERE id IN (SELECT value FROM json_each(?))`).run(ids));
  }

  async getNextJobToRun(jobName: string, nextScanAt: Date, lockDeadline: Date, now: Date | undefined, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    const params = {
      name: jobName, nextScanAt: nextScanAt.getTime(), lockDeadline: lockDeadline.getTime(),
      lockedAt: (now ?? new Date()).getTime(), by: options?.lastModifiedBy ?? null,
    };
    const row = await this.#writes.run(() => this.#lockNext.get(params) as JobRow | undefined);
    return row ? rowToJob(row) : undefined;
  }

  async disableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.#setDisabled(options, true);
  }

  async enableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.#setDisabled(options, false);
  }

  async purgeAllJobs(): Promise<number> {
    return this.#writes.run(() => this.#table.prepare(`DELETE FROM ${this.#table.sqlName}`).run().changes);
  }

  /** Counts only jobs whose flag changed, like MongoDB's modifiedCount. */
  #setDisabled(options: RemoveJobsOptions, disabled: boolean): Promise<number> {
    const filter = removeOptionsFilter(options);
    if (!filter) return Promise.resolve(0);
    const value = disabled ? 1 : 0;
    return this.#writes.run(() => this.#table.prepare(`UPDATE ${this.#table.sqlName} SET disabled = ${value} WHERE (${filter.where}) AND disabled != ${value}`)
      .run(...filter.params).changes);
  }
}
