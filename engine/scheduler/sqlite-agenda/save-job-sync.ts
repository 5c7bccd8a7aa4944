import type { DebounceOptions, JobParameters } from 'agenda';
import { rowToJob, toEpochMs, type JobRow, type SqliteJobTable } from './sqlite-job-table.ts';
import { uniqueFilter } from './sqlite-job-filters.ts';

/** The fields of a job that `saveJob` stores: everything but the id and the save-time unique instructions. */
type JobProps = Omit<JobParameters, '_id' | 'unique' | 'uniqueOpts'>;

/**
 * Agenda's `saveJob`, synchronously, for use inside one write-queue function (so that the
 * read-then-write of unique and debounced jobs is atomic). Same cases, in the same order, as
 * Agenda's MongoDB repository:
 * - with `_id`: update that job's given fields (a job removed meanwhile is not recreated);
 * - `type: 'single'` (`every()`): one job per name, upserted;
 * - with `unique`: one job per unique key, upserted, with `insertOnly` and debounce;
 * - otherwise: insert.
 */
export function saveJobSync<DATA>(table: SqliteJobTable, job: JobParameters<DATA>, lastModifiedBy: string | undefined, now: Date): JobParameters<DATA> {
  const { _id, unique, uniqueOpts, ...rest } = job;
  // Like the MongoDB repository, the saver's name replaces whatever the job carried.
  const props: JobProps = { ...rest, lastModifiedBy };

  if (_id) {
    const row = table.updateById(String(_id), props, props.name);
    return row ? rowToJob<DATA>(row) : job;
  }
  if (props.type === 'single') return rowToJob<DATA>(upsertSingle(table, props, now));
  if (unique) return rowToJob<DATA>(upsertUnique(table, props, unique, uniqueOpts?.insertOnly === true, uniqueOpts?.debounce, now));
  return rowToJob<DATA>(table.insert(props));
}

/**
 * One 'single' job per name. A save whose `nextRunAt` is already due does not move the stored
 * `nextRunAt` (so restarting a process that calls `every()` neither re-runs a recurring job
 * early nor postpones it); a future `nextRunAt` replaces it.
 *
 * Why COALESCE rather than MongoDB's "keep whatever is stored": a stored null (the job ran out
 * of its date range, or its interval failed to parse) would otherwise stay null forever, even
 * after `every()` is called again with a fixed schedule; Agenda's PostgreSQL backend does this too.
 */
function upsertSingle(table: SqliteJobTable, props: JobProps, now: Date): JobRow {
  const protect = props.nextRunAt !== null && props.nextRunAt !== undefined && (toEpochMs(props.nextRunAt) ?? Infinity) <= now.getTime();
  const updates = table.presentColumns(props).map((column) => column === 'next_run_at' && protect
    ? `next_run_at = COALESCE(${table.sqlName}.next_run_at, excluded.next_run_at)`
    : `${column} = excluded.${column}`);
  const columns = table.columnNames();
  const sql = `INSERT INTO ${table.sqlName} (id, ${columns.join(', ')}) VALUES (?${', ?'.repeat(columns.length)})
    ON CONFLICT (name) WHERE type = 'single' DO UPDATE SET ${updates.join(', ')} RETURNING *`;
  return table.prepare(sql).get(table.newId(), ...table.insertValues(props)) as JobRow;
}

/** One job per `unique` key (plus name): insert it, or update (or, `insertOnly`, keep) the one there. */
function upsertUnique(table: SqliteJobTable, props: JobProps, unique: Record<string, unknown>, insertOnly: boolean,
  debounce: DebounceOptions | undefined, now: Date): JobRow {
  const filter = uniqueFilter(props.name, unique);
  const existing = table.prepare(`SELECT * FROM ${table.sqlName} WHERE ${filter.where} ORDER BY id LIMIT 1`).get(...filter.params) as JobRow | undefined;
  if (debounce) {
    const timing = debounceTiming(debounce, existing, props, now);
    const fields = { ...props, ...timing };
    return existing ? table.updateById(existing.id as string, fields)! : table.insert(fields);
  }
  if (!existing) return table.insert(props);
  return insertOnly ? existing : table.updateById(existing.id as string, props)!;
}

/**
 * When a debounced save makes the job run, as the MongoDB repository decides it:
 * - trailing (default): `delay` after the latest save, but no later than `maxWait` after the
 *   first save of the burst (then the burst ends: `debounceStartedAt` is cleared);
 * - leading: a new job runs as scheduled; saves during the window only update its data.
 */
function debounceTiming(debounce: DebounceOptions, existing: JobRow | undefined, props: JobProps, now: Date): Pick<JobProps, 'nextRunAt' | 'debounceStartedAt'> {
  const nowMs = now.getTime();
  if (!existing) {
    return debounce.strategy === 'leading'
      ? { nextRunAt: props.nextRunAt, debounceStartedAt: now }
      : { nextRunAt: new Date(nowMs + debounce.delay), debounceStartedAt: now };
  }
  const startedAtMs = (existing.debounce_started_at as number | null) ?? nowMs;
  const storedNextRunAt = existing.next_run_at === null ? null : new Date(existing.next_run_at as number);
  if (debounce.strategy === 'leading') return { nextRunAt: storedNextRunAt, debounceStartedAt: new Date(startedAtMs) };
  if (debounce.maxWait && nowMs - startedAtMs >= debounce.maxWait) return { nextRunAt: now, debounceStartedAt: undefined };
  return { nextRunAt: new Date(nowMs + debounce.delay), debounceStartedAt: new Date(startedAtMs) };
}
