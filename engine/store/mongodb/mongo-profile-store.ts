import type { Collection, Db } from 'mongodb';
import type { IdentityKind, ProfileRecord, ProfileStore, ProfileWriteResult } from '../profile-store.ts';
import { createIndexesOneByOne, fromJson, insertUnordered, isDuplicateKey, KeyedMutex, toJson } from './mongo-support.ts';

/**
 * A profile (the whole record as JSON text, plus the fields queried), or a tombstone: an id
 * fenced off by a claimant that found claims of a profile that was never written (see #fence).
 */
interface ProfileDoc {
  _id: string;
  spaceId: string;
  email?: string | null;
  mergedInto?: string | null;
  lastSeenAt?: string;
  version?: number;
  doc?: string;
  /** Only on a tombstone: no profile with this id can ever be stored. */
  dead?: true;
}

/** One identity claim: `_id` is `space \0 kind \0 value`, unique by construction. */
interface IdentityDoc { _id: string; spaceId: string; profileId: string }

/** How a claim held by another profile stands towards a profile that wants it. */
type Verdict = 'accepted' | 'conflict' | 'stale';

const MAX_MERGE_HOPS = 32;
/** What following merges needs of a profile document. */
const LINKS = { mergedInto: 1, dead: 1 } as const;
/** Rounds of claim / inspect / take over before a write gives up (each extra round needs a racing writer). */
const MAX_CLAIM_ROUNDS = 8;

function identityId(spaceId: string, kind: IdentityKind, value: string): string {
  return `${spaceId}\u0000${kind}\u0000${value}`;
}

function claimIdsOf(p: ProfileRecord): string[] {
  return [...new Set([
    ...p.userIds.map((v) => identityId(p.spaceId, 'userId', v)),
    ...p.anonymousIds.map((v) => identityId(p.spaceId, 'anonymousId', v)),
  ])];
}

function toProfile(doc: ProfileDoc | null): ProfileRecord | null {
  return doc && !doc.dead && doc.doc !== undefined ? fromJson<ProfileRecord>(doc.doc) : null;
}

/** The queried fields of a profile document. */
function fieldsOf(p: ProfileRecord): Required<Pick<ProfileDoc, 'email' | 'mergedInto' | 'lastSeenAt' | 'version' | 'doc'>> {
  return { email: p.email, mergedInto: p.mergedInto, lastSeenAt: p.lastSeenAt, version: p.version, doc: toJson(p) };
}

/**
 * MongoDB adapter of ProfileStore, without transactions. A write first claims the profile's
 * identities (one document each, unique `_id`), then writes the profile; a crash in between
 * leaves claims ahead of the profile:
 * - claims of a profile that exists but does not list them (an update that never landed): the
 *   profile owns them, and its next write listing them finds them already its own;
 * - claims of a profile that was never inserted: findOwner and liveProfileId answer null for them,
 *   and the next profile to claim one takes it over after fencing the missing id with a tombstone,
 *   so that the interrupted insert, should it still be in flight, can no longer land.
 */
export class MongoProfileStore implements ProfileStore {
  readonly #profiles: Collection<ProfileDoc>;
  readonly #identities: Collection<IdentityDoc>;
  /** FerretDB applies a conditional update as read-then-write: compare-and-sets on one document go one at a time here. */
  readonly #locks = new KeyedMutex();

  constructor(db: Db) {
    this.#profiles = db.collection<ProfileDoc>('profiles');
    this.#identities = db.collection<IdentityDoc>('identities');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#profiles, [
      { key: { spaceId: 1, mergedInto: 1, _id: 1 }, name: 'profiles_space' },
      { key: { spaceId: 1, email: 1, lastSeenAt: -1 }, name: 'profiles_email' },
    ]);
    await createIndexesOneByOne(this.#identities, [{ key: { spaceId: 1 }, name: 'identities_space' }]);
  }

  async get(spaceId: string, id: string): Promise<ProfileRecord | null> {
    return toProfile(await this.#read(spaceId, id));
  }

  async findOwner(spaceId: string, kind: IdentityKind, value: string): Promise<ProfileRecord | null> {
    const claim = await this.#identities.findOne({ _id: identityId(spaceId, kind, value) });
    return claim ? this.get(spaceId, claim.profileId) : null;
  }

  async liveProfileId(spaceId: string, kind: IdentityKind, value: string): Promise<string | null> {
    const claim = await this.#identities.findOne({ _id: identityId(spaceId, kind, value) });
    let current: string | null = claim?.profileId ?? null;
    for (let hop = 0; current !== null && hop < MAX_MERGE_HOPS; hop++) {
      const doc = await this.#read(spaceId, current, LINKS);
      if (!doc || doc.dead) return null;
      if (doc.mergedInto == null) return current;
      current = doc.mergedInto;
    }
    return null;
  }

  async findByEmail(spaceId: string, email: string): Promise<ProfileRecord | null> {
    return toProfile(await this.#profiles.findOne({ spaceId, email, mergedInto: null }, { sort: { lastSeenAt: -1 } }));
  }

  async insert(profile: ProfileRecord): Promise<ProfileWriteResult> {
    // A new id holds no claims yet: try inserting them all at once, then look at the refused ones.
    const claimed = await this.#claim(profile, claimIdsOf(profile), new Map());
    if (!claimed.ok) {
      await this.#release(profile.id, claimed.created);
      return 'identity_conflict';
    }
    try {
      await this.#profiles.insertOne({ _id: profile.id, spaceId: profile.spaceId, ...fieldsOf(profile) });
      return 'ok';
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await this.#release(profile.id, claimed.created);
      const existing = await this.#profiles.findOne({ _id: profile.id }, { projection: { dead: 1 } });
      // Fenced: a claimant found our claims while this profile did not exist yet, and took them.
      if (existing?.dead) return 'identity_conflict';
      throw error;
    }
  }

  /**
   * Only identities the stored version does not list are claimed: those it lists were claimed
   * before it was written, and a claim of an existing profile is never taken away. Claims kept
   * when the write then fails (a concurrent write won, or a claim was lost in a race) are not
   * released: a concurrent writer of the same profile may rely on them, and the state is the one
   * a crash between claim and write leaves anyway.
   */
  async update(profile: ProfileRecord, expectedVersion: number): Promise<ProfileWriteResult> {
    const stored = toProfile(await this.#read(profile.spaceId, profile.id));
    if (!stored || stored.version !== expectedVersion) return 'version_conflict';
    const held = new Set(claimIdsOf(stored));
    const fresh = claimIdsOf(profile).filter((id) => !held.has(id));
    if (!(await this.#claim(profile, fresh, null)).ok) return 'identity_conflict';
    const result = await this.#locks.run(profile.id, () => this.#profiles.updateOne(
      { _id: profile.id, spaceId: profile.spaceId, version: expectedVersion, dead: { $exists: false } },
      { $set: fieldsOf(profile) },
    ));
    return result.matchedCount === 1 ? 'ok' : 'version_conflict';
  }

  async list(spaceId: string, options: { after: string | null; limit: number }): Promise<ProfileRecord[]> {
    const docs = await this.#profiles.find({ spaceId, mergedInto: null, dead: { $exists: false }, _id: { $gt: options.after ?? '' } })
      .sort({ _id: 1 }).limit(options.limit).toArray();
    return docs.map(toProfile).filter((p): p is ProfileRecord => p !== null);
  }

  /**
   * Makes the claims `ids` the profile's own, or accepted (held by a profile merged into it).
   * `owners` is what is known of their current holders (null: read them first). Answers the
   * claims created or taken over, for an insert to release them on failure.
   */
  async #claim(profile: ProfileRecord, ids: string[], owners: Map<string, string> | null): Promise<{ ok: boolean; created: string[] }> {
    const me = profile.id;
    const created: string[] = [];
    let unresolved = ids;
    let known = owners;
    for (let round = 0; unresolved.length > 0; round++) {
      // Claims kept changing hands: lost to concurrent writers, like a conflict (the caller re-plans).
      if (round >= MAX_CLAIM_ROUNDS) return { ok: false, created };
      const owner: Map<string, string> = known ?? await this.#ownersOf(unresolved);
      known = null;
      const missing = unresolved.filter((id) => !owner.has(id));
      const foreign = unresolved.flatMap((id) => {
        const o = owner.get(id);
        return o !== undefined && o !== me ? [{ id, owner: o }] : [];
      });
      // Judge every foreign claim before writing anything, so a plain conflict stores nothing.
      const verdicts = await Promise.all(foreign.map((f) => this.#judge(profile.spaceId, f.owner, me)));
      if (verdicts.includes('conflict')) return { ok: false, created };
      const next: string[] = [];
      await Promise.all(foreign.map(async (f, i) => {
        if (verdicts[i] !== 'stale') return;
        (await this.#takeOver(profile.spaceId, f.id, f.owner, me) ? created : next).push(f.id);
      }));
      const refused = await insertUnordered(this.#identities, missing.map((id) => ({ _id: id, spaceId: profile.spaceId, profileId: me })));
      for (const [i, id] of missing.entries()) (refused.has(i) ? next : created).push(id);
      unresolved = next;
    }
    return { ok: true, created };
  }

  /** Whether a claim held by `owner` may be used by `me`: merged into it, unrelated, or ownerless. */
  async #judge(spaceId: string, owner: string, me: string): Promise<Verdict> {
    const doc = await this.#read(spaceId, owner, LINKS);
    if (!doc || doc.dead) return 'stale';
    let next = doc.mergedInto ?? null;
    for (let hop = 0; next !== null && hop < MAX_MERGE_HOPS; hop++) {
      if (next === me) return 'accepted';
      const step: ProfileDoc | null = await this.#read(spaceId, next, LINKS);
      next = step?.mergedInto ?? null;
    }
    return 'conflict';
  }

  /** Re-points a claim whose profile was never written; false when that changed meanwhile. */
  async #takeOver(spaceId: string, claimId: string, owner: string, me: string): Promise<boolean> {
    if (!(await this.#fence(spaceId, owner))) return false;
    const result = await this.#locks.run(claimId, () => this.#identities.updateOne({ _id: claimId, profileId: owner }, { $set: { profileId: me } }));
    return result.matchedCount === 1;
  }

  /**
   * Makes sure no profile with this id can ever be stored, by inserting a tombstone under its id
   * (an insert that finds it fails on the unique `_id`); false when the profile exists after all.
   */
  async #fence(spaceId: string, profileId: string): Promise<boolean> {
    try {
      await this.#profiles.insertOne({ _id: profileId, spaceId, dead: true });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const doc = await this.#profiles.findOne({ _id: profileId }, { projection: { dead: 1 } });
      return doc?.dead === true;
    }
  }

  /** Current owners of claims. One lookup per id (a write claims a handful): FerretDB serves only a plain `_id` equality from the index, `$in` scans. */
  async #ownersOf(ids: string[]): Promise<Map<string, string>> {
    const claims = await Promise.all(ids.map((_id) => this.#identities.findOne({ _id })));
    return new Map(claims.flatMap((c) => (c ? [[c._id, c.profileId] as const] : [])));
  }

  /**
   * A profile document of the space by `_id` alone, the space checked here: FerretDB serves only a
   * plain `_id` equality from the index and scans for any other filter.
   */
  async #read(spaceId: string, id: string, projection?: Record<string, 1>): Promise<ProfileDoc | null> {
    const doc = await this.#profiles.findOne({ _id: id }, projection ? { projection: { ...projection, spaceId: 1 } } : {});
    return doc && doc.spaceId === spaceId ? doc : null;
  }

  /**
   * Drops claims this profile made, unless taken over since. One conditional delete per claim,
   * under the claim's lock: FerretDB reads the filter and deletes apart, so a delete racing a
   * take-over (#takeOver) removed the claim the other profile had just taken, and two profiles
   * then both stored themselves as its owner (reproduced under CPU load).
   */
  async #release(profileId: string, claimIds: string[]): Promise<void> {
    await Promise.all(claimIds.map((_id) => this.#locks.run(_id, () => this.#identities.deleteOne({ _id, profileId }))));
  }
}
