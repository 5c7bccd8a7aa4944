import type { EngineConfig } from '../config.ts';
import type { Store } from '../store/store.ts';
import { firstIdAt } from '../ids.ts';

const DAY_MS = 86_400_000;
/** Records deleted per write: short transactions, so ingest and processing are never held up for long. */
export const PURGE_CHUNK = 5_000;
/** Chunks one run deletes at most; the next run (see engine-jobs.ts) goes on from there. */
const MAX_CHUNKS_PER_RUN = 200;

/** What one retention run deleted. */
export interface PurgeResult {
  events: number;
  activities: number;
}

/** Deletes in chunks until nothing older is left or the run's budget is spent. */
async function purgeInChunks(purge: (beforeId: string, limit: number) => Promise<number>, beforeId: string): Promise<number> {
  let total = 0;
  for (let chunk = 0; chunk < MAX_CHUNKS_PER_RUN; chunk += 1) {
    const deleted = await purge(beforeId, PURGE_CHUNK);
    total += deleted;
    if (deleted < PURGE_CHUNK) break;
  }
  return total;
}

/**
 * Purges processed events and activity records older than their retention (by creation time:
 * ids are time-ordered). Journey figures are counters and stay; an event not yet processed is
 * never purged, nor one still inside the dedupe window (MongoDB keeps a messageId on its event).
 */
export async function purgeExpired(store: Store, retention: EngineConfig['retention'], dedupeWindowMs: number, now: number): Promise<PurgeResult> {
  const result: PurgeResult = { events: 0, activities: 0 };
  if (retention.eventDays > 0) {
    const keepMs = Math.max(retention.eventDays * DAY_MS, dedupeWindowMs);
    result.events = await purgeInChunks((id, limit) => store.events.purgeProcessedBefore(id, limit), firstIdAt(now - keepMs));
  }
  if (retention.activityDays > 0) {
    result.activities = await purgeInChunks((id, limit) => store.activities.purgeBefore(id, limit), firstIdAt(now - retention.activityDays * DAY_MS));
  }
  return result;
}
