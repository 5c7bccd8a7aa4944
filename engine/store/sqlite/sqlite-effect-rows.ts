import type { Database, Statement } from 'better-sqlite3';
import type { ActivityRecord } from '../activity-store.ts';
import type { DeliveryRecord } from '../delivery-store.ts';
import type { OutboxEntry } from '../instance-store.ts';
import { activityCounters, type CounterChange } from '../journey-counters.ts';
import { SqliteCounterRows } from './sqlite-figure-store.ts';
import { MultiRowInsert } from './multi-row-insert.ts';

/** The columns of an activity row, in activityValues' order. */
const ACTIVITY_COLUMNS = '(id, space_id, journey_id, instance_id, profile_id, type, step_id, at, doc)';

/**
 * Where appended activity records come from. `fresh`: made by the run whose instance write
 * carries them, with ids just generated, so none can be stored already. `replayed`: possibly
 * stored before (an outbox finished after a crash, a repeated append), checked one by one.
 */
export type ActivityOrigin = 'fresh' | 'replayed';

/**
 * The row writers for what an instance change produces (activity records, the journey counters
 * they move, deliveries), shared by their stores and by the instance store, which applies an
 * outbox in the same transaction as the instance write. Synchronous: call inside a write-queue job.
 */
export class SqliteEffectRows {
  readonly #activityRows: MultiRowInsert;
  readonly #delivery: Statement;
  /** Journey counters, also moved by delivery status changes. */
  readonly counters: SqliteCounterRows;

  constructor(db: Database) {
    this.#activityRows = new MultiRowInsert(db, `INSERT OR IGNORE INTO activities ${ACTIVITY_COLUMNS}`, 9);
    this.#delivery = db.prepare(`INSERT OR IGNORE INTO deliveries (id, space_id, idempotency_key, journey_id, instance_id, status, next_attempt_at, rev, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.counters = new SqliteCounterRows(db);
  }

  /**
   * Appends activity records whose id is not stored yet, and moves the counters of those only.
   * Fresh records go in several per statement; one that turns out to be stored already fails the
   * write (its ids were just generated: a collision means something else is wrong).
   */
  activities(records: readonly ActivityRecord[], origin: ActivityOrigin = 'replayed'): void {
    const changes: CounterChange[] = [];
    if (origin === 'fresh') {
      const inserted = this.#activityRows.run(records.map(activityValues));
      if (inserted !== records.length) throw new Error(`${records.length - inserted} of activity records ${records.map((a) => a.id).join(', ')} were stored already`);
      for (const a of records) changes.push(...activityCounters(a));
    } else {
      for (const a of records) {
        if (this.#activityRows.run([activityValues(a)]) === 1) changes.push(...activityCounters(a));
      }
    }
    this.counters.apply(changes);
  }

  /** Stores a delivery unless one with its idempotency key exists; true when inserted. */
  delivery(d: DeliveryRecord): boolean {
    return this.#delivery.run(d.id, d.spaceId, d.idempotencyKey, d.journeyId, d.instanceId, d.status, d.nextAttemptAt, d.rev, JSON.stringify(d)).changes === 1;
  }

  /** Applies every entry of an outbox (idempotent for replayed outboxes). */
  outbox(entries: readonly OutboxEntry[], origin: ActivityOrigin = 'replayed'): void {
    const activities: ActivityRecord[] = [];
    for (const entry of entries) {
      if (entry.kind === 'activity') activities.push(entry.activity);
      else this.delivery(entry.delivery);
    }
    this.activities(activities, origin);
  }
}

/** One activity row's values. Only what the columns do not hold goes into the document: activity rows are the most numerous. */
function activityValues(a: ActivityRecord): unknown[] {
  const doc = JSON.stringify({ version: a.version, eventId: a.eventId, reason: a.reason, data: a.data });
  return [a.id, a.spaceId, a.journeyId, a.instanceId, a.profileId, a.type, a.stepId, a.at, doc];
}

/** Columns and compact document of an activity row, back into a record. */
export function activityFromRow(row: {
  id: string; space_id: string; journey_id: string; instance_id: string | null; profile_id: string; type: string;
  step_id: string | null; at: string; doc: string;
}): ActivityRecord {
  const doc = JSON.parse(row.doc) as Record<string, unknown>;
  // Rows written before the compact document held the whole record.
  if ('spaceId' in doc) return doc as unknown as ActivityRecord;
  return {
    id: row.id, spaceId: row.space_id, journeyId: row.journey_id, version: doc['version'] as number, instanceId: row.instance_id,
    profileId: row.profile_id, type: row.type as ActivityRecord['type'], stepId: row.step_id, eventId: (doc['eventId'] as string | null) ?? null,
    at: row.at, reason: (doc['reason'] as string | null) ?? null, data: (doc['data'] as Record<string, unknown> | null) ?? null,
  };
}
