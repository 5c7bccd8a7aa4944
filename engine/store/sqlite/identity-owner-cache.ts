import type { Statement } from 'better-sqlite3';
import type { IdentityKind } from '../profile-store.ts';

/**
 * Owners remembered at most; the oldest is forgotten first. Why this many: a cache smaller than
 * the set of people sending events misses on every lookup once it cycles (4,096 against the
 * ingest benchmark's 10,000 users did), and each entry costs ~120 bytes (~4 MB in all). With it,
 * processing's drain rate in batch ingest rose ~12% (eight pairs, bench/RESULTS.md, twentieth session).
 */
export const MAX_REMEMBERED_OWNERS = 32_768;

/** An identity's owner as found, and whether it came from memory (it may name a profile deleted since). */
export interface FoundOwner {
  profileId: string;
  remembered: boolean;
}

/**
 * The profile that claimed each identity, read through one connection and remembered. Why it may
 * be remembered: a claim never changes hands (merges redirect the owner profile instead), so a
 * remembered owner stays right until its space is deleted. Callers that find the owner's row gone
 * forget it and read again. Why: each event looks its identities up two or three times (grouping
 * a round, applying the event, re-checking claims on write), ~2.7 µs a statement.
 */
export class IdentityOwnerCache {
  readonly #lookup: Statement;
  readonly #owners = new Map<string, string>();

  /** `lookup`: `SELECT profile_id FROM identities` by space, kind and value. */
  constructor(lookup: Statement) {
    this.#lookup = lookup;
  }

  /** The identity's owner, remembered or read; null when none claimed it (not remembered: it may be claimed next). */
  find(spaceId: string, kind: IdentityKind, value: string): FoundOwner | null {
    const key = keyOf(spaceId, kind, value);
    const known = this.#owners.get(key);
    if (known !== undefined) return { profileId: known, remembered: true };
    const row = this.#lookup.get(spaceId, kind, value) as { profile_id: string } | undefined;
    if (!row) return null;
    if (this.#owners.size >= MAX_REMEMBERED_OWNERS) this.#owners.delete(this.#owners.keys().next().value!);
    this.#owners.set(key, row.profile_id);
    return { profileId: row.profile_id, remembered: false };
  }

  /** Whether `profileId` is remembered as the identity's owner (no read). */
  isOwner(spaceId: string, kind: IdentityKind, value: string, profileId: string): boolean {
    return this.#owners.get(keyOf(spaceId, kind, value)) === profileId;
  }

  /** Forgets an identity whose remembered owner turned out to be gone. */
  forget(spaceId: string, kind: IdentityKind, value: string): void {
    this.#owners.delete(keyOf(spaceId, kind, value));
  }
}

function keyOf(spaceId: string, kind: IdentityKind, value: string): string {
  return `${spaceId}\u0000${kind}\u0000${value}`;
}
