/**
 * Invariant 4, deliveries, against what the sink saw per idempotency key:
 * - each recorded send has exactly one delivery, with its key, and every delivery has closed
 *   (delivered, failed, or skipped because its instance exited before a retry; none pending or retrying);
 * - a delivered delivery succeeded at the sink (its first 2xx came no later than the engine
 *   recorded it), and the engine never sent it again after recording it delivered;
 * - a failed delivery never succeeded at the sink — unless its last attempt was in flight when
 *   the sink answered and the engine never saw that answer — and failed for a reason the sink
 *   gave (a 400) or after its last allowed attempt;
 * - a key sent again after its success (a replay: the sink answers 200, no second success) is
 *   explained: a kill came between, or the engine had given up on the attempt that succeeded
 *   (a timeout while the answer was on its way);
 * - the sink saw no key the engine does not know.
 */
import type { DeliveryView } from '../../engine/delivery/delivery-service.ts';
import type { EngineFacts, HarnessFacts } from './chaos-facts.ts';
import { dataText, type JourneyIndex } from './chaos-journey-index.ts';
import type { SinkKeyLog } from './chaos-sink.ts';
import type { Violations } from './chaos-violations.ts';

/** Figures of the deliveries for the summary. */
export interface DeliveryCounts {
  deliveries: number;
  delivered: number;
  failed: number;
  /** Requests for a key that had already succeeded at the sink. */
  replays: number;
}

/** Checks every delivery; `maxAttempts` is the engine's DELIVERY_MAX_ATTEMPTS. */
export function checkDeliveries(engine: EngineFacts, indexes: readonly JourneyIndex[], harness: HarnessFacts, maxAttempts: number, v: Violations): DeliveryCounts {
  const counts: DeliveryCounts = { deliveries: 0, delivered: 0, failed: 0, replays: 0 };
  const known = new Set<string>();
  for (const index of indexes) {
    const journey = index.facts.key;
    const recorded = new Map<string, number>();
    for (const story of index.stories.values()) {
      for (const a of story.activity) {
        const key = a.type === 'send_recorded' ? dataText(a, 'idempotencyKey') : null;
        if (key !== null) recorded.set(key, (recorded.get(key) ?? 0) + 1);
      }
    }
    const byKey = new Map<string, DeliveryView[]>();
    for (const d of index.facts.deliveries) byKey.set(d.idempotencyKey, [...(byKey.get(d.idempotencyKey) ?? []), d]);
    for (const [key, n] of recorded) {
      const found = byKey.get(key)?.length ?? 0;
      if (n !== 1 || found !== 1) v.add('deliveries.one-per-send', `${journey}: send ${key} recorded ${n} times, ${found} deliveries`);
    }
    for (const d of index.facts.deliveries) {
      if (!recorded.has(d.idempotencyKey)) v.add('deliveries.unrecorded', `${journey}: delivery ${d.id} (${d.idempotencyKey}) has no send_recorded record`);
      if (!index.stories.has(d.instanceId)) v.add('deliveries.orphan', `${journey}: delivery ${d.idempotencyKey} names instance ${d.instanceId}, which the journey does not have`);
      known.add(d.idempotencyKey);
      counts.deliveries++;
      checkOne(journey, d, harness.sinkKeys.get(d.idempotencyKey), harness.kills, maxAttempts, counts, v);
    }
  }
  if (engine.deliveries.length !== counts.deliveries) {
    v.add('deliveries.api', `GET /api/v1/deliveries lists ${engine.deliveries.length} deliveries, the journeys ${counts.deliveries}`);
  }
  for (const key of harness.sinkKeys.keys()) {
    if (!known.has(key)) v.add('deliveries.unknown-key', `the sink received key ${key}, which no delivery has`);
  }
  return counts;
}

function checkOne(journey: string, d: DeliveryView, log: SinkKeyLog | undefined, kills: readonly number[], maxAttempts: number, counts: DeliveryCounts, v: Violations): void {
  const what = `${journey}: delivery ${d.idempotencyKey} (${d.status}, ${d.attempts} attempts${d.reason ? `, ${d.reason}` : ''})`;
  const firstSuccessAt = log?.firstSuccessAt ?? null;
  for (const arrival of log?.arrivals ?? []) {
    if (arrival.answer !== 'replay') continue;
    counts.replays++;
    const afterKill = firstSuccessAt !== null && kills.some((k) => firstSuccessAt < k && k < arrival.at);
    if (!afterKill && !answerUnseen(d, firstSuccessAt)) {
      v.add('deliveries.unexplained-repeat', `${what}: sent again at ${iso(arrival.at)} after it succeeded at ${iso(firstSuccessAt)}, with no kill between and no attempt that missed the answer`);
    }
  }
  switch (d.status) {
    case 'delivered': {
      counts.delivered++;
      const deliveredAt = d.deliveredAt === null ? Number.NaN : Date.parse(d.deliveredAt);
      if (firstSuccessAt === null || !(firstSuccessAt <= deliveredAt)) {
        v.add('deliveries.unconfirmed', `${what}: recorded delivered at ${d.deliveredAt} but the sink's first success was ${iso(firstSuccessAt)}`);
      }
      const late = (log?.arrivals ?? []).filter((a) => (a.answer === 'replay' || a.answer === 'success') && a.at > deliveredAt);
      if (late.length > 0) v.add('deliveries.sent-after-delivered', `${what}: reached the sink ${late.length} time(s) after it was recorded delivered, first at ${iso(late[0]!.at)}`);
      return;
    }
    case 'failed': {
      counts.failed++;
      if (firstSuccessAt !== null && !answerUnseen(d, firstSuccessAt)) v.add('deliveries.failed-but-succeeded', `${what}: the sink answered 2xx at ${iso(firstSuccessAt)}`);
      const last = d.attemptLog[d.attemptLog.length - 1];
      if (!(last?.status === 400 || d.attempts >= maxAttempts)) v.add('deliveries.failed-reason', `${what}: failed with neither a 400 nor all ${maxAttempts} attempts used`);
      return;
    }
    case 'skipped': {
      // Closed unsent because its instance exited after the send was recorded (an exit rule while it waited to be retried).
      if (!(d.reason ?? '').startsWith('not sent: the instance exited')) v.add('deliveries.skipped', `${what}: skipped for another reason: ${d.reason}`);
      return;
    }
    default:
      v.add('deliveries.open', `${what}: not closed after the drain`);
  }
}

/** Whether an attempt the engine did not count as delivered was in flight when the sink answered it 2xx. */
function answerUnseen(d: DeliveryView, firstSuccessAt: number | null): boolean {
  if (firstSuccessAt === null) return false;
  return d.attemptLog.some((a) => {
    const start = Date.parse(a.at);
    return a.outcome !== 'delivered' && start <= firstSuccessAt && firstSuccessAt <= start + a.durationMs + 1;
  });
}

function iso(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString();
}
