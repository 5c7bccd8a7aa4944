import type { Database, Statement } from 'better-sqlite3';
import type { TransactionBuffer } from './sqlite-write-queue.ts';
import {
  HOURS_PER_DAY, mergeCounterChanges, splitRange,
  type CounterChange, type FigureStore, type HourRange, type JourneyCounts,
} from '../journey-counters.ts';

/**
 * Counter writes, called inside the write-queue job that stores their cause. The changes are
 * buffered and written once per group commit, just before it commits (same transaction), so a
 * commit of 500 instance changes moves `active` once, not 500 times.
 */
export class SqliteCounterRows implements TransactionBuffer {
  readonly #flow: Statement;
  readonly #gauge: Statement;
  readonly #pending: CounterChange[] = [];

  constructor(db: Database) {
    this.#flow = db.prepare(`INSERT INTO journey_counters (journey_id, span, bucket, key, space_id, n) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (journey_id, space_id, span, bucket, key) DO UPDATE SET n = n + excluded.n`);
    this.#gauge = db.prepare(`INSERT INTO journey_gauges (journey_id, key, space_id, n) VALUES (?, ?, ?, ?)
      ON CONFLICT (journey_id, space_id, key) DO UPDATE SET n = n + excluded.n`);
  }

  /** Adds the changes (written at the commit of the current transaction). */
  apply(changes: readonly CounterChange[]): void {
    for (const c of changes) this.#pending.push(c);
  }

  mark(): number {
    return this.#pending.length;
  }

  rewind(mark: number): void {
    this.#pending.length = Math.min(mark, this.#pending.length);
  }

  /** Writes the buffered changes: each flow to its hour and its day, each gauge to its journey. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const changes = mergeCounterChanges(this.#pending);
    this.#pending.length = 0;
    for (const c of changes) {
      if (c.hour === null) {
        this.#gauge.run(c.journeyId, c.key, c.spaceId, c.delta);
      } else {
        this.#flow.run(c.journeyId, 1, c.hour, c.key, c.spaceId, c.delta);
        this.#flow.run(c.journeyId, HOURS_PER_DAY, Math.floor(c.hour / HOURS_PER_DAY), c.key, c.spaceId, c.delta);
      }
    }
  }
}

/** SQLite adapter of FigureStore: sums of day and hour rows, read through the primary key. */
export class SqliteFigureStore implements FigureStore {
  readonly #db: Database;
  readonly #flows: Statement;
  readonly #gauges: Statement;

  constructor(db: Database) {
    this.#db = db;
    this.#flows = db.prepare(`SELECT key, SUM(n) AS n FROM journey_counters
      WHERE journey_id = ? AND space_id = ? AND span = ? AND bucket >= ? AND bucket < ? GROUP BY key`);
    this.#gauges = db.prepare('SELECT key, n FROM journey_gauges WHERE journey_id = ? AND space_id = ?');
  }

  async journey(spaceId: string, journeyId: string, range: HourRange | null): Promise<JourneyCounts> {
    const flows: Record<string, number> = {};
    const add = (span: number, from: number, to: number) => {
      for (const row of this.#flows.all(journeyId, spaceId, span, from, to) as Array<{ key: string; n: number }>) {
        flows[row.key] = (flows[row.key] ?? 0) + row.n;
      }
    };
    if (range === null) {
      add(HOURS_PER_DAY, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    } else {
      const { days, hours } = splitRange(range);
      if (days) add(HOURS_PER_DAY, days[0], days[1]);
      for (const [from, to] of hours) add(1, from, to);
    }
    const gauges: Record<string, number> = {};
    for (const row of this.#gauges.all(journeyId, spaceId) as Array<{ key: string; n: number }>) gauges[row.key] = row.n;
    return { flows, gauges };
  }

  async gaugeTotals(keys: readonly string[]): Promise<Record<string, number>> {
    const totals: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
    if (keys.length === 0) return totals;
    const rows = this.#db.prepare(`SELECT key, SUM(n) AS n FROM journey_gauges WHERE key IN (${keys.map(() => '?').join(', ')}) GROUP BY key`)
      .all(...keys) as Array<{ key: string; n: number }>;
    for (const row of rows) totals[row.key] = row.n;
    return totals;
  }
}
