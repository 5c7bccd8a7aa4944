import type { IdentityKind, ProfileRecord, ProfileStore } from '../store/profile-store.ts';

/** The live profile an identity leads to, and the merged profiles passed on the way. */
export interface Resolution {
  profile: ProfileRecord;
  /** Profiles merged into `profile` that were crossed to reach it (oldest first). */
  via: ProfileRecord[];
}

const MAX_HOPS = 32;

/** Follows an identity to its live profile through merge redirects. */
export async function resolveIdentity(store: ProfileStore, spaceId: string, kind: IdentityKind, value: string): Promise<Resolution | null> {
  const owner = await store.findOwner(spaceId, kind, value);
  return owner ? followMerges(store, owner) : null;
}

/** Follows a profile's merge redirects to the live profile. */
export async function followMerges(store: ProfileStore, start: ProfileRecord): Promise<Resolution | null> {
  const via: ProfileRecord[] = [];
  let current: ProfileRecord | null = start;
  for (let hop = 0; current && current.mergedInto !== null; hop++) {
    if (hop >= MAX_HOPS) return null;
    via.push(current);
    current = await store.get(start.spaceId, current.mergedInto);
  }
  return current ? { profile: current, via } : null;
}
