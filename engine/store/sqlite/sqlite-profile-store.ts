import type { Database, Statement } from 'better-sqlite3';
import type { IdentityKind, ProfileRecord, ProfileStore, ProfileWriteResult } from '../profile-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { IdentityOwnerCache } from './identity-owner-cache.ts';

/** Thrown inside a write to roll back its savepoint when an identity belongs to another profile. */
class IdentityConflict extends Error {
  override name = 'IdentityConflict';
}

const MAX_MERGE_HOPS = 32;

/** SQLite adapter of ProfileStore: profiles as JSON documents, identity claims in their own table. */
export class SqliteProfileStore implements ProfileStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;
  readonly #get: Statement;
  readonly #owner: Statement;
  readonly #byEmail: Statement;
  readonly #insert: Statement;
  readonly #update: Statement;
  readonly #touch: Statement;
  readonly #claim: Statement;
  readonly #mergedInto: Statement;
  readonly #owners: IdentityOwnerCache;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
    this.#get = db.prepare('SELECT doc FROM profiles WHERE space_id = ? AND id = ?');
    this.#owner = db.prepare('SELECT profile_id FROM identities WHERE space_id = ? AND kind = ? AND value = ?');
    this.#byEmail = db.prepare(`SELECT doc FROM profiles WHERE space_id = ? AND email = ? AND merged_into IS NULL
      ORDER BY last_seen_at DESC LIMIT 1`);
    this.#insert = db.prepare(`INSERT INTO profiles (id, space_id, email, merged_into, last_seen_at, version, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#update = db.prepare(`UPDATE profiles SET email = ?, merged_into = ?, last_seen_at = ?, version = ?, doc = ?
      WHERE space_id = ? AND id = ? AND version = ?`);
    // Why a second statement: SQLite rewrites the entry of every index that holds an assigned column
    // (or whose WHERE names one) even when its value stays the same, and most updates (every event's
    // last seen) change neither the email nor the merge. Assigning them anyway moved this profile's
    // entry in profiles_space (WHERE merged_into IS NULL) each time: 41 µs against 26 µs per update
    // over 200,000 profiles (bench/RESULTS.md, twentieth session).
    this.#touch = db.prepare(`UPDATE profiles SET last_seen_at = ?, version = ?, doc = ?
      WHERE space_id = ? AND id = ? AND version = ? AND email IS ? AND merged_into IS ?`);
    this.#claim = db.prepare('INSERT INTO identities (space_id, kind, value, profile_id) VALUES (?, ?, ?, ?)');
    this.#mergedInto = db.prepare('SELECT merged_into FROM profiles WHERE space_id = ? AND id = ?');
    this.#owners = new IdentityOwnerCache(this.#owner);
  }

  async get(spaceId: string, id: string): Promise<ProfileRecord | null> {
    const row = this.#get.get(spaceId, id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ProfileRecord) : null;
  }

  async findOwner(spaceId: string, kind: IdentityKind, value: string): Promise<ProfileRecord | null> {
    const owned = this.#owned(spaceId, kind, value, (profileId) => this.#get.get(spaceId, profileId) as { doc: string } | undefined);
    return owned ? (JSON.parse(owned.row.doc) as ProfileRecord) : null;
  }

  async liveProfileId(spaceId: string, kind: IdentityKind, value: string): Promise<string | null> {
    const mergedInto = (profileId: string) => this.#mergedInto.get(spaceId, profileId) as { merged_into: string | null } | undefined;
    const owned = this.#owned(spaceId, kind, value, mergedInto);
    if (!owned) return null;
    let { profileId: current, row } = owned;
    for (let hop = 1; row.merged_into !== null; hop++) {
      if (hop >= MAX_MERGE_HOPS) return null;
      current = row.merged_into;
      const next = mergedInto(current);
      if (!next) return null;
      row = next;
    }
    return current;
  }

  /**
   * The profile that claimed the identity and what `read` finds of its row; null when none claimed
   * it or its row is gone. A remembered owner whose row is gone (its space was deleted) is forgotten
   * and the claim read again.
   */
  #owned<T>(spaceId: string, kind: IdentityKind, value: string, read: (profileId: string) => T | undefined): { profileId: string; row: T } | null {
    const owner = this.#owners.find(spaceId, kind, value);
    if (!owner) return null;
    const row = read(owner.profileId);
    if (row !== undefined) return { profileId: owner.profileId, row };
    if (!owner.remembered) return null;
    this.#owners.forget(spaceId, kind, value);
    return this.#owned(spaceId, kind, value, read);
  }

  async findByEmail(spaceId: string, email: string): Promise<ProfileRecord | null> {
    const row = this.#byEmail.get(spaceId, email) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ProfileRecord) : null;
  }

  insert(profile: ProfileRecord): Promise<ProfileWriteResult> {
    return this.#writes.run(() => {
      // A conflict throws so that the write queue rolls this write's savepoint back; mapped below.
      this.#claimAll(profile);
      this.#insert.run(profile.id, profile.spaceId, profile.email, profile.mergedInto, profile.lastSeenAt, profile.version, JSON.stringify(profile));
      return 'ok' as const;
    }).catch((error: unknown) => {
      if (error instanceof IdentityConflict) return 'identity_conflict' as const;
      throw error;
    });
  }

  update(profile: ProfileRecord, expectedVersion: number): Promise<ProfileWriteResult> {
    return this.#writes.run((): ProfileWriteResult => {
      const doc = JSON.stringify(profile);
      // Nothing changed when the email or the merge changed (or the version did): the full update tells which.
      const changed = this.#touch.run(profile.lastSeenAt, profile.version, doc, profile.spaceId, profile.id, expectedVersion, profile.email, profile.mergedInto).changes
        || this.#update.run(profile.email, profile.mergedInto, profile.lastSeenAt, profile.version, doc, profile.spaceId, profile.id, expectedVersion).changes;
      if (changed === 0) return 'version_conflict';
      this.#claimAll(profile);
      return 'ok';
    }).catch((error: unknown) => {
      if (error instanceof IdentityConflict) return 'identity_conflict' as const;
      throw error;
    });
  }

  async list(spaceId: string, options: { after: string | null; limit: number }): Promise<ProfileRecord[]> {
    const rows = this.#db.prepare(`SELECT doc FROM profiles WHERE space_id = ? AND merged_into IS NULL AND id > ?
      ORDER BY id LIMIT ?`).all(spaceId, options.after ?? '', options.limit) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as ProfileRecord);
  }

  /** Claims every identity of the profile, accepting ids whose owner was merged into it. */
  #claimAll(profile: ProfileRecord): void {
    const claims: Array<[IdentityKind, string]> = [
      ...profile.userIds.map((v): [IdentityKind, string] => ['userId', v]),
      ...profile.anonymousIds.map((v): [IdentityKind, string] => ['anonymousId', v]),
    ];
    for (const [kind, value] of claims) {
      // Claimed by this profile already (remembered; a claim never changes hands): nothing to check.
      if (this.#owners.isOwner(profile.spaceId, kind, value, profile.id)) continue;
      const owner = this.#owner.get(profile.spaceId, kind, value) as { profile_id: string } | undefined;
      if (!owner) {
        this.#claim.run(profile.spaceId, kind, value, profile.id);
      } else if (owner.profile_id !== profile.id && !this.#leadsTo(profile.spaceId, owner.profile_id, profile.id)) {
        throw new IdentityConflict(`${kind} '${value}' belongs to profile ${owner.profile_id}`);
      }
    }
  }

  #leadsTo(spaceId: string, from: string, to: string): boolean {
    let current: string | null = from;
    for (let hop = 0; current !== null && hop < MAX_MERGE_HOPS; hop++) {
      const row = this.#mergedInto.get(spaceId, current) as { merged_into: string | null } | undefined;
      current = row?.merged_into ?? null;
      if (current === to) return true;
    }
    return false;
  }
}
