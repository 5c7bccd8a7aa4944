import type { Collection, Db, Filter } from 'mongodb';
import type { ActivityQuery, ActivityRecord, ActivityStore, ActivityType } from '../activity-store.ts';
import { fromJson, isDuplicateKey, toJson, createIndexesOneByOne } from './mongo-support.ts';

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

/** MongoDB adapter of ActivityStore: append-only, one document per record keyed by its id. */
export class MongoActivityStore implements ActivityStore {
  readonly #activities: Collection<ActivityDoc>;

  constructor(db: Db) {
    this.#activities = db.collection<ActivityDoc>('activities');
  }

  /** Creates the indexes a journey's log and an instance's log are read through, in time order. */
  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#activities, [
      { key: { spaceId: 1, journeyId: 1, at: 1, _id: 1 }, name: 'space_journey_at_id' },
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
  }

  async list(spaceId: string, journeyId: string, q: ActivityQuery): Promise<ActivityRecord[]> {
    if (q.limit <= 0) return [];
    const filter: Filter<ActivityDoc> = { spaceId, journeyId };
    if (q.instanceId !== undefined) filter.instanceId = q.instanceId;
    if (q.profileId !== undefined) filter.profileId = q.profileId;
    if (q.type !== undefined) filter.type = q.type;
    if (q.stepId !== undefined) filter.stepId = q.stepId;
    if (q.from !== undefined || q.to !== undefined) {
      const range: { $gte?: string; $lt?: string } = {};
      if (q.from !== undefined) range.$gte = q.from;
      if (q.to !== undefined) range.$lt = q.to;
      filter.at = range;
    }
    if (q.after) {
      // The cursor is the last record read: the page goes on after its (time, id).
      const cursor = await this.#activities.findOne({ _id: q.after, spaceId, journeyId }, { projection: { at: 1 } });
      if (!cursor) return [];
      filter.$or = [{ at: { $gt: cursor.at } }, { at: cursor.at, _id: { $gt: q.after } }];
    }
    const docs = await this.#activities.find(filter).sort({ at: 1, _id: 1 }).limit(q.limit).toArray();
    return docs.map(parse);
  }
}
