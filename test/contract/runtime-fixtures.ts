import type { Store } from '../../engine/store/store.ts';
import type { InstanceRecord, OutboxEntry } from '../../engine/store/instance-store.ts';
import type { ActivityRecord } from '../../engine/store/activity-store.ts';
import type { DeliveryRecord } from '../../engine/store/delivery-store.ts';
import { SPACE_A, T0, iso, uniqueId } from './store-fixtures.ts';

/** The journey and profile most runtime records belong to unless given. */
export const JOURNEY_1 = 'journey-1';
export const PROFILE_1 = 'prof-1';

/** User-shaped data whose keys hold dots and `$` (adapters must store it as given). */
export const AWKWARD_DATA = { 'a.b': 1, $set: { 'x.y': [1, { $in: 'z' }] }, nested: { deep: { list: [null, true, 2.5, 'ü'] } } };

/** An active instance at rev 0 with a nested context and no timer, no outbox unless given. */
export function makeInstance(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id: uniqueId('inst'), spaceId: SPACE_A, journeyId: JOURNEY_1, version: 1, profileId: PROFILE_1, identifier: null,
    status: 'active', stepId: 'step-1', wait: null, wakeAt: null,
    context: { 'Order Completed': { properties: AWKWARD_DATA } }, loops: { 'hold-1': 2 }, iteration: 0,
    conversions: { 'goal.1': iso(500) }, triggerEventId: 'evt-1', lastEventId: null, consumedEventId: null,
    enteredAt: iso(), updatedAt: iso(), endedAt: null, endReason: null, outbox: [], rev: 0, ...overrides,
  };
}

/** The next revision of an instance or delivery, as a compare-and-set caller builds it. */
export function nextRev<T extends { rev: number; updatedAt: string }>(record: T, changes: Partial<T> = {}): T {
  return { ...record, ...changes, rev: record.rev + 1, updatedAt: iso((record.rev + 1) * 1000) };
}

/** The changes that end an instance, as endInstance makes them. */
export function ended(status: 'completed' | 'exited' = 'completed'): Partial<InstanceRecord> {
  return { status, stepId: null, wait: null, wakeAt: null, endedAt: iso(9000), endReason: status === 'completed' ? 'exit step' : 'exit rule' };
}

/** An activity record of JOURNEY_1. */
export function makeActivity(overrides: Partial<ActivityRecord> = {}): ActivityRecord {
  return {
    id: uniqueId('act'), spaceId: SPACE_A, journeyId: JOURNEY_1, version: 1, instanceId: 'inst-1', profileId: PROFILE_1,
    type: 'step_reached', stepId: 'step-1', eventId: 'evt-1', at: iso(), reason: 'delay over', data: { payload: AWKWARD_DATA },
    ...overrides,
  };
}

let iteration = 0;

/** A pending delivery due at T0, rev 0; its idempotency key is "<instance>:<step>:<n>" with a fresh n unless given. */
export function makeDelivery(overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  iteration += 1;
  const base: DeliveryRecord = {
    id: uniqueId('dlv'), spaceId: SPACE_A, journeyId: JOURNEY_1, version: 1, instanceId: 'inst-1', profileId: PROFILE_1,
    stepId: 'send-1', idempotencyKey: '', activationKey: 'act-key-1', eventName: 'Order Completed',
    target: { type: 'destination', destinationId: 'dest-1', action: 'track' },
    payload: { type: 'track', event: 'Order Completed', properties: AWKWARD_DATA }, mapping: { 'to.field': { '@path': '$.properties.total' } },
    status: 'pending', nextAttemptAt: T0, attempts: 0, windowAttempts: 0, attemptLog: [], firstAttemptAt: null, reason: null,
    deliveredAt: null, createdAt: iso(), updatedAt: iso(), rev: 0, ...overrides,
  };
  if (overrides.idempotencyKey === undefined) base.idempotencyKey = `${base.instanceId}:${base.stepId}:${iteration}`;
  return base;
}

/** An outbox of the given activities and deliveries. */
export function outboxOf(activities: ActivityRecord[], deliveries: DeliveryRecord[]): OutboxEntry[] {
  return [
    ...activities.map((activity): OutboxEntry => ({ kind: 'activity', activity })),
    ...deliveries.map((delivery): OutboxEntry => ({ kind: 'delivery', delivery })),
  ];
}

/**
 * Finishes a just-written instance as InstanceWriter does: when the store does not apply the
 * outbox with the write, materializes it (activities appended, deliveries inserted by key) and
 * marks it done.
 */
export async function finishWrite(store: Store, written: InstanceRecord): Promise<void> {
  if (store.instances.appliesOutboxAtomically || written.outbox.length === 0) return;
  await materialize(store, written);
}

/** Materializes an outbox unconditionally (what the crash-recovery job does again after a crash), then marks it done. */
export async function materialize(store: Store, written: InstanceRecord): Promise<void> {
  const activities = written.outbox.flatMap((e) => (e.kind === 'activity' ? [e.activity] : []));
  const deliveries = written.outbox.flatMap((e) => (e.kind === 'delivery' ? [e.delivery] : []));
  await Promise.all([store.activities.append(activities), ...deliveries.map((d) => store.deliveries.insertIfAbsent(d))]);
  await store.instances.markOutboxDone(written.spaceId, written.id, written.rev);
}
