import type { JobsQueryOptions, JobsSort, RemoveJobsOptions } from 'agenda';
import { columnOf, fieldToSql, type SqlValue } from './sqlite-job-table.ts';

/** A WHERE clause (without the keyword) and its parameters. */
export interface SqlFilter {
  where: string;
  params: SqlValue[];
}

function and(parts: SqlFilter[]): SqlFilter {
  if (parts.length === 0) return { where: '1', params: [] };
  return { where: parts.map((p) => `(${p.where})`).join(' AND '), params: parts.flatMap((p) => p.params) };
}

/** `column` is one of `values` (bound as one JSON array, so the statement text does not vary with the count). */
function inList(column: string, values: readonly unknown[], negate = false): SqlFilter {
  return { where: `${column} ${negate ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(?))`, params: [JSON.stringify(values.map(String))] };
}

/**
 * Stored `data` equals `value`: compared as JSON text, so key order counts, as it does for an
 * embedded document in Agenda's MongoDB repository (`query.data = value`).
 */
function dataEquals(value: unknown): SqlFilter {
  return value === null ? { where: "data IS NULL OR data = 'null'", params: [] } : { where: 'data = ?', params: [JSON.stringify(value)] };
}

/** A JSON path for a dotted sub-path of `data` (`userId.kind` → `$."userId"."kind"`). */
function jsonPath(dotted: string): string {
  const segments = dotted.split('.');
  if (segments.some((s) => s.length === 0 || s.includes('"'))) throw new Error(`unsupported unique key path "data.${dotted}"`);
  return `$${segments.map((s) => `."${s}"`).join('')}`;
}

/**
 * The value at a path of `data` equals `value`, type included (a number never equals its string
 * form), with Mongo's reading of null: null matches a null or missing value.
 */
function dataPathEquals(dotted: string, value: unknown): SqlFilter {
  const path = jsonPath(dotted);
  if (value === null || value === undefined) return { where: "json_type(data, ?) IS NULL OR json_type(data, ?) = 'null'", params: [path, path] };
  if (typeof value === 'boolean') return { where: 'json_type(data, ?) = ?', params: [path, value ? 'true' : 'false'] };
  if (typeof value === 'number') return { where: "json_type(data, ?) IN ('integer', 'real') AND json_extract(data, ?) = ?", params: [path, path, value] };
  // Dates are stored as their JSON form (an ISO string), so compare them as such.
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : null;
  if (text !== null) return { where: "json_type(data, ?) = 'text' AND json_extract(data, ?) = ?", params: [path, path, text] };
  // Objects and arrays: json_extract returns their minified JSON text.
  return { where: "json_type(data, ?) IN ('object', 'array') AND json_extract(data, ?) = ?", params: [path, path, JSON.stringify(value)] };
}

/**
 * The filter Agenda's `cancel`/`disable`/`enable` options describe, or null when they name no
 * criterion (then nothing is touched, as in the MongoDB repository). Precedence follows it too:
 * `id` over `ids`; `name` over `names` over `notNames`.
 */
export function removeOptionsFilter(options: RemoveJobsOptions): SqlFilter | null {
  const parts: SqlFilter[] = [];
  if (options.id) parts.push({ where: 'id = ?', params: [String(options.id)] });
  else if (options.ids && options.ids.length > 0) parts.push(inList('id', options.ids));
  if (options.name) parts.push({ where: 'name = ?', params: [options.name] });
  else if (options.names && options.names.length > 0) parts.push(inList('name', options.names));
  else if (options.notNames && options.notNames.length > 0) parts.push(inList('name', options.notNames, true));
  if (options.data !== undefined) parts.push(dataEquals(options.data));
  return parts.length === 0 ? null : and(parts);
}

/** The row filter of `queryJobs` (everything but `state`, which is computed, and pagination). */
export function queryOptionsFilter(options: JobsQueryOptions): SqlFilter {
  const parts: SqlFilter[] = [];
  if (options.name) parts.push({ where: 'name = ?', params: [options.name] });
  else if (options.names && options.names.length > 0) parts.push(inList('name', options.names));
  if (options.id) parts.push({ where: 'id = ?', params: [options.id] });
  else if (options.ids && options.ids.length > 0) parts.push(inList('id', options.ids));
  if (options.search) {
    // LIKE is case-insensitive for ASCII, like the MongoDB repository's /search/i.
    parts.push({ where: "name LIKE ? ESCAPE '\\'", params: [`%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`] });
  }
  if (options.data !== undefined) parts.push(dataEquals(options.data));
  if (options.includeDisabled === false) parts.push({ where: 'disabled = 0', params: [] });
  return and(parts);
}

/**
 * The filter of a unique job: same name, and each `unique` key equal. Keys are `data`,
 * `data.<path>`, or a JobParameters field (`type`, `priority`, …); anything else throws, since
 * there is no column to compare.
 */
export function uniqueFilter(name: string, unique: Record<string, unknown>): SqlFilter {
  const parts: SqlFilter[] = [{ where: 'name = ?', params: [name] }];
  for (const [key, value] of Object.entries(unique)) {
    if (key === 'name') continue;
    if (key === 'data') parts.push(dataEquals(value));
    else if (key.startsWith('data.')) parts.push(dataPathEquals(key.slice('data.'.length), value));
    else {
      const column = columnOf(key);
      if (!column) throw new Error(`unsupported unique key "${key}": use data, data.<path> or a job field`);
      parts.push({ where: `${column} IS ?`, params: [fieldToSql(key, value) ?? null] });
    }
  }
  return and(parts);
}

const SORT_COLUMNS: Record<keyof JobsSort, string> = {
  nextRunAt: 'next_run_at', lastRunAt: 'last_run_at', lastFinishedAt: 'last_finished_at',
  priority: 'priority', name: 'name', data: 'data',
};

/**
 * ORDER BY for `queryJobs`; default newest `nextRunAt`, then newest `lastRunAt`. SQLite sorts
 * NULL lowest, as MongoDB sorts null, so both adapters order empty dates alike. `id` (creation
 * order) breaks ties so that pages do not overlap.
 */
export function orderBy(sort: JobsSort | undefined): string {
  const parts: string[] = [];
  for (const [key, direction] of Object.entries(sort ?? {}) as Array<[keyof JobsSort, string | undefined]>) {
    const column = SORT_COLUMNS[key];
    if (column && direction) parts.push(`${column} ${direction === 'desc' ? 'DESC' : 'ASC'}`);
  }
  if (parts.length === 0) parts.push('next_run_at DESC', 'last_run_at DESC');
  return [...parts, 'id ASC'].join(', ');
}
