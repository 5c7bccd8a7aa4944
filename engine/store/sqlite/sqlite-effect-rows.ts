import type { Database, Statement } from 'better-sqlite3';
import type { ActivityRecord } from '../activity-store.ts';
import type { DeliveryRecord } from '../delivery-store.ts';
import type { OutboxEntry } from '../instance-store.ts';
import { activityCounters, type CounterChange } from '../journey-counters.ts';
import { SqliteCounterRows } from './sqlite-figure-store.ts';

/**
 * The row writers for what an instance change produces (activity records, the journey counters
 * they move, deliveries), shared by their stores and by the instance store, which applies an
 * outbox in the same transaction as the instance write. Synchronous: call inside a write-queue job.
 */
export class SqliteEffectRows {
  readonly #activity: Statement;
  readonly #delivery: Statement;
  /** Journey counters, also moved by delivery status changes. */
  readonly counters: SqliteCounterRows;

  constructor(db: Database) {
    this.#activity = db.prepare(`INSERT OR IGNORE INTO activities (id, space_id, journey_id, instance_id, profile_id, type, step_id, at, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#delivery = db.prepare(`INSERT OR IGNORE INTO deliveries (id, space_id, idempotency_key, journey_id, instance_id, status, next_attempt_at, rev, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.counters = new SqliteCounterRows(db);
  }

  /** Appends activity records whose id is not stored yet, and moves the counters of those only. */
  activities(records: readonly ActivityRecord[]): void {
    const changes: CounterChange[] = [];
    for (const a of records) {
      // Only what the columns do not hold goes into the document: activity rows are the most numerous.
      const doc = JSON.stringify({ version: a.version, eventId: a.eventId, reason: a.reason, data: a.data });
      if (this.#activity.run(a.id, a.spaceId, a.journeyId, a.instanceId, a.profileId, a.type, a.stepId, a.at, doc).changes === 1) {
        changes.push(...activityCounters(a));
      }
    }
    this.counters.apply(changes);
  }

  /** Stores a delivery unless one with its idempotency key exists; true when inserted. */
  delivery(d: DeliveryRecord): boolean {
    return this.#delivery.run(d.id, d.spaceId, d.idempotencyKey, d.journeyId, d.instanceId, d.status, d.nextAttemptAt, d.rev, JSON.stringify(d)).changes === 1;
  }

  /** Applies every entry of an outbox (idempotent). */
  outbox(entries: readonly OutboxEntry[]): void {
    const activities: ActivityRecord[] = [];
    for (const entry of entries) {
      if (entry.kind === 'activity') activities.push(entry.activity);
      else this.delivery(entry.delivery);
    }
    this.activities(activities);
  }
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
