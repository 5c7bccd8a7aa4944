import type { Collection, Db } from 'mongodb';
import type { CredentialRecord, SpaceRecord, SpaceStore } from '../space-store.ts';
import { createIndexesOneByOne, isDuplicateKey, KeyedMutex } from './mongo-support.ts';

interface SpaceDoc { _id: string; name: string; createdAt: string }

interface CredentialDoc {
  _id: string; spaceId: string; kind: CredentialRecord['kind']; hash: string; hint: string;
  label: string | null; createdAt: string; revokedAt: string | null;
}

/**
 * Every collection holding a space's data, each document with a top-level `spaceId`. Credentials
 * are not listed: deleteSpace removes them first, on their own.
 */
export const SPACE_SCOPED_COLLECTIONS = [
  'events', 'profiles', 'identities', 'audiences', 'memberships', 'catalog', 'journeys', 'journey_versions',
  'activation_keys', 'instances', 'activities', 'journey_counters', 'deliveries', 'delivery_claims', 'destinations', 'functions', 'function_versions',
] as const;

function toSpace(doc: SpaceDoc): SpaceRecord {
  return { id: doc._id, name: doc.name, createdAt: doc.createdAt };
}

function toCredential(doc: CredentialDoc): CredentialRecord {
  return {
    id: doc._id, spaceId: doc.spaceId, kind: doc.kind, hash: doc.hash, hint: doc.hint,
    label: doc.label, createdAt: doc.createdAt, revokedAt: doc.revokedAt,
  };
}

/** MongoDB adapter of SpaceStore: one document per space and per credential. */
export class MongoSpaceStore implements SpaceStore {
  readonly #db: Db;
  readonly #spaces: Collection<SpaceDoc>;
  readonly #credentials: Collection<CredentialDoc>;
  /** FerretDB applies a conditional update as read-then-write: revocations of one credential go one at a time here. */
  readonly #locks = new KeyedMutex();

  constructor(db: Db) {
    this.#db = db;
    this.#spaces = db.collection<SpaceDoc>('spaces');
    this.#credentials = db.collection<CredentialDoc>('credentials');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#credentials, [
      { key: { hash: 1 }, name: 'credentials_hash', unique: true },
      { key: { spaceId: 1, createdAt: 1 }, name: 'credentials_space' },
    ]);
  }

  async createSpace(space: SpaceRecord): Promise<'ok' | 'conflict'> {
    try {
      await this.#spaces.insertOne({ _id: space.id, name: space.name, createdAt: space.createdAt });
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'conflict';
      throw error;
    }
  }

  async getSpace(id: string): Promise<SpaceRecord | null> {
    const doc = await this.#spaces.findOne({ _id: id });
    return doc ? toSpace(doc) : null;
  }

  async listSpaces(): Promise<SpaceRecord[]> {
    return (await this.#spaces.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map(toSpace);
  }

  /**
   * Not atomic: credentials go first (nothing can authenticate into the space any more), then
   * the space's documents in every collection, and the space record last. A crash part-way
   * leaves the space listed, so deleting it again finishes the job.
   */
  async deleteSpace(id: string): Promise<boolean> {
    await this.#credentials.deleteMany({ spaceId: id });
    // One collection at a time: large deletes at once lock up FerretDB's SQLite backend (SQLITE_BUSY).
    for (const name of SPACE_SCOPED_COLLECTIONS) await this.#db.collection(name).deleteMany({ spaceId: id });
    return (await this.#spaces.deleteOne({ _id: id })).deletedCount === 1;
  }

  async addCredential(c: CredentialRecord): Promise<'ok' | 'conflict'> {
    try {
      await this.#credentials.insertOne({
        _id: c.id, spaceId: c.spaceId, kind: c.kind, hash: c.hash, hint: c.hint,
        label: c.label, createdAt: c.createdAt, revokedAt: c.revokedAt,
      });
      return 'ok';
    } catch (error) {
      // The id or the hash is taken (unique index credentials_hash).
      if (isDuplicateKey(error)) return 'conflict';
      throw error;
    }
  }

  async findCredentialByHash(hash: string): Promise<CredentialRecord | null> {
    const doc = await this.#credentials.findOne({ hash });
    return doc ? toCredential(doc) : null;
  }

  async listCredentials(spaceId: string): Promise<CredentialRecord[]> {
    return (await this.#credentials.find({ spaceId }).sort({ createdAt: 1, _id: 1 }).toArray()).map(toCredential);
  }

  async revokeCredential(spaceId: string, credentialId: string, at: string): Promise<boolean> {
    const result = await this.#locks.run(credentialId, () =>
      this.#credentials.updateOne({ _id: credentialId, spaceId, revokedAt: null }, { $set: { revokedAt: at } }));
    return result.matchedCount === 1;
  }
}
