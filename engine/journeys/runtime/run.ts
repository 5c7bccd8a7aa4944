import type { JourneyDefinition, Step } from '../definition/journey-definition.ts';
import type { InstanceRecord, OutboxEntry } from '../../store/instance-store.ts';
import type { ActivityType } from '../../store/activity-store.ts';
import type { ProfileRecord } from '../../store/profile-store.ts';
import type { EventRecord } from '../../store/event-store.ts';

/** What a run of an instance may read: everything is given, nothing is fetched. */
export interface RunEnv {
  spaceId: string;
  journeyId: string;
  journeyName: string;
  version: number;
  /** The version's definition, defaults filled in. */
  definition: JourneyDefinition;
  /** Journey time, ms since epoch: what the run's records are dated. */
  now: number;
  /**
   * For a run a timer brought, when that timer was due (at or before `now`). Waits the run starts
   * are timed from then, and a hold's look-back reaches back from then: a timer that fired late
   * (an outage, a test-clock jump past several due times) delays nothing after it, and finds the
   * events it would have found on time. Records stay dated `now`, in the order things happened.
   */
  waitsFrom?: number;
  profile: ProfileRecord;
  /** Audiences the profile is a member of. */
  audienceIds: ReadonlySet<string>;
  /** The profile's recent track events (oldest first) that a hold-until step may look back on. */
  recentEvents: readonly EventRecord[];
  /** Identifier property path of multiple-active-sessions journeys, else null. */
  identifierPath: string | null;
  /**
   * Events received before the instance's trigger count in a hold's look-back when received after
   * this instant: the end of the profile's last instance of the journey (with the same identifier
   * value, when the journey has one; the epoch when there was none). Null: none counts.
   */
  earlierEventsAfter: string | null;
  /** The profile id sticky random splits roll on (see sticky-key.ts); the instance's profile when absent. */
  stickyKey?: string;
  /** Uniform in [0, 1) for non-sticky random splits. */
  random: () => number;
  /** New time-ordered ids for activities and deliveries. */
  newId: () => string;
}

/** An instance being advanced: a private copy plus the effects decided so far. */
export interface Run {
  instance: InstanceRecord;
  effects: OutboxEntry[];
  env: RunEnv;
  steps: Map<string, Step>;
  /** Steps executed in this run (guards against runaway graphs). */
  transitions: number;
  /** `env.now` as ISO-8601, made once: every record of the run carries it. */
  nowIso: string;
}

/** Most steps one run may execute before the instance is stopped (cycles are bounded by validation). */
export const MAX_TRANSITIONS_PER_RUN = 1_000;

/** Starts a run on a copy of the instance; the previous outbox is assumed materialized. */
export function beginRun(instance: InstanceRecord, env: RunEnv): Run {
  return {
    instance: { ...instance, context: { ...instance.context }, loops: { ...instance.loops }, conversions: { ...instance.conversions }, outbox: [] },
    effects: [],
    env,
    steps: new Map(env.definition.steps.map((s) => [s.id, s])),
    transitions: 0,
    nowIso: new Date(env.now).toISOString(),
  };
}

/** Records an activity of the instance at the current journey time. */
export function record(run: Run, type: ActivityType, details: { stepId?: string | null; eventId?: string | null; reason?: string | null; data?: Record<string, unknown> | null } = {}): void {
  const { instance, env } = run;
  run.effects.push({
    kind: 'activity',
    activity: {
      id: env.newId(), spaceId: env.spaceId, journeyId: env.journeyId, version: env.version, instanceId: instance.id,
      profileId: instance.profileId, type, stepId: details.stepId === undefined ? instance.stepId : details.stepId,
      eventId: details.eventId ?? null, at: run.nowIso, reason: details.reason ?? null, data: details.data ?? null,
    },
  });
}

/**
 * Ends the instance (completed at an exit step, exited otherwise). `cause` names the rule in the
 * journey's figures (`rule:<id>`, `goal:<id>`, `exit_step:<id>`, `archived`…); `leftWait` tells
 * them the instance stopped waiting at its step.
 */
export function endInstance(run: Run, status: 'completed' | 'exited', reason: string, cause: string, eventId: string | null = null): void {
  const i = run.instance;
  record(run, status, { reason, eventId, data: i.wait !== null ? { cause, leftWait: true } : { cause } });
  i.status = status;
  i.endReason = reason;
  i.endedAt = run.nowIso;
  i.stepId = null;
  i.wait = null;
  i.wakeAt = null;
}

/** The identifier value of an event for this journey, or undefined when the event does not carry it. */
export function identifierOf(event: EventRecord, identifierPath: string | null, read: (path: string, subject: unknown) => unknown): string | undefined {
  if (identifierPath === null) return undefined;
  const value = read(identifierPath, event.message);
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
