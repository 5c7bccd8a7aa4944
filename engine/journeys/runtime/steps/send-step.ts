import type { SendSpec } from '../../definition/journey-definition.ts';
import type { DeliveryRecord } from '../../../store/delivery-store.ts';
import { record, type Run } from '../run.ts';

function pick<T>(source: Record<string, T>, selection: 'all' | string[] | undefined): Record<string, T> {
  if (selection === undefined || selection === 'all') return { ...source };
  const out: Record<string, T> = {};
  for (const key of selection) if (Object.hasOwn(source, key)) out[key] = source[key]!;
  return out;
}

/** The payload a send carries: its event name, activation key, the chosen context entries and traits. */
export function buildPayload(run: Run, spec: SendSpec, idempotencyKey: string): Record<string, unknown> {
  const { instance, env } = run;
  return {
    event: spec.eventName,
    activationKey: spec.activationKey,
    messageId: idempotencyKey,
    timestamp: new Date(env.now).toISOString(),
    userId: env.profile.userId,
    anonymousId: env.profile.anonymousIds[0] ?? null,
    journey: { id: env.journeyId, name: env.journeyName, version: env.version, instanceId: instance.id, identifier: instance.identifier },
    context: pick(instance.context, spec.payload?.context),
    traits: pick(env.profile.traits, spec.payload?.traits),
  };
}

/** Records one send as a pending delivery (keyed by instance, step and loop iteration), or its skip when disabled. */
export function recordSend(run: Run, spec: SendSpec, stepId: string): void {
  const { instance, env } = run;
  if (spec.enabled === false) {
    record(run, 'send_skipped', { stepId, reason: 'the send is disabled' });
    return;
  }
  const idempotencyKey = `${instance.id}:${stepId}:${instance.iteration}`;
  const at = new Date(env.now).toISOString();
  const delivery: DeliveryRecord = {
    id: env.newId(), spaceId: env.spaceId, journeyId: env.journeyId, version: env.version, instanceId: instance.id,
    profileId: instance.profileId, stepId, idempotencyKey, activationKey: spec.activationKey ?? '', eventName: spec.eventName,
    target: spec.target ?? null, payload: buildPayload(run, spec, idempotencyKey), mapping: spec.mapping ?? {},
    status: 'pending', attempts: 0, createdAt: at, updatedAt: at,
  };
  run.effects.push({ kind: 'delivery', delivery });
  record(run, 'send_recorded', { stepId, reason: `delivery ${idempotencyKey} recorded`, data: { deliveryId: delivery.id, idempotencyKey } });
}
