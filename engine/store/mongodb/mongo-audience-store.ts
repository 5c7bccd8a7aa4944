import type { Collection, Db } from 'mongodb';
import type { AudienceRecord, AudienceStore, MembershipRecord } from '../audience-store.ts';
import { createIndexesOneByOne, fromJson, isDuplicateKey, KeyedMutex, toJson, updateNamed } from './mongo-support.ts';

/** An audience: the record as JSON text (its rule is user-shaped), plus the fields queried. */
interface AudienceDoc { _id: string; spaceId: string; name: string; version: number; doc: string }

/**
 * One profile's standing in one audience; `_id` is `space \0 audience \0 profile`, so an
 * audience's memberships are one `_id` range, in profile id order. Membership is not stored but
 * derived in queries from `byRule` and `manual` (see MEMBER), so that each flag is set by a plain
 * single-field update, never a read-modify-write.
 */
interface MembershipDoc {
  _id: string; spaceId: string; audienceId: string; profileId: string;
  byRule: boolean; manual: MembershipRecord['manual'];
  /** The profile version the rule flag was computed from (0 before the rule saw it). */
  profileVersion: number;
  updatedAt: string;
}

/** `isMember` as a query: added by hand, or matched by the rule and not removed by hand. */
const MEMBER = { $or: [{ manual: 'added' as const }, { byRule: true, manual: null }] };

function membershipPrefix(spaceId: string, audienceId: string): string {
  return `${spaceId}\u0000${audienceId}\u0000`;
}

/** Every `_id` starting with the prefix sorts in [prefix, prefixEnd): no id holds \u0000 itself. */
function membershipPrefixEnd(spaceId: string, audienceId: string): string {
  return `${spaceId}\u0000${audienceId}\u0001`;
}

function toMembership(doc: MembershipDoc): MembershipRecord {
  return {
    spaceId: doc.spaceId, audienceId: doc.audienceId, profileId: doc.profileId,
    byRule: doc.byRule, manual: doc.manual, updatedAt: doc.updatedAt,
  };
}

/** MongoDB adapter of AudienceStore: audiences with a unique (space, name), memberships keyed by space, audience and profile. */
export class MongoAudienceStore implements AudienceStore {
  readonly #audiences: Collection<AudienceDoc>;
  readonly #memberships: Collection<MembershipDoc>;
  /** FerretDB applies a conditional update as read-then-write: conditional updates of one document go one at a time here. */
  readonly #locks = new KeyedMutex();

  constructor(db: Db) {
    this.#audiences = db.collection<AudienceDoc>('audiences');
    this.#memberships = db.collection<MembershipDoc>('memberships');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#audiences, [{ key: { spaceId: 1, name: 1 }, name: 'audiences_name', unique: true }]);
    await createIndexesOneByOne(this.#memberships, [{ key: { spaceId: 1, profileId: 1 }, name: 'memberships_profile' }]);
  }

  async insert(a: AudienceRecord): Promise<'ok' | 'conflict'> {
    try {
      await this.#audiences.insertOne({ _id: a.id, spaceId: a.spaceId, name: a.name, version: a.version, doc: toJson(a) });
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'conflict';
      throw error;
    }
  }

  async update(a: AudienceRecord, expectedVersion: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    // A name taken in the space is refused by the unique index audiences_name.
    return updateNamed(this.#audiences, this.#locks, { _id: a.id, spaceId: a.spaceId, version: expectedVersion }, { name: a.name, version: a.version, doc: toJson(a) });
  }

  async get(spaceId: string, id: string): Promise<AudienceRecord | null> {
    // By `_id` alone, the space checked here: FerretDB serves only a plain `_id` equality from the index.
    const doc = await this.#audiences.findOne({ _id: id });
    return doc && doc.spaceId === spaceId ? fromJson<AudienceRecord>(doc.doc) : null;
  }

  async list(spaceId: string): Promise<AudienceRecord[]> {
    return (await this.#audiences.find({ spaceId }).sort({ name: 1 }).toArray()).map((doc) => fromJson<AudienceRecord>(doc.doc));
  }

  /**
   * The audience goes first, then its memberships, whether or not the audience was still there:
   * a crash in between leaves memberships that deleting again (answering false) removes.
   */
  async delete(spaceId: string, id: string): Promise<boolean> {
    const existed = (await this.#audiences.deleteOne({ _id: id, spaceId })).deletedCount === 1;
    await this.#memberships.deleteMany({ _id: { $gte: membershipPrefix(spaceId, id), $lt: membershipPrefixEnd(spaceId, id) } });
    return existed;
  }

  async setByRule(spaceId: string, audienceId: string, profileId: string, byRule: boolean, profileVersion: number, at: string): Promise<void> {
    const _id = membershipPrefix(spaceId, audienceId) + profileId;
    for (let exists = false; ;) {
      // Only a record computed from this profile version or an older one is overwritten.
      const result = await this.#locks.run(_id, () => this.#memberships.updateOne(
        { _id, profileVersion: { $lte: profileVersion } },
        { $set: { byRule, profileVersion, updatedAt: at } },
      ));
      // Not matched: there is no record (and a non-match needs none), or it is from a newer version.
      if (result.matchedCount === 1 || !byRule || exists) return;
      try {
        await this.#memberships.insertOne({ _id, spaceId, audienceId, profileId, byRule, manual: null, profileVersion, updatedAt: at });
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        exists = true; // created meanwhile: one more conditional update decides
      }
    }
  }

  async setManual(spaceId: string, audienceId: string, profileId: string, manual: MembershipRecord['manual'], at: string): Promise<void> {
    const _id = membershipPrefix(spaceId, audienceId) + profileId;
    const upsert = () => this.#locks.run(_id, () => this.#memberships.updateOne(
      { _id },
      { $set: { manual, updatedAt: at }, $setOnInsert: { spaceId, audienceId, profileId, byRule: false, profileVersion: 0 } },
      { upsert: true },
    ));
    try {
      await upsert();
    } catch (error) {
      // Two upserts inserting at once: the loser finds the record on its second try.
      if (!isDuplicateKey(error)) throw error;
      await upsert();
    }
  }

  async membershipsOfProfile(spaceId: string, profileId: string): Promise<MembershipRecord[]> {
    return (await this.#memberships.find({ spaceId, profileId }).toArray()).map(toMembership);
  }

  async members(spaceId: string, audienceId: string, options: { after: string | null; limit: number }): Promise<string[]> {
    const prefix = membershipPrefix(spaceId, audienceId);
    const docs = await this.#memberships.find(
      { _id: { $gt: prefix + (options.after ?? ''), $lt: membershipPrefixEnd(spaceId, audienceId) }, ...MEMBER },
      { projection: { profileId: 1 } },
    ).sort({ _id: 1 }).limit(options.limit).toArray();
    return docs.map((doc) => doc.profileId);
  }
}
