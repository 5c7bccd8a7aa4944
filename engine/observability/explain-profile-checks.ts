import type { JourneyDefinition } from '../journeys/definition/journey-definition.ts';
import type { EventRecord } from '../store/event-store.ts';
import type { InstanceRecord, InstanceStore } from '../store/instance-store.ts';
import type { ProfileRecord } from '../store/profile-store.ts';
import { readPath } from '../conditions/read-path.ts';
import { identifierOf } from '../journeys/runtime/run.ts';
import { identifierPathOf } from '../journeys/runtime/live-journeys.ts';
import {
  activeConflict, checkAudience, checkReentry, storedReentryFacts, triggerInstanceId, legacyTriggerInstanceId, type ReentryRefusal,
} from '../journeys/runtime/profile-entry-checks.ts';
import { instanceReport, outcomeOf, type CheckOutcome } from './explain-checks.ts';

/** Most instances a re_entry outcome lists as evidence. */
const MAX_EVIDENCE = 5;
/** Instances of the profile read to find its earliest entry (`once`). */
const ENTRIES_READ = 200;

/** audience: the runtime's check against the profile's memberships as they are now. */
export async function audienceOutcome(
  definition: JourneyDefinition, profile: ProfileRecord | null, memberAudienceIds: (profileId: string) => Promise<ReadonlySet<string>>,
): Promise<CheckOutcome> {
  const audienceId = definition.entry.audienceId;
  const verdict = await checkAudience(definition.entry, async () => (profile ? memberAudienceIds(profile.id) : new Set<string>()));
  if (!audienceId) return outcomeOf('audience', verdict, 'the journey has no audience filter');
  const outcome = outcomeOf('audience', verdict, `a member of audience ${audienceId}`);
  return { ...outcome, detail: `${outcome.detail} (current membership${profile ? '' : '; the user has no profile yet'})` };
}

/**
 * re_entry: the runtime's check against the profile's instances as they are stored now, with
 * the instances that decided it. An instance this very event started passes: the runtime never
 * enters the same trigger twice, nor records it as ignored.
 */
export async function reentryOutcome(
  instances: InstanceStore, definition: JourneyDefinition, journeyId: string, event: EventRecord, profile: ProfileRecord | null,
): Promise<CheckOutcome> {
  const mode = definition.entry.reentry?.mode ?? 'one_active';
  const profileIds = profile ? [profile.id, ...profile.mergedFrom] : [];
  for (const profileId of profileIds) {
    const started = await instances.get(event.spaceId, triggerInstanceId(journeyId, profileId, event.id))
      ?? await instances.get(event.spaceId, legacyTriggerInstanceId(journeyId, profileId, event.id));
    if (started) {
      return {
        check: 're_entry', passed: true, instances: [instanceReport(started)],
        detail: `this event started instance ${started.id} at ${started.enteredAt} (now ${started.status}); the runtime does not check a trigger it already entered again`,
      };
    }
  }
  const identifier = identifierOf(event, identifierPathOf(definition), readPath) ?? null;
  const facts = profile
    ? storedReentryFacts(instances, event.spaceId, journeyId, profile)
    : { enteredBefore: async () => false, activeCount: async () => 0, identifierActiveOnMerged: async () => false };
  const active = profileIds.length === 0 ? [] : await instances.listByJourney(event.spaceId, journeyId, { profileIds, status: 'active', limit: 1000 });
  const verdict = await checkReentry(definition, identifier, facts);
  // The store refuses a second active instance of the profile with the same identifier at insert: the runtime's last check.
  const refusal: ReentryRefusal | null = verdict.ok
    ? (active.some((i) => i.profileId === profile?.id && i.identifier === identifier) ? activeConflict(identifier) : null)
    : verdict;
  if (refusal) return refusalOutcome(refusal, instances, event.spaceId, journeyId, profileIds, identifier, active);
  const detail = mode === 'once' ? 'entry once: the profile never entered this journey'
    : mode === 'one_active' ? 'one active session: the profile has no active instance of this journey'
    : `multiple active sessions: no active instance with identifier ${identifier ?? ''} (${active.length} active in all)`;
  return { check: 're_entry', passed: true, detail: `${detail} (instances as stored now)` };
}

async function refusalOutcome(
  refusal: ReentryRefusal, instances: InstanceStore, spaceId: string, journeyId: string, profileIds: string[], identifier: string | null, active: InstanceRecord[],
): Promise<CheckOutcome> {
  let evidence: InstanceRecord[] = [];
  let because = '';
  switch (refusal.rule) {
    case 'identifier_missing':
      break;
    case 'once': {
      const entered = await instances.listByJourney(spaceId, journeyId, { profileIds, limit: ENTRIES_READ });
      evidence = [...entered].sort((a, b) => a.enteredAt.localeCompare(b.enteredAt)).slice(0, 1);
      if (evidence[0]) because = `: it entered at ${evidence[0].enteredAt} (instance ${evidence[0].id}, version ${evidence[0].version}, now ${evidence[0].status})`;
      break;
    }
    case 'identifier_active':
    case 'one_active': {
      evidence = refusal.rule === 'identifier_active' ? active.filter((i) => i.identifier === identifier) : active;
      const first = evidence[0];
      if (first) because = `: the profile has an active instance ${first.id} started at ${first.enteredAt}${first.stepId ? `, now at step ${first.stepId}` : ''}`;
      break;
    }
    case 'active_limit':
      evidence = active;
      break;
    default:
      return assertNever(refusal.rule);
  }
  return {
    check: 're_entry', passed: false, detail: `${refusal.reason}${because} (instances as stored now)`,
    ...(evidence.length > 0 ? { instances: evidence.slice(0, MAX_EVIDENCE).map(instanceReport) } : {}),
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected re-entry rule ${String(value)}`);
}
