import type { Collection, Db } from 'mongodb';
import type { JourneyDefinition } from '../../journeys/definition/journey-definition.ts';
import type { JourneyRecord, JourneyStatus, JourneyStore, JourneyVersionRecord, VersionState } from '../journey-store.ts';
import { fromJson, isDuplicateKey, KeyedMutex, toJson, updateNamed } from './mongo-support.ts';

/** A journey; the draft is JSON text (its keys are user-shaped). */
interface JourneyDoc {
  _id: string;
  spaceId: string;
  name: string;
  description: string | null;
  status: JourneyStatus;
  draft: string | null;
  draftVersion: number | null;
  liveVersion: number | null;
  retiring?: { version: number; state: 'draining' | 'exiting' } | null;
  createdAt: string;
  updatedAt: string;
  rev: number;
}

/** A published version, `_id` = `${journeyId}\0${version}`; `state` is top-level for listActiveVersions. */
interface VersionDoc {
  _id: string;
  spaceId: string;
  journeyId: string;
  version: number;
  definition: string;
  state: VersionState;
  publishedAt: string;
}

/** An activation key, unique per space: `_id` = `${spaceId}\0${key}`. */
interface KeyDoc {
  _id: string;
  spaceId: string;
  key: string;
  journeyId: string;
}

/** Claim rounds before giving up on keys whose holder keeps vanishing between insert and read. */
const CLAIM_ROUNDS = 5;

/** MongoDB adapter of JourneyStore: collections journeys, journey_versions and activation_keys. */
export class MongoJourneyStore implements JourneyStore {
  readonly #journeys: Collection<JourneyDoc>;
  readonly #versions: Collection<VersionDoc>;
  readonly #keys: Collection<KeyDoc>;
  /** Serializes this process's compare-and-sets per document (FerretDB's are not atomic; see KeyedMutex). */
  readonly #cas = new KeyedMutex();
  /**
   * Serializes this process's key claims per space, so that two saves here with overlapping keys
   * cannot both refuse (and give back) each other's keys; across processes that costs a retry.
   */
  readonly #claims = new KeyedMutex();

  constructor(db: Db) {
    this.#journeys = db.collection<JourneyDoc>('journeys');
    this.#versions = db.collection<VersionDoc>('journey_versions');
    this.#keys = db.collection<KeyDoc>('activation_keys');
  }

  async ensureIndexes(): Promise<void> {
    await this.#journeys.createIndex({ spaceId: 1, name: 1 }, { unique: true, name: 'journeys_space_name' });
    await this.#versions.createIndex({ spaceId: 1, journeyId: 1, version: 1 }, { name: 'journey_versions_journey' });
    await this.#versions.createIndex({ state: 1 }, { name: 'journey_versions_state' });
    await this.#keys.createIndex({ journeyId: 1 }, { name: 'activation_keys_journey' });
  }

  async insert(journey: JourneyRecord): Promise<'ok' | 'conflict'> {
    try {
      await this.#journeys.insertOne(toDoc(journey));
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'conflict';
      throw error;
    }
  }

  async update(journey: JourneyRecord, expectedRev: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    const { _id, ...fields } = toDoc(journey);
    return updateNamed(this.#journeys, this.#cas, { _id, spaceId: journey.spaceId, rev: expectedRev }, fields);
  }

  async get(spaceId: string, id: string): Promise<JourneyRecord | null> {
    const doc = await this.#journeys.findOne({ _id: id, spaceId });
    return doc ? fromDoc(doc) : null;
  }

  async list(spaceId: string, options: { status?: JourneyStatus }): Promise<JourneyRecord[]> {
    const filter = options.status ? { spaceId, status: options.status } : { spaceId };
    const docs = await this.#journeys.find(filter).sort({ name: 1 }).toArray();
    return docs.map(fromDoc);
  }

  async delete(spaceId: string, id: string): Promise<boolean> {
    // Versions and keys go first, the journey last: a crash in between leaves the journey in
    // place (the caller sees it and deleting again finishes), never keys or active versions
    // of a journey that no longer exists, which nothing would ever clean up (orphaned keys
    // would block those keys in the space for good; orphaned versions would reach the runtime).
    await this.#versions.deleteMany({ spaceId, journeyId: id });
    await this.#keys.deleteMany({ spaceId, journeyId: id });
    return (await this.#journeys.deleteOne({ _id: id, spaceId })).deletedCount === 1;
  }

  async putVersion(version: JourneyVersionRecord): Promise<void> {
    // The space in the filter: a version id taken in another space is never overwritten (the upsert's insert then fails instead).
    try {
      await this.#versions.replaceOne({ _id: versionId(version.journeyId, version.version), spaceId: version.spaceId }, {
        spaceId: version.spaceId, journeyId: version.journeyId,
        version: version.version, definition: toJson(version.definition), state: version.state, publishedAt: version.publishedAt,
      }, { upsert: true });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async getVersion(spaceId: string, journeyId: string, version: number): Promise<JourneyVersionRecord | null> {
    const doc = await this.#versions.findOne({ _id: versionId(journeyId, version), spaceId });
    return doc ? fromVersionDoc(doc) : null;
  }

  async listVersions(spaceId: string, journeyId: string): Promise<JourneyVersionRecord[]> {
    const docs = await this.#versions.find({ spaceId, journeyId }).sort({ version: 1 }).toArray();
    return docs.map(fromVersionDoc);
  }

  async setVersionState(spaceId: string, journeyId: string, version: number, state: VersionState): Promise<void> {
    await this.#versions.updateOne({ _id: versionId(journeyId, version), spaceId }, { $set: { state } });
  }

  async listActiveVersions(): Promise<JourneyVersionRecord[]> {
    const docs = await this.#versions.find({ state: { $ne: 'retired' } }).toArray();
    return docs.map(fromVersionDoc);
  }

  claimActivationKeys(spaceId: string, journeyId: string, keys: string[]): Promise<string[]> {
    return this.#claims.run(spaceId, () => this.#claim(spaceId, journeyId, keys));
  }

  /** Inserts the keys, reads the holders of those refused, and gives everything back when any is taken. */
  async #claim(spaceId: string, journeyId: string, keys: string[]): Promise<string[]> {
    const wanted = [...new Set(keys)];
    const taken = new Set<string>();
    const claimedNow: string[] = [];
    let pending = wanted;
    for (let round = 0; round < CLAIM_ROUNDS && pending.length > 0; round += 1) {
      const refused = await this.#insertKeys(spaceId, journeyId, pending);
      claimedNow.push(...pending.filter((key) => !refused.has(key)).map((key) => keyId(spaceId, key)));
      if (refused.size === 0) break;
      const holders = await this.#keys.find({ _id: { $in: [...refused].map((key) => keyId(spaceId, key)) } }).toArray();
      const holderOf = new Map(holders.map((doc) => [doc.key, doc.journeyId]));
      for (const key of refused) {
        const holder = holderOf.get(key);
        if (holder !== undefined && holder !== journeyId) taken.add(key);
      }
      // A key whose holder vanished between the insert and the read (its journey was deleted)
      // is free again: claim it in the next round.
      pending = [...refused].filter((key) => !holderOf.has(key));
      if (round === CLAIM_ROUNDS - 1) for (const key of pending) taken.add(key);
    }
    if (taken.size > 0 && claimedNow.length > 0) {
      // All or nothing: a refused save holds none of its keys, so give back what this call took.
      // A crash before this leaves keys held by this journey, which its next save claims again
      // and its deletion frees.
      await this.#keys.deleteMany({ _id: { $in: claimedNow }, journeyId });
    }
    return wanted.filter((key) => taken.has(key));
  }

  /** Inserts a key document per key in one round trip; answers the keys refused as duplicates. */
  async #insertKeys(spaceId: string, journeyId: string, keys: string[]): Promise<Set<string>> {
    try {
      await this.#keys.insertMany(keys.map((key) => ({ _id: keyId(spaceId, key), spaceId, key, journeyId })), { ordered: false });
      return new Set();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return new Set(duplicateIndexes(error, keys.length).map((i) => keys[i]).filter((key): key is string => key !== undefined));
    }
  }
}

/**
 * The positions of the inserts a bulk write refused; every position when the error does not say
 * (the holders read afterwards then tell which keys were really taken).
 */
function duplicateIndexes(error: unknown, count: number): number[] {
  const { writeErrors } = error as { writeErrors?: unknown };
  const indexes = Array.isArray(writeErrors) ? writeErrors.map((w: { index?: unknown }) => w.index) : [];
  return indexes.every((i) => typeof i === 'number') && indexes.length > 0
    ? indexes as number[]
    : Array.from({ length: count }, (_, i) => i);
}

function versionId(journeyId: string, version: number): string {
  return `${journeyId}\u0000${version}`;
}

function keyId(spaceId: string, key: string): string {
  return `${spaceId}\u0000${key}`;
}

function toDoc(j: JourneyRecord): JourneyDoc {
  return {
    _id: j.id, spaceId: j.spaceId, name: j.name, description: j.description, status: j.status,
    draft: j.draft === null ? null : toJson(j.draft), draftVersion: j.draftVersion, liveVersion: j.liveVersion,
    ...(j.retiring !== undefined ? { retiring: j.retiring } : {}),
    createdAt: j.createdAt, updatedAt: j.updatedAt, rev: j.rev,
  };
}

function fromDoc(d: JourneyDoc): JourneyRecord {
  return {
    id: d._id, spaceId: d.spaceId, name: d.name, description: d.description, status: d.status,
    draft: d.draft === null ? null : fromJson<JourneyDefinition>(d.draft), draftVersion: d.draftVersion, liveVersion: d.liveVersion,
    ...(d.retiring !== undefined ? { retiring: d.retiring } : {}),
    createdAt: d.createdAt, updatedAt: d.updatedAt, rev: d.rev,
  };
}

function fromVersionDoc(d: VersionDoc): JourneyVersionRecord {
  return {
    spaceId: d.spaceId, journeyId: d.journeyId, version: d.version,
    definition: fromJson<JourneyDefinition>(d.definition), state: d.state, publishedAt: d.publishedAt,
  };
}
