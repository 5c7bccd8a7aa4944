import type { EventRecord } from '../store/event-store.ts';
import type { ProfileRecord, RecentEvent } from '../store/profile-store.ts';

/** How many recent track events a profile remembers for hold-until look-back. */
export const MAX_RECENT_EVENTS = 50;
/**
 * How many of them may share a name. Why: a burst of one event (page views, scrolls) must not
 * push out the one event a hold step looks back for (the purchase just before it).
 */
export const MAX_RECENT_PER_NAME = 10;

/** The last events of `events` (oldest first) within both bounds, in the order given. */
export function keepRecent(events: readonly RecentEvent[]): RecentEvent[] {
  const perName = new Map<string, number>();
  const kept: RecentEvent[] = [];
  for (let i = events.length - 1; i >= 0 && kept.length < MAX_RECENT_EVENTS; i--) {
    const e = events[i]!;
    const n = (perName.get(e.name) ?? 0) + 1;
    perName.set(e.name, n);
    if (n <= MAX_RECENT_PER_NAME) kept.push(e);
  }
  return kept.reverse();
}

/** Lower-cased email trait, the form profiles are looked up by. */
export function emailOf(traits: Record<string, unknown>): string | null {
  const email = traits['email'];
  return typeof email === 'string' && email.length > 0 ? email.toLowerCase() : null;
}

function union(a: readonly string[], b: readonly (string | null)[]): string[] {
  const out = [...a];
  for (const v of b) if (v !== null && !out.includes(v)) out.push(v);
  return out;
}

/** A brand-new profile for an event's identities. */
export function newProfile(id: string, event: EventRecord, anonymousIds: string[]): ProfileRecord {
  return { ...blankProfile(id, event.spaceId, event.timestamp, event.receivedAt), anonymousIds };
}

/** A profile with no identities and no traits, seen at `seenAt`, version 0 (the first write makes it 1). */
export function blankProfile(id: string, spaceId: string, seenAt: string, createdAt: string): ProfileRecord {
  return {
    id, spaceId, userId: null, userIds: [], anonymousIds: [], email: null, traits: {},
    firstSeenAt: seenAt, lastSeenAt: seenAt, mergedInto: null, mergedFrom: [],
    recentEvents: [], lastEventId: null, version: 0, createdAt, updatedAt: createdAt,
  };
}

/** Folds merged profiles into a target: their ids join it, their traits fill keys it lacks. */
export function absorb(target: ProfileRecord, sources: readonly ProfileRecord[]): ProfileRecord {
  let out = target;
  for (const s of sources) {
    if (s.id === target.id || out.mergedFrom.includes(s.id)) continue;
    const traits = { ...s.traits, ...out.traits };
    out = {
      ...out,
      userIds: union(out.userIds, s.userIds),
      anonymousIds: union(out.anonymousIds, s.anonymousIds),
      traits,
      email: emailOf(traits),
      firstSeenAt: s.firstSeenAt < out.firstSeenAt ? s.firstSeenAt : out.firstSeenAt,
      lastSeenAt: s.lastSeenAt > out.lastSeenAt ? s.lastSeenAt : out.lastSeenAt,
      // A joined profile brings the profiles joined into it before.
      mergedFrom: [...new Set([...out.mergedFrom, s.id, ...s.mergedFrom])].filter((id) => id !== out.id),
      recentEvents: keepRecent([...out.recentEvents, ...s.recentEvents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))),
    };
  }
  return out;
}

/**
 * The profile after an event: identities added, traits merged (identify), last seen widened.
 * `claim` lists the identities this profile takes; ids owned by another user are left out by the caller.
 */
export function applyEvent(
  profile: ProfileRecord, event: EventRecord, claim: { userId: string | null; anonymousIds: (string | null)[]; otherUserIds?: string[] },
): ProfileRecord {
  let traits = profile.traits;
  if (event.type === 'identify') {
    const given = event.message['traits'];
    if (given && typeof given === 'object') traits = { ...traits, ...(given as Record<string, unknown>) };
  }
  const userId = claim.userId ?? profile.userId;
  const recentEvents = event.type === 'track' && event.name !== null
    ? keepRecent([...profile.recentEvents, { id: event.id, name: event.name, receivedAt: event.receivedAt }])
    : profile.recentEvents;
  return {
    ...profile,
    recentEvents,
    userId,
    userIds: union(profile.userIds, [userId, ...(claim.otherUserIds ?? [])]),
    anonymousIds: union(profile.anonymousIds, claim.anonymousIds),
    traits,
    email: emailOf(traits),
    firstSeenAt: event.timestamp < profile.firstSeenAt ? event.timestamp : profile.firstSeenAt,
    lastSeenAt: event.timestamp > profile.lastSeenAt ? event.timestamp : profile.lastSeenAt,
    // The highest id applied: a late event (older id) must not make newer ones look unapplied.
    lastEventId: profile.lastEventId !== null && profile.lastEventId > event.id ? profile.lastEventId : event.id,
    version: profile.version + 1,
    updatedAt: event.receivedAt,
  };
}

/** Whether two trait objects differ (shallow keys, deep values through JSON). */
export function traitsChanged(before: Record<string, unknown>, after: Record<string, unknown>): boolean {
  return before !== after && JSON.stringify(before) !== JSON.stringify(after);
}
