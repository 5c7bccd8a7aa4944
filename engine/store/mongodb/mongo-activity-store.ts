import type { Collection, Db, Filter } from 'mongodb';
import type { ActivityQuery, ActivityRecord, ActivityStore, ActivityType } from '../activity-store.ts';
import { fromJson, isDuplicateKey, toJson, createIndexesOneByOne } from './mongo-support.ts';
import { activityCounters } from '../journey-counters.ts';
import type { MongoFigureStore } from './mongo-figure-store.ts';

/** One activity record: the filtered and sorted fields top-level, the rest as JSON text. */
interface ActivityDoc {
  _id: string;
  spaceId: string;
  journeyId: string;
  instanceId: string | null;
  profileId: string;
  type: ActivityType;
  stepId: string | null;
  at: string;
  /** version, eventId, reason and data. */
  body: string;
}

interface ActivityBody {
  version: number;
  eventId: string | null;
  reason: string | null;
  data: Record<string, unknown> | null;
}

function docOf(a: ActivityRecord): ActivityDoc {
  const body: ActivityBody = { version: a.version, eventId: a.eventId, reason: a.reason, data: a.data };
  return {
    _id: a.id, spaceId: a.spaceId, journeyId: a.journeyId, instanceId: a.instanceId, profileId: a.profileId,
    type: a.type, stepId: a.stepId, at: a.at, body: toJson(body),
  };
}

function parse(doc: ActivityDoc): ActivityRecord {
  const body = fromJson<ActivityBody>(doc.body);
  return {
    id: doc._id, spaceId: doc.spaceId, journeyId: doc.journeyId, version: body.version, instanceId: doc.instanceId,
    profileId: doc.profileId, type: doc.type, stepId: doc.stepId, eventId: body.eventId, at: doc.at,
    reason: body.reason, data: body.data,
  };
}

/** The index a query reads (the most selective filter's), named so the server never guesses a full scan. */
function indexFor(q: ActivityQuery): string {
  if (q.instanceId !== undefined) return 'space_instance_at_id';
  if (q.profileIds !== undefined) return 'space_profile_journey_at_id';
  if (q.stepId !== undefined) return 'space_journey_step_at_id';
  if (q.type !== undefined) return 'space_journey_type_at_id';
  return 'space_journey_at_id';
}

/**
 * MongoDB adapter of ActivityStore: append-only, one document per record keyed by its id.
 * Appending applies the records' counter changes once per batch (see MongoFigureStore).
 */
export class MongoActivityStore implements ActivityStore {
  readonly #activities: Collection<ActivityDoc>;
  readonly #figures: MongoFigureStore;

  constructor(db: Db, figures: MongoFigureStore) {
    this.#activities = db.collection<ActivityDoc>('activities');
    this.#figures = figures;
  }

  /** Creates one index per filter of a journey's log, each ending in (at, _id), and the instance and profile ones. */
  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#activities, [
      { key: { spaceId: 1, journeyId: 1, at: 1, _id: 1 }, name: 'space_journey_at_id' },
      { key: { spaceId: 1, journeyId: 1, type: 1, at: 1, _id: 1 }, name: 'space_journey_type_at_id' },
      { key: { spaceId: 1, journeyId: 1, stepId: 1, at: 1, _id: 1 }, name: 'space_journey_step_at_id' },
      { key: { spaceId: 1, profileId: 1, journeyId: 1, at: 1, _id: 1 }, name: 'space_profile_journey_at_id' },
      { key: { spaceId: 1, instanceId: 1, at: 1, _id: 1 }, name: 'space_instance_at_id' },
    ]);
  }

  async append(records: ActivityRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      // Unordered: a record stored already (a replayed outbox) fails alone, the others are inserted.
      await this.#activities.insertMany(records.map(docOf), { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    // After the records: a crash in between replays the outbox, and the batch id (stable across
    // replays of the same records) lets each counter document take the batch once.
    await this.#figures.apply(`${records[0]!.id}+${records.length}+${records[records.length - 1]!.id}`, records.flatMap(activityCounters));
  }

  async list(spaceId: string, journeyId: string, q: ActivityQuery): Promise<ActivityRecord[]> {
    if (q.limit <= 0 || (q.profileIds !== undefined && q.profileIds.length === 0)) return [];
    const filter: Filter<ActivityDoc> = { spaceId, journeyId };
    if (q.instanceId !== undefined) filter.instanceId = q.instanceId;
    if (q.profileIds !== undefined) filter.profileId = { $in: [...q.profileIds] };
    if (q.type !== undefined) filter.type = q.type;
    if (q.stepId !== undefined) filter.stepId = q.stepId;
    if (q.from !== undefined || q.to !== undefined) {
      const range: { $gte?: string; $lt?: string } = {};
      if (q.from !== undefined) range.$gte = q.from;
      if (q.to !== undefined) range.$lt = q.to;
      filter.at = range;
    }
    const desc = q.order === 'desc';
    if (q.after) {
      const past = desc ? '$lt' : '$gt';
      filter.$or = [{ at: { [past]: q.after.at } }, { at: q.after.at, _id: { [past]: q.after.id } }];
    }
    const direction = desc ? -1 : 1;
    const docs = await this.#activities.find(filter).hint(indexFor(q)).sort({ at: direction, _id: direction }).limit(q.limit).toArray();
    return docs.map(parse);
  }

  async purgeBefore(beforeId: string, limit: number): Promise<number> {
    const ids = await this.#activities.find({ _id: { $lt: beforeId } }, { projection: { _id: 1 } }).limit(limit).toArray();
    if (ids.length === 0) return 0;
    return (await this.#activities.deleteMany({ _id: { $in: ids.map((d) => d._id) } })).deletedCount;
  }
}
