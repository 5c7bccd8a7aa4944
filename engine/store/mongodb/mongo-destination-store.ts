import type { Collection, Db } from 'mongodb';
import type { DeliveryOptions, DestinationRecord, DestinationStore } from '../destination-store.ts';
import { fromJson, isDuplicateKey, KeyedMutex, toJson, updateNamed } from './mongo-support.ts';

/** A destination; settings are JSON text (user-shaped keys), delivery options a small engine-shaped document. */
interface DestinationDoc {
  _id: string;
  spaceId: string;
  name: string;
  plugin: string;
  settings: string;
  enabled: boolean;
  delivery: DeliveryOptions;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** MongoDB adapter of DestinationStore: one document per destination, the name unique per space. */
export class MongoDestinationStore implements DestinationStore {
  readonly #destinations: Collection<DestinationDoc>;
  /** Serializes this process's compare-and-sets per document (FerretDB's are not atomic; see KeyedMutex). */
  readonly #cas = new KeyedMutex();

  constructor(db: Db) {
    this.#destinations = db.collection<DestinationDoc>('destinations');
  }

  async ensureIndexes(): Promise<void> {
    await this.#destinations.createIndex({ spaceId: 1, name: 1 }, { unique: true, name: 'destinations_space_name' });
  }

  async insert(destination: DestinationRecord): Promise<'ok' | 'conflict'> {
    try {
      await this.#destinations.insertOne(toDoc(destination));
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'conflict';
      throw error;
    }
  }

  async get(spaceId: string, id: string): Promise<DestinationRecord | null> {
    const doc = await this.#destinations.findOne({ _id: id, spaceId });
    return doc ? fromDoc(doc) : null;
  }

  async list(spaceId: string): Promise<DestinationRecord[]> {
    const docs = await this.#destinations.find({ spaceId }).sort({ name: 1 }).toArray();
    return docs.map(fromDoc);
  }

  async update(destination: DestinationRecord, expectedVersion: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    const { _id, ...fields } = toDoc(destination);
    return updateNamed(this.#destinations, this.#cas, { _id, spaceId: destination.spaceId, version: expectedVersion }, fields);
  }

  async delete(spaceId: string, id: string): Promise<boolean> {
    return (await this.#destinations.deleteOne({ _id: id, spaceId })).deletedCount === 1;
  }
}

function toDoc(d: DestinationRecord): DestinationDoc {
  const { concurrency, ratePerSecond, timeoutMs, batchSize, batchWaitMs } = d.delivery;
  return {
    _id: d.id, spaceId: d.spaceId, name: d.name, plugin: d.plugin, settings: toJson(d.settings), enabled: d.enabled,
    delivery: { concurrency, ratePerSecond, timeoutMs, batchSize, batchWaitMs },
    createdAt: d.createdAt, updatedAt: d.updatedAt, version: d.version,
  };
}

function fromDoc(d: DestinationDoc): DestinationRecord {
  const { concurrency, ratePerSecond, timeoutMs, batchSize, batchWaitMs } = d.delivery;
  return {
    id: d._id, spaceId: d.spaceId, name: d.name, plugin: d.plugin, settings: fromJson<Record<string, unknown>>(d.settings),
    enabled: d.enabled, delivery: { concurrency, ratePerSecond, timeoutMs, batchSize, batchWaitMs },
    createdAt: d.createdAt, updatedAt: d.updatedAt, version: d.version,
  };
}
