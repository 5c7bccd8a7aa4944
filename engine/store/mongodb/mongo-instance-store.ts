import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import type { InstanceInsertResult, JourneyEntries, InstanceRecord, InstanceStatus, InstanceStore, OutboxEntry } from '../instance-store.ts';
import { fromJson, isDuplicateKey, toJson, createIndexesOneByOne, KeyedMutex } from './mongo-support.ts';

/**
 * One instance. `body` is the record without its outbox (JSON text); the other fields are copies
 * of what is queried, sorted or kept unique. `activeKey`, `wakeAt` and `hasOutbox` exist only
 * while they apply (never null): their indexes are sparse, and FerretDB has no partial indexes.
 */
interface InstanceDoc {
  _id: string;
  spaceId: string;
  journeyId: string;
  version: number;
  profileId: string;
  status: InstanceStatus;
  /** `space \0 journey \0 profile \0 identifier`, only while active: unique among active instances. */
  activeKey?: string;
  /** The timer, only while active and set. */
  wakeAt?: number;
  /** Present (true) while the outbox of the current revision is not materialized. */
  hasOutbox?: true;
  outbox?: string;
  rev: number;
  body: string;
}

/** The unique key of an active instance (identifier null and '' are the same session, as in SQLite). */
function activeKeyOf(i: InstanceRecord): string {
  return `${i.spaceId}\u0000${i.journeyId}\u0000${i.profileId}\u0000${i.identifier ?? ''}`;
}

/** The record without its outbox, as JSON text. */
function bodyOf(i: InstanceRecord): string {
  const { outbox: _separate, ...rest } = i;
  return toJson(rest);
}

/** The optional fields of a document for this record: what to set and what to unset. */
function optionalFields(i: InstanceRecord): { set: Partial<InstanceDoc>; unset: Array<'activeKey' | 'wakeAt' | 'hasOutbox' | 'outbox'> } {
  const set: Partial<InstanceDoc> = {};
  const unset: Array<'activeKey' | 'wakeAt' | 'hasOutbox' | 'outbox'> = [];
  const active = i.status === 'active';
  if (active) set.activeKey = activeKeyOf(i);
  else unset.push('activeKey');
  if (active && i.wakeAt !== null) set.wakeAt = i.wakeAt;
  else unset.push('wakeAt');
  if (i.outbox.length > 0) {
    set.hasOutbox = true;
    set.outbox = toJson(i.outbox);
  } else {
    unset.push('hasOutbox', 'outbox');
  }
  return { set, unset };
}

function parse(doc: InstanceDoc): InstanceRecord {
  const instance = fromJson<InstanceRecord>(doc.body);
  instance.outbox = doc.outbox === undefined ? [] : fromJson<OutboxEntry[]>(doc.outbox);
  return instance;
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * MongoDB adapter of InstanceStore: one document per instance, every change a compare-and-set
 * on `rev`. Without multi-document transactions the outbox is stored on the instance and the
 * caller (InstanceWriter) materializes it, then marks it done: a crash in between leaves it on
 * the instance, where `withOutbox` finds it and materializing it again is harmless.
 */
export class MongoInstanceStore implements InstanceStore {
  readonly appliesOutboxAtomically = false;
  readonly #instances: Collection<InstanceDoc>;
  /** FerretDB applies a conditional update as read-then-write: compare-and-sets on one instance go one at a time here. */
  readonly #locks = new KeyedMutex();

  constructor(db: Db) {
    this.#instances = db.collection<InstanceDoc>('instances');
  }

  /** Creates the indexes the queries and the one-active-instance rule rely on. */
  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#instances, [
      { key: { activeKey: 1 }, name: 'active_key', unique: true, sparse: true },
      { key: { wakeAt: 1 }, name: 'wake_at', sparse: true },
      { key: { hasOutbox: 1 }, name: 'has_outbox', sparse: true },
      { key: { spaceId: 1, journeyId: 1, _id: 1 }, name: 'space_journey_id' },
      { key: { spaceId: 1, journeyId: 1, profileId: 1, status: 1 }, name: 'space_journey_profile_status' },
      { key: { spaceId: 1, profileId: 1, status: 1 }, name: 'space_profile_status' },
    ]);
  }

  async insert(i: InstanceRecord): Promise<InstanceInsertResult> {
    const { set } = optionalFields(i);
    const doc: InstanceDoc = {
      _id: i.id, spaceId: i.spaceId, journeyId: i.journeyId, version: i.version, profileId: i.profileId,
      status: i.status, rev: i.rev, body: bodyOf(i), ...set,
    };
    try {
      await this.#instances.insertOne(doc);
      return 'ok';
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // The error does not say which index (FerretDB names neither): the id wins, as in SQLite.
      const existing = await this.#instances.findOne({ _id: i.id }, { projection: { _id: 1 } });
      return existing ? 'exists' : 'active_conflict';
    }
  }

  async get(spaceId: string, id: string): Promise<InstanceRecord | null> {
    const doc = await this.#instances.findOne({ _id: id, spaceId });
    return doc ? parse(doc) : null;
  }

  /**
   * Compare-and-set on `rev`. Identity fields (journey, version, profile, identifier) are kept
   * as inserted, as in SQLite. An update that would make a second active instance of the same
   * key violates the unique index and rejects, changing nothing.
   */
  async update(i: InstanceRecord, expectedRev: number): Promise<'ok' | 'version_conflict'> {
    const { set, unset } = optionalFields(i);
    const update: UpdateFilter<InstanceDoc> = { $set: { ...set, status: i.status, rev: i.rev, body: bodyOf(i) } };
    if (unset.length > 0) update.$unset = Object.fromEntries(unset.map((f) => [f, ''])) as UpdateFilter<InstanceDoc>['$unset'];
    const result = await this.#locks.run(i.id, () => this.#instances.updateOne({ _id: i.id, spaceId: i.spaceId, rev: expectedRev }, update));
    return result.matchedCount === 1 ? 'ok' : 'version_conflict';
  }

  async markOutboxDone(spaceId: string, id: string, rev: number): Promise<void> {
    // Only this revision's outbox: a newer revision carries its own, not yet materialized.
    await this.#locks.run(id, () => this.#instances.updateOne({ _id: id, spaceId, rev }, { $unset: { hasOutbox: '', outbox: '' } }));
  }

  async activeForProfiles(spaceId: string, profileIds: string[]): Promise<InstanceRecord[]> {
    if (profileIds.length === 0) return [];
    const docs = await this.#instances.find({ spaceId, profileId: { $in: profileIds }, status: 'active' }).toArray();
    return docs.map(parse).sort(byId);
  }

  async activeRefsForProfiles(spaceId: string, profileIds: string[]): Promise<Array<{ id: string; journeyId: string; version: number }>> {
    if (profileIds.length === 0) return [];
    const docs = await this.#instances
      .find({ spaceId, profileId: { $in: profileIds }, status: 'active' }, { projection: { _id: 1, journeyId: 1, version: 1 } })
      .toArray();
    return docs.map((d) => ({ id: d._id, journeyId: d.journeyId, version: d.version })).sort(byId);
  }

  async entriesByJourney(spaceId: string, profileIds: readonly string[]): Promise<JourneyEntries[]> {
    if (profileIds.length === 0) return [];
    // Grouped here rather than with $group: FerretDB v1 has no $min/$max accumulators, and a
    // profile's instances are few enough to read as (id, journey) pairs.
    const groups = new Map<string, JourneyEntries>();
    const cursor = this.#instances.find({ spaceId, profileId: { $in: [...profileIds] } }, { projection: { _id: 1, journeyId: 1 } });
    for await (const doc of cursor) {
      const group = groups.get(doc.journeyId);
      if (!group) groups.set(doc.journeyId, { journeyId: doc.journeyId, entries: 1, firstInstanceId: doc._id, lastInstanceId: doc._id });
      else {
        group.entries += 1;
        if (doc._id < group.firstInstanceId) group.firstInstanceId = doc._id;
        if (doc._id > group.lastInstanceId) group.lastInstanceId = doc._id;
      }
    }
    return [...groups.values()];
  }

  async hasEntered(spaceId: string, journeyId: string, profileId: string): Promise<boolean> {
    return (await this.#instances.findOne({ spaceId, journeyId, profileId }, { projection: { _id: 1 } })) !== null;
  }

  async countActive(spaceId: string, journeyId: string, profileId: string): Promise<number> {
    return this.#instances.countDocuments({ spaceId, journeyId, profileId, status: 'active' });
  }

  async due(now: number, limit: number): Promise<InstanceRecord[]> {
    // MongoDB reads limit 0 as "no limit".
    if (limit <= 0) return [];
    const docs = await this.#instances.find({ wakeAt: { $lte: now }, status: 'active' }).sort({ wakeAt: 1 }).limit(limit).toArray();
    return docs.map(parse);
  }

  async nextWakeAt(): Promise<number | null> {
    const [first] = await this.#instances
      .find({ wakeAt: { $exists: true }, status: 'active' }, { projection: { wakeAt: 1 } })
      .sort({ wakeAt: 1 }).limit(1).toArray();
    return first?.wakeAt ?? null;
  }

  async withOutbox(limit: number): Promise<InstanceRecord[]> {
    if (limit <= 0) return [];
    return (await this.#instances.find({ hasOutbox: true }).limit(limit).toArray()).map(parse);
  }

  async listByJourney(spaceId: string, journeyId: string, options: {
    profileIds?: string[]; status?: InstanceStatus; version?: number; after?: string | null; limit: number;
  }): Promise<InstanceRecord[]> {
    if (options.limit <= 0) return [];
    const filter: Filter<InstanceDoc> = { spaceId, journeyId, _id: { $gt: options.after ?? '' } };
    if (options.profileIds) {
      if (options.profileIds.length === 0) return [];
      filter.profileId = { $in: options.profileIds };
    }
    if (options.status !== undefined) filter.status = options.status;
    if (options.version !== undefined) filter.version = options.version;
    return (await this.#instances.find(filter).sort({ _id: 1 }).limit(options.limit).toArray()).map(parse);
  }
}
