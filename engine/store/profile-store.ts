/** A track event a profile performed, as remembered for hold-until look-back. */
export interface RecentEvent {
  id: string;
  name: string;
  receivedAt: string;
}

/** How a profile can be identified. */
export type IdentityKind = 'userId' | 'anonymousId';

/** One person in one space. */
export interface ProfileRecord {
  id: string;
  spaceId: string;
  /** The user id it was last identified with. */
  userId: string | null;
  /** Every user id it is known by (previous ids joined by alias included). */
  userIds: string[];
  anonymousIds: string[];
  /** `traits.email` kept as a column for lookups. */
  email: string | null;
  traits: Record<string, unknown>;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Set when this profile was joined into another one; lookups follow it. */
  mergedInto: string | null;
  /** Profiles joined into this one whose traits and ids it has absorbed. */
  mergedFrom: string[];
  /** The latest track events applied (newest last, capped): what hold-until look-back searches. */
  recentEvents: RecentEvent[];
  /** The last event applied, so that re-processing after a crash is a no-op. */
  lastEventId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Result of a profile write. */
export type ProfileWriteResult = 'ok' | 'version_conflict' | 'identity_conflict';

/**
 * Profiles and the identities they claim. Each user id and anonymous id is claimed by exactly one
 * profile per space; a claim by a profile that the current owner was merged into is accepted
 * (the owner's merge redirect already leads there).
 */
export interface ProfileStore {
  get(spaceId: string, id: string): Promise<ProfileRecord | null>;
  /** The profile that claimed this identity, without following merges. */
  findOwner(spaceId: string, kind: IdentityKind, value: string): Promise<ProfileRecord | null>;
  /** The id of the live profile an identity leads to (following merges), without reading documents. */
  liveProfileId(spaceId: string, kind: IdentityKind, value: string): Promise<string | null>;
  /** The most recently seen unmerged profile with this email. */
  findByEmail(spaceId: string, email: string): Promise<ProfileRecord | null>;
  /** Inserts a new profile (version 1) and claims its identities; nothing stored on conflict. */
  insert(profile: ProfileRecord): Promise<ProfileWriteResult>;
  /** Replaces the profile if its stored version is `expectedVersion`, claiming any new identities. */
  update(profile: ProfileRecord, expectedVersion: number): Promise<ProfileWriteResult>;
  /** Unmerged profiles of a space in id order, for audience re-evaluation. */
  list(spaceId: string, options: { after: string | null; limit: number }): Promise<ProfileRecord[]>;
}
