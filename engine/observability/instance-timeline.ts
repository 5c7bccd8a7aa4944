import { notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { ActivityRecord } from '../store/activity-store.ts';
import { viewInstance } from '../journeys/journey-view.ts';
import { viewDelivery, type DeliveryView } from '../delivery/delivery-service.ts';

/** Most records one timeline shows; the activity log (`?instanceId=`) pages through longer ones. */
export const MAX_TIMELINE_ENTRIES = 2_000;

/** One record of an instance's life, with the journey context as it stood after it. */
export interface TimelineEntry {
  id: string;
  type: ActivityRecord['type'];
  version: number;
  stepId: string | null;
  eventId: string | null;
  at: string;
  reason: string | null;
  data: Record<string, unknown> | null;
  /** Keys of the journey context after this record. */
  contextKeys: string[];
  /** What this record added to the journey context (the entry event, a hold-until event). */
  contextAdded?: Record<string, unknown>;
}

/** A stay at one step: when the instance reached it, when it left, how long it spent there. */
export interface TimelineStep {
  stepId: string;
  reachedAt: string;
  leftAt: string | null;
  durationMs: number | null;
}

/** `GET /api/v1/instances/{id}/timeline`. */
export interface InstanceTimeline {
  instance: ReturnType<typeof viewInstance>;
  steps: TimelineStep[];
  entries: TimelineEntry[];
  /** True when the instance has more than MAX_TIMELINE_ENTRIES records (the oldest are shown). */
  truncated: boolean;
  deliveries: DeliveryView[];
}

/** Stays at each step, from the records that move an instance: reaching a step, ending. */
function stepsOf(records: readonly ActivityRecord[], endedAt: string | null): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const close = (at: string) => {
    const open = steps[steps.length - 1];
    if (open && open.leftAt === null) {
      open.leftAt = at;
      open.durationMs = Date.parse(at) - Date.parse(open.reachedAt);
    }
  };
  for (const r of records) {
    if (r.type === 'step_reached' && r.stepId !== null) {
      close(r.at);
      steps.push({ stepId: r.stepId, reachedAt: r.at, leftAt: null, durationMs: null });
    } else if (r.type === 'completed' || r.type === 'exited') {
      close(r.at);
    }
  }
  if (endedAt !== null) close(endedAt);
  return steps;
}

/**
 * Builds an instance's timeline: every record in order with the reason for each decision, the
 * journey context after each, the time spent at each step, and its deliveries with their
 * attempts and the destination's answers. 404 for an instance of another space.
 */
export async function instanceTimeline(store: Store, spaceId: string, instanceId: string): Promise<InstanceTimeline> {
  const instance = await store.instances.get(spaceId, instanceId);
  if (!instance) throw notFound('instance', instanceId);
  const [fetched, deliveries, trigger] = await Promise.all([
    store.activities.list(spaceId, instance.journeyId, { instanceId, order: 'asc', limit: MAX_TIMELINE_ENTRIES + 1 }),
    store.deliveries.listByInstance(spaceId, instanceId),
    store.events.get(spaceId, instance.triggerEventId),
  ]);
  const records = fetched.slice(0, MAX_TIMELINE_ENTRIES);
  // The entry event is stored under its name; the record of a retention-purged event falls back to the first key.
  const entryKey = trigger?.name ?? Object.keys(instance.context)[0] ?? null;
  const lastWriter = new Map<string, string>();
  for (const r of records) {
    const key = r.type === 'event_matched' ? r.data?.['contextKey'] : undefined;
    if (typeof key === 'string') lastWriter.set(key, r.id);
  }
  const matchedEvents = new Map(await Promise.all(records
    .filter((r) => r.type === 'event_matched' && r.eventId !== null && typeof r.data?.['contextKey'] === 'string' && lastWriter.get(r.data['contextKey'] as string) !== r.id)
    .map(async (r) => [r.id, (await store.events.get(spaceId, r.eventId!))?.message ?? null] as const)));
  const keys = new Set<string>();
  const entries = records.map((r): TimelineEntry => {
    let added: Record<string, unknown> | undefined;
    if (r.type === 'entered' && entryKey !== null) {
      added = { [entryKey]: instance.context[entryKey] ?? trigger?.message ?? null };
    } else if (r.type === 'event_matched' && typeof r.data?.['contextKey'] === 'string') {
      const key = r.data['contextKey'] as string;
      // The context keeps the last event matched under a key; an earlier one (a loop) is read back from the log.
      added = { [key]: lastWriter.get(key) === r.id ? instance.context[key] ?? null : matchedEvents.get(r.id) ?? null };
    }
    for (const key of Object.keys(added ?? {})) keys.add(key);
    const entry: TimelineEntry = {
      id: r.id, type: r.type, version: r.version, stepId: r.stepId, eventId: r.eventId, at: r.at, reason: r.reason, data: r.data,
      contextKeys: [...keys],
    };
    if (added) entry.contextAdded = added;
    return entry;
  });
  return {
    instance: viewInstance(instance),
    steps: stepsOf(records, instance.endedAt),
    entries,
    truncated: fetched.length > MAX_TIMELINE_ENTRIES,
    deliveries: deliveries.map(viewDelivery),
  };
}
