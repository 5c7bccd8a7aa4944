import { newId } from '../ids.ts';
import type { EventRecord } from '../store/event-store.ts';
import type { ProfileRecord, ProfileStore } from '../store/profile-store.ts';
import { absorb, applyEvent, blankProfile, newProfile, traitsChanged } from './apply-event.ts';
import { resolveIdentity, type Resolution } from './resolve-profile.ts';

/** The outcome of applying one event to the profiles of its space. */
export interface ProfileChange {
  profile: ProfileRecord;
  /** Whether traits changed (audience rules need re-evaluating). */
  traitsChanged: boolean;
  /** Whether the event had already been applied (re-processing after a crash). */
  alreadyApplied: boolean;
  /** Profiles this event joined into `profile` (their memberships move to it). */
  joined: ProfileRecord[];
}

/** Thrown when a profile keeps changing under us: another writer is racing (should not happen in one process). */
export class ProfileContentionError extends Error {
  override name = 'ProfileContentionError';
}

const MAX_ATTEMPTS = 8;

interface Plan {
  target: Resolution | null;
  /** Live profiles to join into the target (anonymous histories). */
  join: ProfileRecord[];
  claimUserId: string | null;
  claimAnonymousIds: string[];
  /** More user ids of the same person (an alias of an id never seen: it may be an earlier user id). */
  claimOtherUserIds?: string[];
}

/**
 * Keeps profiles up to date from events: identity resolution, trait merges and joins of an
 * anonymous history into a user (alias, or any event carrying both ids). Each write is one
 * compare-and-set on one profile; a join first redirects the joined profile, then the target
 * absorbs it, so a crash between the two is repaired when the event is processed again.
 */
export class ProfileService {
  readonly #store: ProfileStore;

  constructor(store: ProfileStore) {
    this.#store = store;
  }

  /**
   * The live profile of a user id, created when the engine has never seen it (users listed in an
   * event property enter journeys even before their first event).
   */
  async ensureUser(spaceId: string, userId: string, at: string): Promise<ProfileRecord> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await resolveIdentity(this.#store, spaceId, 'userId', userId);
      if (found) return found.profile;
      const profile: ProfileRecord = { ...blankProfile(`prf_${newId()}`, spaceId, at, at), userId, userIds: [userId], version: 1 };
      if (await this.#store.insert(profile) === 'ok') return profile;
    }
    throw new ProfileContentionError(`profile of user ${userId} kept changing while being created`);
  }

  /**
   * Applies an event to its profile, creating or joining profiles as needed. `late`: the event
   * became visible after newer events of the profile were applied (see EventProcessor), so an id
   * below the profile's last one does not mean it was applied already.
   */
  async applyEvent(event: EventRecord, options: { late?: boolean } = {}): Promise<ProfileChange> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const change = await this.#tryApply(event, options.late ?? false);
      if (change) return change;
    }
    throw new ProfileContentionError(`profile of event ${event.id} changed ${MAX_ATTEMPTS} times while being updated`);
  }

  async #plan(event: EventRecord): Promise<Plan> {
    const { spaceId } = event;
    if (event.type === 'alias') {
      const previousId = String(event.message['previousId']);
      const target = event.userId ? await resolveIdentity(this.#store, spaceId, 'userId', event.userId) : null;
      const byUserId = await resolveIdentity(this.#store, spaceId, 'userId', previousId);
      const source = byUserId ?? await resolveIdentity(this.#store, spaceId, 'anonymousId', previousId);
      // An alias of a previous *user* id merges two users (Segment's alias). An anonymous id that
      // already belongs to another user is never moved, by alias no more than by identify.
      const othersAnonymousId = !byUserId && source && source.profile.userId !== null && source.profile.userId !== event.userId
        && !(event.userId !== null && source.profile.userIds.includes(event.userId));
      if (othersAnonymousId) return { target, join: [], claimUserId: event.userId, claimAnonymousIds: [] };
      if (target && source && source.profile.id !== target.profile.id) {
        return { target, join: [source.profile], claimUserId: event.userId, claimAnonymousIds: [] };
      }
      // Alias of an unknown previous id: remember it as an anonymous id of the user.
      return {
        target: target ?? source, join: [], claimUserId: event.userId,
        // Segment's alias names an earlier anonymous id or an earlier user id: an id never seen is
        // remembered as both, so its later events find this profile whichever it was.
        claimAnonymousIds: source ? [] : [previousId],
        ...(source || !event.userId ? {} : { claimOtherUserIds: [previousId] }),
      };
    }
    const byUser = event.userId ? await resolveIdentity(this.#store, spaceId, 'userId', event.userId) : null;
    const byAnon = event.anonymousId ? await resolveIdentity(this.#store, spaceId, 'anonymousId', event.anonymousId) : null;
    const anon = event.anonymousId ? [event.anonymousId] : [];
    if (byUser && byAnon && byUser.profile.id !== byAnon.profile.id) {
      // Join only an anonymous history; an anonymous id already tied to another user stays there.
      return byAnon.profile.userId === null
        ? { target: byUser, join: [byAnon.profile], claimUserId: event.userId, claimAnonymousIds: [] }
        : { target: byUser, join: [], claimUserId: event.userId, claimAnonymousIds: [] };
    }
    if (!byUser && byAnon && event.userId && byAnon.profile.userId !== null && byAnon.profile.userId !== event.userId
      && !byAnon.profile.userIds.includes(event.userId)) {
      return { target: null, join: [], claimUserId: event.userId, claimAnonymousIds: [] };
    }
    return { target: byUser ?? byAnon, join: [], claimUserId: event.userId, claimAnonymousIds: anon };
  }

  /** One optimistic attempt; null when a concurrent change means the plan must be redone. */
  async #tryApply(event: EventRecord, late: boolean): Promise<ProfileChange | null> {
    const plan = await this.#plan(event);
    for (const joined of plan.join) {
      const redirected = { ...joined, mergedInto: plan.target!.profile.id, version: joined.version + 1, updatedAt: event.receivedAt };
      if (await this.#store.update(redirected, joined.version) !== 'ok') return null;
    }
    const start = plan.target?.profile ?? newProfile(`prf_${newId()}`, event, []);
    const replayed = late
      ? start.recentEvents.some((e) => e.id === event.id)
      : start.lastEventId !== null && start.lastEventId >= event.id;
    if (replayed && plan.join.length === 0 && (plan.target?.via.length ?? 0) === 0) {
      return { profile: start, traitsChanged: false, alreadyApplied: true, joined: [] };
    }
    const absorbed = absorb(start, [...(plan.target?.via ?? []), ...plan.join]);
    const next = applyEvent(absorbed, event, { userId: plan.claimUserId, anonymousIds: plan.claimAnonymousIds, otherUserIds: plan.claimOtherUserIds ?? [] });
    const result = plan.target ? await this.#store.update(next, start.version) : await this.#store.insert(next);
    if (result !== 'ok') return null;
    return {
      profile: next, traitsChanged: plan.target === null || traitsChanged(start.traits, next.traits),
      alreadyApplied: false, joined: [...(plan.target?.via ?? []), ...plan.join],
    };
  }
}
