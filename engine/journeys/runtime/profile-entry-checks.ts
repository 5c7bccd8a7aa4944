import { createHash } from 'node:crypto';
import { JOURNEY_LIMITS, type JourneyDefinition, type JourneyEntry } from '../definition/journey-definition.ts';
import type { InstanceStore } from '../../store/instance-store.ts';
import type { EntryRefusal, EntryVerdict } from './entry-decision.ts';

/*
 * The entry checks that concern one entering profile (audience, re-entry). They read what they
 * need through the functions they are given, only when a rule needs it, so the runtime's queries
 * stay what they were and explain can answer the same facts from what it has read.
 */

/** Which re-entry rule refused an entry. */
export type ReentryRule = 'identifier_missing' | 'once' | 'identifier_active' | 'one_active' | 'active_limit';

/** A re_entry refusal, with the rule that made it. */
export interface ReentryRefusal extends EntryRefusal {
  check: 're_entry';
  rule: ReentryRule;
}

/** Facts about the entering profile's instances of the journey, read lazily. */
export interface ReentryFacts {
  /** Whether the profile, or a profile merged into it, ever entered the journey (read for `once` only). */
  enteredBefore(): Promise<boolean>;
  /** Active instances of the journey of the profile and the profiles merged into it. */
  activeCount(): Promise<number>;
  /** Whether a profile merged into this one has an active instance of the journey with this identifier value. */
  identifierActiveOnMerged(identifier: string): Promise<boolean>;
}

/** ReentryFacts read from the instance store; a joined anonymous history is the same person, so merged profiles count too. */
export function storedReentryFacts(
  instances: InstanceStore, spaceId: string, journeyId: string, profile: { id: string; mergedFrom: readonly string[] },
): ReentryFacts {
  const profileIds = [profile.id, ...profile.mergedFrom];
  return {
    enteredBefore: async () => (await Promise.all(profileIds.map((id) => instances.hasEntered(spaceId, journeyId, id)))).some(Boolean),
    activeCount: async () => {
      let active = 0;
      for (const id of profileIds) active += await instances.countActive(spaceId, journeyId, id);
      return active;
    },
    identifierActiveOnMerged: async (value) => profile.mergedFrom.length > 0
      && (await instances.activeForProfiles(spaceId, [...profile.mergedFrom])).some((i) => i.journeyId === journeyId && i.identifier === value),
  };
}

const PASS = { ok: true } as const;

function refuse(rule: ReentryRule, reason: string): ReentryRefusal {
  return { ok: false, check: 're_entry', rule, reason };
}

/** Crockford base32 time prefix of a ULID (the engine's event ids). */
const ULID_TIME = /^[0-9A-HJKMNP-TV-Z]{10}/;

/**
 * The instance a trigger starts for a profile: derived from the trigger, so processing the same
 * event again finds it. It starts with the event id's time part. Why: instance ids key the
 * instance row and lead the activity and delivery indexes, and ids in arrival order keep those
 * writes on the B-trees' last pages; random ids touched a random page per index per write
 * (measured: the largest part of a timer's commit).
 */
export function triggerInstanceId(journeyId: string, profileId: string, eventId: string): string {
  const time = ULID_TIME.exec(eventId)?.[0] ?? '';
  return `ins_${time}${triggerHash(journeyId, profileId, eventId).slice(0, 26 - time.length)}`;
}

/** The id engines before time-ordered ids gave the same trigger's instance (looked up so an upgrade never enters twice). */
export function legacyTriggerInstanceId(journeyId: string, profileId: string, eventId: string): string {
  return `ins_${triggerHash(journeyId, profileId, eventId).slice(0, 26)}`;
}

function triggerHash(journeyId: string, profileId: string, eventId: string): string {
  return createHash('sha256').update(`${journeyId}\u0000${profileId}\u0000${eventId}`).digest('hex');
}

/** audience: the profile is a member of the entry audience, if the journey has one. */
export async function checkAudience(entry: JourneyEntry, memberAudienceIds: () => Promise<ReadonlySet<string>>): Promise<EntryVerdict> {
  if (!entry.audienceId || (await memberAudienceIds()).has(entry.audienceId)) return PASS;
  return { ok: false, check: 'audience', reason: `not a member of audience ${entry.audienceId}` };
}

/**
 * re_entry: the journey's re-entry mode and active-instance limit allow the profile one more
 * instance. `identifier` is the event's identifier value (multiple active sessions), else null.
 * An active instance of the profile itself with the same identifier is caught by the store when
 * the instance is inserted (see activeConflict), not here.
 */
export async function checkReentry(definition: JourneyDefinition, identifier: string | null, facts: ReentryFacts): Promise<{ ok: true } | ReentryRefusal> {
  const reentry = definition.entry.reentry ?? { mode: 'one_active' };
  if (reentry.mode === 'multiple_active' && identifier === null) {
    return refuse('identifier_missing', `the event has no identifier at '${reentry.identifier}'`);
  }
  if (reentry.mode === 'once' && await facts.enteredBefore()) return refuse('once', 'entry once: the profile entered this journey before');
  const active = await facts.activeCount();
  if (identifier !== null && await facts.identifierActiveOnMerged(identifier)) {
    return refuse('identifier_active', `an instance with identifier ${identifier} is already active`);
  }
  if (reentry.mode === 'one_active' && active > 0) return refuse('one_active', 'one active session: an instance is already active');
  const limit = definition.settings?.maxActiveInstancesPerProfile ?? JOURNEY_LIMITS.defaultMaxActiveInstancesPerProfile;
  if (active >= limit) return refuse('active_limit', `the profile already has ${active} active instances (limit ${limit})`);
  return PASS;
}

/** The refusal when the store finds another active instance of the profile with the same identifier (or none) at insert. */
export function activeConflict(identifier: string | null): ReentryRefusal {
  return identifier === null
    ? refuse('one_active', 'one active session: an instance is already active')
    : refuse('identifier_active', `an instance with identifier ${identifier} is already active`);
}
