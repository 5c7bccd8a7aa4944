import type { SendSpec } from '../../definition/journey-definition.ts';
import type { DeliveryRecord } from '../../../store/delivery-store.ts';
import type { SendEvent } from '../../../../mappings/send-event.ts';
import { DELIVERY_HANDOFF_LEASE_MS } from '../../../delivery/delivery-lease.ts';
import { record, type Run, type RunEnv } from '../run.ts';
import type { InstanceRecord } from '../../../store/instance-store.ts';

function pick<T>(source: Record<string, T>, selection: 'all' | string[] | undefined): Record<string, T> {
  if (selection === undefined || selection === 'all') return { ...source };
  const out: Record<string, T> = {};
  for (const key of selection) if (Object.hasOwn(source, key)) out[key] = source[key]!;
  return out;
}

/** What a send's payload is made of: a run's, or the send preview's sample instance and person. */
export interface PayloadSource {
  instance: Pick<InstanceRecord, 'id' | 'context' | 'identifier'>;
  env: Pick<RunEnv, 'now' | 'profile' | 'journeyId' | 'journeyName' | 'version'>;
  /** `env.now` as ISO-8601, when the caller has it made already (a run makes it once for all its records). */
  nowIso?: string;
}

/** The Segment event a send carries (mappings/send-event.ts): the chosen context entries and traits, and where it comes from. */
export function buildPayload(source: PayloadSource, spec: SendSpec, stepId: string, idempotencyKey: string): SendEvent {
  const { instance, env } = source;
  return {
    type: 'track',
    event: spec.eventName,
    messageId: idempotencyKey,
    timestamp: source.nowIso ?? new Date(env.now).toISOString(),
    userId: env.profile.userId,
    anonymousId: env.profile.anonymousIds[0] ?? null,
    properties: { journey_context: pick(instance.context, spec.payload?.context) },
    context: {
      traits: pick(env.profile.traits, spec.payload?.traits),
      journey: {
        id: env.journeyId, name: env.journeyName, version: env.version, instance_id: instance.id, step_id: stepId,
        activation_key: spec.activationKey ?? '', identifier: instance.identifier, idempotency_key: idempotencyKey,
      },
    },
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
  const at = run.nowIso;
  const target = spec.target ?? null;
  const delivery: DeliveryRecord = {
    id: env.newId(), spaceId: env.spaceId, journeyId: env.journeyId, version: env.version, instanceId: instance.id,
    profileId: instance.profileId, stepId, idempotencyKey, activationKey: spec.activationKey ?? '', eventName: spec.eventName,
    target, payload: buildPayload(run, spec, stepId, idempotencyKey) as unknown as Record<string, unknown>, mapping: spec.mapping ?? {},
    // A recording engine hands the delivery to its dispatcher in memory; the stored row only
    // becomes due for polling once that hand-off's lease has passed (after a crash, say).
    status: target ? 'pending' : 'skipped', nextAttemptAt: target ? env.now + DELIVERY_HANDOFF_LEASE_MS : null,
    attempts: 0, windowAttempts: 0, attemptLog: [], firstAttemptAt: null,
    reason: target ? null : 'the send step has no destination: recorded only', deliveredAt: null,
    createdAt: at, updatedAt: at, rev: 0,
  };
  run.effects.push({ kind: 'delivery', delivery });
  record(run, 'send_recorded', { stepId, reason: `delivery ${idempotencyKey} recorded`, data: { deliveryId: delivery.id, idempotencyKey } });
}
