import { notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { ProfileFinder } from '../profiles/profile-finder.ts';
import { viewProfile, type ProfileView } from '../profiles/profile-view.ts';
import type { ActivityRecord } from '../store/activity-store.ts';
import type { InstanceRecord } from '../store/instance-store.ts';

/** An active instance as the profile explorer lists it. */
export interface ActiveInstanceSummary {
  instanceId: string;
  version: number;
  stepId: string | null;
  identifier: string | null;
  enteredAt: string;
  /** When its delay or hold ends, if it is waiting. */
  waitingUntil: string | null;
}

/** One journey a profile entered. */
export interface ProfileJourney {
  journeyId: string;
  name: string | null;
  status: string | null;
  /** Times the profile entered it (instances, whatever their state). */
  entries: number;
  firstEnteredAt: string | null;
  lastEnteredAt: string | null;
  active: ActiveInstanceSummary[];
  lastActivity: Pick<ActivityRecord, 'type' | 'at' | 'reason' | 'instanceId' | 'stepId'> | null;
}

/** `GET /api/v1/profiles/{profileId}/journeys`. */
export interface ProfileJourneys {
  profile: ProfileView;
  journeys: ProfileJourney[];
}

function summarize(i: InstanceRecord): ActiveInstanceSummary {
  return {
    instanceId: i.id, version: i.version, stepId: i.stepId, identifier: i.identifier, enteredAt: i.enteredAt,
    waitingUntil: i.wait === null ? null : new Date(i.wait.until).toISOString(),
  };
}

/**
 * Every journey a profile entered (through any profile merged into it), most recently entered
 * first: how many times, the current step of each active instance, and the last thing that
 * happened. 404 when the profile is not in this space.
 */
export async function profileJourneys(store: Store, finder: ProfileFinder, spaceId: string, profileId: string): Promise<ProfileJourneys> {
  const profile = await finder.byRef(spaceId, { profileId });
  if (!profile) throw notFound('profile', profileId);
  const profileIds = [profile.id, ...profile.mergedFrom];
  const [entries, active] = await Promise.all([
    store.instances.entriesByJourney(spaceId, profileIds),
    store.instances.activeForProfiles(spaceId, profileIds),
  ]);
  const journeys = await Promise.all(entries.map(async (e): Promise<ProfileJourney> => {
    const [journey, first, last, latest] = await Promise.all([
      store.journeys.get(spaceId, e.journeyId),
      store.instances.get(spaceId, e.firstInstanceId),
      e.lastInstanceId === e.firstInstanceId ? null : store.instances.get(spaceId, e.lastInstanceId),
      store.activities.list(spaceId, e.journeyId, { profileIds, order: 'desc', limit: 1 }),
    ]);
    const lastRecord = latest[0];
    return {
      journeyId: e.journeyId,
      // Only drafts can be deleted and drafts have no instances: null is defensive.
      name: journey?.name ?? null,
      status: journey?.status ?? null,
      entries: e.entries,
      firstEnteredAt: first?.enteredAt ?? null,
      lastEnteredAt: (last ?? first)?.enteredAt ?? null,
      active: active.filter((i) => i.journeyId === e.journeyId).sort((a, b) => a.enteredAt.localeCompare(b.enteredAt)).map(summarize),
      lastActivity: lastRecord
        ? { type: lastRecord.type, at: lastRecord.at, reason: lastRecord.reason, instanceId: lastRecord.instanceId, stepId: lastRecord.stepId }
        : null,
    };
  }));
  journeys.sort((a, b) => (b.lastEnteredAt ?? '').localeCompare(a.lastEnteredAt ?? ''));
  return { profile: viewProfile(profile), journeys };
}
