import type { ProfileRecord } from '../store/profile-store.ts';

/** A profile as the API shows it. */
export interface ProfileView {
  id: string;
  userId: string | null;
  userIds: string[];
  anonymousIds: string[];
  email: string | null;
  traits: Record<string, unknown>;
  firstSeenAt: string;
  lastSeenAt: string;
  createdAt: string;
  updatedAt: string;
}

/** Drops storage internals (versions, merge bookkeeping) from a profile. */
export function viewProfile(p: ProfileRecord): ProfileView {
  return {
    id: p.id, userId: p.userId, userIds: p.userIds, anonymousIds: p.anonymousIds, email: p.email, traits: p.traits,
    firstSeenAt: p.firstSeenAt, lastSeenAt: p.lastSeenAt, createdAt: p.createdAt, updatedAt: p.updatedAt,
  };
}
