import type { InstanceStore } from '../../store/instance-store.ts';
import type { ProfileRecord } from '../../store/profile-store.ts';

/**
 * The profile id a sticky random split rolls on, so that a person gets the same branch on every
 * entry, merges included: the profile that first entered the journey among the person's profiles
 * (the live one and those merged into it), else the live profile. Without it, an anonymous
 * visitor's entry and their re-entry after identifying rolled on two different profile ids.
 */
export async function stickyKey(instances: InstanceStore, spaceId: string, journeyId: string, profile: ProfileRecord): Promise<string> {
  // Never merged: its own id, as before (and no read).
  if (profile.mergedFrom.length === 0) return profile.id;
  const [first] = await instances.listByJourney(spaceId, journeyId, { profileIds: [profile.id, ...profile.mergedFrom], after: null, limit: 1 });
  return first?.profileId ?? profile.id;
}
