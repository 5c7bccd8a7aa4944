/**
 * Waiting for the engine to finish its work after the load stops: every stored event processed,
 * every instance ended (all waits of the chaos journeys are seconds long, so every timer is due
 * soon), no delivery pending or retrying, no outbox left. Read from the engine's SQLite file
 * through a read-only connection; bounded, and it never judges time: a drain that does not
 * finish leaves its leftovers to the invariants, which name them.
 */
import type { Database } from 'better-sqlite3';

/** Work the engine still has. */
export interface DrainStatus {
  unprocessedEvents: number;
  activeInstances: number;
  /** Active instances whose timer is due now. */
  dueTimers: number;
  openDeliveries: number;
  outboxes: number;
}

/** The event store's processing cursor in the `meta` table (engine/store/sqlite/sqlite-event-store.ts). */
export const PROCESSED_SEQ_KEY = 'events.processed_seq';

/** Reads what is left to do. */
export function readDrainStatus(db: Database, now = Date.now()): DrainStatus {
  const count = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;
  return {
    unprocessedEvents: count(`SELECT COUNT(*) AS n FROM events WHERE seq > COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), 0)`, PROCESSED_SEQ_KEY),
    activeInstances: count(`SELECT COUNT(*) AS n FROM instances WHERE status = 'active'`),
    dueTimers: count(`SELECT COUNT(*) AS n FROM instances WHERE status = 'active' AND wake_at IS NOT NULL AND wake_at <= ?`, now),
    openDeliveries: count(`SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'retrying')`),
    outboxes: count(`SELECT COUNT(*) AS n FROM instances WHERE outbox IS NOT NULL`),
  };
}

function isDrained(s: DrainStatus): boolean {
  return s.unprocessedEvents === 0 && s.activeInstances === 0 && s.openDeliveries === 0 && s.outboxes === 0;
}

/** Polls until the engine has nothing left to do, or `timeoutMs` passed. */
export async function drain(db: Database, options: { timeoutMs: number; log: (line: string) => void }): Promise<{ drained: boolean; waitedMs: number; status: DrainStatus }> {
  const started = Date.now();
  let lastLog = started;
  for (;;) {
    const status = readDrainStatus(db);
    const waitedMs = Date.now() - started;
    if (isDrained(status)) return { drained: true, waitedMs, status };
    if (waitedMs > options.timeoutMs) return { drained: false, waitedMs, status };
    if (Date.now() - lastLog >= 5_000) {
      lastLog = Date.now();
      options.log(`draining (${Math.round(waitedMs / 1000)} s): ${JSON.stringify(status)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
