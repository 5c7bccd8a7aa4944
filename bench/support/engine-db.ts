/**
 * Read-only looks into the engine's SQLite file (DATA_DIR/engine.db) for counts and timings. The
 * benchmark reads the tables the engine writes (instances, activities, deliveries, events), never
 * its code, so a refactor of the engine's internals does not break it. WAL mode lets this
 * connection read while the engine writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { attachEventLog } from '../../engine/store/sqlite/sqlite-event-log-file.ts';

export type ReadOnlyDb = Database.Database;

/** Opens the engine's database read-only, with its event log (`events`, `message_ids`) attached. */
export function openReadOnly(dbFile: string): ReadOnlyDb {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  attachEventLog(db, path.dirname(dbFile));
  return db;
}

/** Instances per status, for one journey or all. */
export function instanceCounts(db: ReadOnlyDb, journeyId?: string): { active: number; completed: number; exited: number; total: number } {
  const rows = (journeyId
    ? db.prepare('SELECT status, count(*) AS n FROM instances WHERE journey_id = ? GROUP BY status').all(journeyId)
    : db.prepare('SELECT status, count(*) AS n FROM instances GROUP BY status').all()) as Array<{ status: string; n: number }>;
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
  const active = by['active'] ?? 0;
  const completed = by['completed'] ?? 0;
  const exited = by['exited'] ?? 0;
  return { active, completed, exited, total: active + completed + exited };
}

/** Rows of a table (a plain count). */
export function countRows(db: ReadOnlyDb, table: 'instances' | 'activities' | 'deliveries' | 'events' | 'profiles'): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** Polls `read` every `everyMs` until `done` says so or `timeoutMs` passes; answers the last value and whether it got there. */
export async function pollUntil<T>(read: () => T, done: (value: T) => boolean, options: { timeoutMs: number; everyMs?: number }): Promise<{ value: T; ok: boolean; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = read();
    const ms = performance.now() - started;
    if (done(value)) return { value, ok: true, ms };
    if (ms >= options.timeoutMs) return { value, ok: false, ms };
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100));
  }
}

/**
 * Delay timers that fired, from the engine's own activity log: each 'delay_over' record
 * carries the time it was due (`data.waitedUntil`) and the time it fired (`at`).
 */
export function delayFirings(db: ReadOnlyDb, journeyId: string): { dueMs: Float64Array; firedMs: Float64Array } {
  const rows = db.prepare(`SELECT json_extract(doc, '$.data.waitedUntil') AS due, at AS fired FROM activities
    WHERE journey_id = ? AND type = 'delay_over'`).raw().all(journeyId) as Array<[string, string]>;
  const dueMs = new Float64Array(rows.length);
  const firedMs = new Float64Array(rows.length);
  rows.forEach(([due, at], i) => {
    dueMs[i] = Date.parse(due);
    firedMs[i] = Date.parse(at);
  });
  return { dueMs, firedMs };
}

/** Bytes on disk of the database: the main file plus its WAL. */
export function fileBytes(dbFile: string): { main: number; wal: number } {
  const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  return { main: size(dbFile), wal: size(`${dbFile}-wal`) };
}

/** Bytes of each table and index inside the file (SQLite's dbstat), largest first. */
export function tableBytes(db: ReadOnlyDb): Array<{ name: string; bytes: number; rows?: number }> {
  return db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as Array<{ name: string; bytes: number }>;
}

/** Stored events the processor has not marked processed yet ('events.processed_seq' in the meta table). */
export function pendingEvents(db: ReadOnlyDb): number {
  return (db.prepare(`SELECT count(*) AS n FROM events
    WHERE seq > coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'events.processed_seq'), 0)`).get() as { n: number }).n;
}

/**
 * Peak and current resident memory of a process, from /proc/<pid>/status (null off Linux):
 * anonymous (heaps) and file-backed (the node binary and libraries as mapped) parts of the RSS.
 */
export function processMemory(pid: number): { rssMb: number; peakRssMb: number; anonMb: number; fileMb: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(/^(\w+):\s+(\d+) kB$/m.exec(status.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '')?.[2] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
  } catch {
    return null;
  }
}
