import type { ProfileRecord, ProfileStore } from '../store/profile-store.ts';
import type { ProfileRef } from './profile-ref.ts';
import { followMerges, resolveIdentity } from './resolve-profile.ts';

/** Read-side profile lookups: by any identity or email, following merges. */
export class ProfileFinder {
  readonly #store: ProfileStore;

  constructor(store: ProfileStore) {
    this.#store = store;
  }

  /** The live profile a reference ({profileId} | {userId} | {anonymousId} | {email}) leads to. */
  async byRef(spaceId: string, ref: ProfileRef): Promise<ProfileRecord | null> {
    if ('userId' in ref) return (await resolveIdentity(this.#store, spaceId, 'userId', ref.userId))?.profile ?? null;
    if ('anonymousId' in ref) return (await resolveIdentity(this.#store, spaceId, 'anonymousId', ref.anonymousId))?.profile ?? null;
    if ('email' in ref) return this.#store.findByEmail(spaceId, ref.email.toLowerCase());
    const profile = await this.#store.get(spaceId, ref.profileId);
    return profile ? (await followMerges(this.#store, profile))?.profile ?? null : null;
  }

  /** A page of live profiles in id order. */
  page(spaceId: string, after: string | null, limit: number): Promise<ProfileRecord[]> {
    return this.#store.list(spaceId, { after, limit });
  }
}
