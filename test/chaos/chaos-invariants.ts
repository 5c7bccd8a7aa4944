/**
 * Every invariant of the chaos run, checked on the facts gathered after the drain:
 * 1. events (chaos-event-checks.ts), 2. instances and 3. timers (chaos-instance-checks.ts, and
 * journey by journey chaos-journey-checks.ts), 4. deliveries (chaos-delivery-checks.ts),
 * 5. figures (chaos-stats-checks.ts).
 */
import type { EngineFacts, HarnessFacts, StoredEvent } from './chaos-facts.ts';
import { ENTRY_EVENTS, JOURNEY_KEYS, type JourneyKey } from './chaos-journeys.ts';
import { indexJourney, type JourneyIndex } from './chaos-journey-index.ts';
import { checkEvents, type EventCounts } from './chaos-event-checks.ts';
import { checkInstances } from './chaos-instance-checks.ts';
import { checkCart, checkOrders, checkReengage, checkWelcome, type EventLog } from './chaos-journey-checks.ts';
import { checkDeliveries, type DeliveryCounts } from './chaos-delivery-checks.ts';
import { checkStats } from './chaos-stats-checks.ts';
import { Violations } from './chaos-violations.ts';

/** What the checks counted, for the summary line. */
export interface InvariantCounts {
  events: EventCounts;
  instances: number;
  timersFired: number;
  maxTimerLatenessMs: number;
  deliveries: DeliveryCounts;
}

const JOURNEY_CHECKS: Readonly<Record<JourneyKey, (index: JourneyIndex, log: EventLog, v: Violations) => void>> = {
  cart: checkCart, orders: checkOrders, welcome: checkWelcome, reengage: checkReengage,
};

/** Checks every invariant; answers the violations and the figures. */
export function checkInvariants(engine: EngineFacts, harness: HarnessFacts, options: { maxAttempts: number; strict: boolean }): {
  violations: readonly string[]; knownIssues: readonly string[]; counts: InvariantCounts;
} {
  const v = new Violations({ strict: options.strict });
  for (const problem of harness.problems) v.add('harness', problem);
  const events = checkEvents(engine, harness, v);
  const eventsById = new Map<string, StoredEvent>(engine.events.map((e) => [e.id, e]));
  const log: EventLog = {
    events: engine.events.filter((e) => !harness.isSeed(e.messageId)),
    ackedAt: (messageId) => harness.sent.get(messageId)?.ackedAt ?? null,
  };
  const indexes: JourneyIndex[] = [];
  let instances = 0;
  let timersFired = 0;
  let maxTimerLatenessMs = 0;
  for (const key of JOURNEY_KEYS) {
    const index = indexJourney(engine.journeys[key], eventsById);
    indexes.push(index);
    const entryEvents = engine.events.filter((e) => e.type === 'track' && e.name === ENTRY_EVENTS[key]);
    const c = checkInstances(index, entryEvents, harness.isSeed, v);
    instances += c.instances;
    timersFired += c.timersFired;
    maxTimerLatenessMs = Math.max(maxTimerLatenessMs, c.maxTimerLatenessMs);
    JOURNEY_CHECKS[key](index, log, v);
    checkStats(index, v);
  }
  const deliveries = checkDeliveries(engine, indexes, harness, options.maxAttempts, v);
  return { violations: v.list, knownIssues: v.knownIssues, counts: { events, instances, timersFired, maxTimerLatenessMs, deliveries } };
}
