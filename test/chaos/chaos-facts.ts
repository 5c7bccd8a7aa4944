/**
 * What the invariants judge, gathered once the engine has drained: the engine's own account —
 * read through the management API (instances, activity, figures, deliveries, the event log) and,
 * for what the API does not show (event ids, the processing cursor), the SQLite file read-only —
 * next to the harness's account: every message the load offered and whether it was
 * acknowledged, everything the sink received per idempotency key, and when the engine was killed.
 */
import type { Database } from 'better-sqlite3';
import { allPages, type EngineProcess } from '../support/engine-process.ts';
import type { viewInstance } from '../../engine/journeys/journey-view.ts';
import type { ActivityRecord } from '../../engine/store/activity-store.ts';
import type { DeliveryView } from '../../engine/delivery/delivery-service.ts';
import type { JourneyStats } from '../../engine/observability/journey-stats.ts';
import type { SentMessage } from './chaos-client.ts';
import type { SinkKeyLog } from './chaos-sink.ts';
import { JOURNEY_KEYS, type JourneyKey } from './chaos-journeys.ts';
import { PROCESSED_SEQ_KEY } from './chaos-drain.ts';

/** An instance as the API shows it. */
export type InstanceView = ReturnType<typeof viewInstance>;

/** One row of the engine's event log. */
export interface StoredEvent {
  seq: number;
  /** The engine's event id (activities name events by it). */
  id: string;
  messageId: string;
  type: string;
  name: string | null;
  userId: string | null;
  /** Epoch ms. */
  receivedAt: number;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
}

/** One journey as the engine reports it. */
export interface JourneyFacts {
  key: JourneyKey;
  id: string;
  instances: InstanceView[];
  /** The journey's activity log, oldest first. */
  activity: ActivityRecord[];
  stats: JourneyStats;
  deliveries: DeliveryView[];
}

/** The engine's account of the run. */
export interface EngineFacts {
  /** The event log, in processing (seq) order. */
  events: StoredEvent[];
  /** The processing cursor: every event up to this seq was processed. */
  processedSeq: number;
  /** messageIds of the event log as `GET /api/v1/events` lists it. */
  apiMessageIds: string[];
  journeys: Record<JourneyKey, JourneyFacts>;
  /** Every delivery of the space (`GET /api/v1/deliveries`). */
  deliveries: DeliveryView[];
}

/** The harness's account of the run. */
export interface HarnessFacts {
  /** Every message the load offered, by messageId. */
  sent: ReadonlyMap<string, SentMessage>;
  /** messageIds of the catalog seed events (sent before the journeys were published). */
  isSeed: (messageId: string) => boolean;
  sinkKeys: ReadonlyMap<string, SinkKeyLog>;
  /** Date.now() once each killed process had exited. */
  kills: readonly number[];
  /** Faults the load, client and sink noticed themselves. */
  problems: readonly string[];
}

interface EventRow {
  seq: number; id: string; message_id: string; type: string; name: string | null; user_id: string | null; received_at: string; message: string;
}

function objectAt(message: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = message[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/** Reads the engine's account of the run (the engine must be up and drained). */
export async function readEngineFacts(engine: EngineProcess, db: Database, journeyIds: Record<JourneyKey, string>): Promise<EngineFacts> {
  const rows = db.prepare('SELECT seq, id, message_id, type, name, user_id, received_at, message FROM events ORDER BY seq').all() as EventRow[];
  const events = rows.map((row): StoredEvent => {
    const message = JSON.parse(row.message) as Record<string, unknown>;
    return {
      seq: row.seq, id: row.id, messageId: row.message_id, type: row.type, name: row.name, userId: row.user_id,
      receivedAt: Date.parse(row.received_at), properties: objectAt(message, 'properties'), traits: objectAt(message, 'traits'),
    };
  });
  const cursor = db.prepare('SELECT value FROM meta WHERE key = ?').get(PROCESSED_SEQ_KEY) as { value: string } | undefined;
  const apiEvents = await allPages<{ messageId: string }>(engine, '/api/v1/events', 'events');

  const journeys = {} as Record<JourneyKey, JourneyFacts>;
  for (const key of JOURNEY_KEYS) {
    const id = journeyIds[key];
    const stats = await engine.api('GET', `/api/v1/journeys/${id}/stats`);
    if (stats.status !== 200) throw new Error(`GET stats of ${key} answered ${stats.status}: ${JSON.stringify(stats.body)}`);
    // The activity log is listed newest first; the checks read it in the order things happened.
    const activity = (await allPages<ActivityRecord>(engine, `/api/v1/journeys/${id}/activity`, 'activity')).reverse();
    journeys[key] = {
      key, id, activity, stats: (stats.body as { stats: JourneyStats }).stats,
      instances: await allPages<InstanceView>(engine, `/api/v1/journeys/${id}/instances`, 'instances'),
      deliveries: await allPages<DeliveryView>(engine, `/api/v1/deliveries?journeyId=${id}`, 'deliveries'),
    };
  }
  return {
    events, processedSeq: cursor ? Number(cursor.value) : 0, apiMessageIds: apiEvents.map((e) => e.messageId), journeys,
    deliveries: await allPages<DeliveryView>(engine, '/api/v1/deliveries', 'deliveries'),
  };
}
