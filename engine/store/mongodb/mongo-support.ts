import {
  MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Document, type Filter, type IndexDescription,
  type MatchKeysAndValues, type OptionalUnlessRequiredId,
} from 'mongodb';

/** Whether a MongoDB driver error is a unique-index violation (E11000), for one write or a bulk write. */
export function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; writeErrors?: unknown };
  if (e.code === 11000) return true;
  return Array.isArray(e.writeErrors) && e.writeErrors.length > 0 && e.writeErrors.every((w: { code?: unknown }) => w.code === 11000);
}

/**
 * User-shaped data (messages, traits, definitions, settings, payloads) is stored as JSON text,
 * never as nested documents: its keys may hold dots or start with `$`, which MongoDB-compatible
 * servers reject or cannot query, and the engine never queries inside it.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Parses a JSON text field written by `toJson`. */
export function fromJson<T>(text: unknown): T {
  if (typeof text !== 'string') throw new Error(`stored JSON field is not a string: ${typeof text}`);
  return JSON.parse(text) as T;
}

/** A stored document without MongoDB's `_id`, for stores that keep the record's own id as well. */
export function withoutId<T extends Document>(doc: T): Omit<T, '_id'> {
  const { _id: _ignored, ...rest } = doc;
  return rest;
}

/**
 * Runs tasks one at a time per key, within this process. FerretDB (the test server) applies a
 * conditional update as a read then a write, so two concurrent compare-and-sets on one document
 * can both succeed; serializing them per store object keeps one process's own writes exact there.
 * Across processes, MongoDB's single-document updates are atomic, and the processing lease keeps
 * the engine's writers on one process (see engine/processing/processing-lease.ts).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(() => undefined, () => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/**
 * Whether an error is a unique-index violation, including the one an UPDATE hits: FerretDB v1
 * reports that as InternalError (code 1) "UNIQUE constraint failed" rather than E11000.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (isDuplicateKey(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown };
  return e.code === 1 && typeof e.message === 'string' && e.message.includes('UNIQUE constraint failed');
}

/**
 * Inserts documents unordered, so that one refused by a unique index does not hold back the
 * rest; answers the positions (in `docs`) that were refused. Any other failure is thrown.
 */
export async function insertUnordered<T extends Document>(collection: Collection<T>, docs: OptionalUnlessRequiredId<T>[]): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await collection.insertMany(docs, { ordered: false });
    return new Set();
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    const failures = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (failures.length === 0 || failures.some((w) => w.code !== 11000)) throw error;
    return new Set(failures.map((w) => w.index));
  }
}

/**
 * Creates indexes one `createIndex` call each. FerretDB v1 drops the connection when one
 * `createIndexes` command lists several indexes that all exist already (every start after the
 * first), so the batch form cannot be used.
 */
export async function createIndexesOneByOne<T extends Document>(collection: Collection<T>, specs: IndexDescription[]): Promise<void> {
  for (const { key, ...options } of specs) await collection.createIndex(key, options);
}

/** Most statements per bulk write: FerretDB v1 never answers an `update` command of 100 or more. */
export const MAX_BULK_OPS = 50;

/**
 * Runs writes as unordered bulk writes of at most MAX_BULK_OPS each. Answers how many landed
 * (inserted, or matched by their filter) and how many a unique index refused; other failures are
 * thrown.
 */
export async function bulkWriteInChunks<T extends Document>(collection: Collection<T>, ops: AnyBulkWriteOperation<T>[]): Promise<{ landed: number; refused: number }> {
  let landed = 0;
  let refused = 0;
  for (let start = 0; start < ops.length; start += MAX_BULK_OPS) {
    try {
      const result = await collection.bulkWrite(ops.slice(start, start + MAX_BULK_OPS), { ordered: false });
      landed += result.insertedCount + result.matchedCount;
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError) || !isDuplicateKey(error)) throw error;
      landed += error.result.insertedCount + error.result.matchedCount;
      refused += Array.isArray(error.writeErrors) ? error.writeErrors.length : 1;
    }
  }
  return { landed, refused };
}

/**
 * Compare-and-set of a record whose name is unique per space (journeys, audiences, destinations,
 * functions): sets `fields` if the document still matches `filter` (its id and expected
 * version). `conflict` when the new name is taken, `version_conflict` when the record changed.
 */
export function updateNamed<T extends Document & { _id: string }>(
  collection: Collection<T>, locks: KeyedMutex, filter: Filter<T> & { _id: string }, fields: MatchKeysAndValues<T>,
): Promise<'ok' | 'conflict' | 'version_conflict'> {
  return locks.run(filter._id, async () => {
    try {
      const result = await collection.updateOne(filter, { $set: fields });
      return result.matchedCount === 1 ? 'ok' : 'version_conflict';
    } catch (error) {
      if (isUniqueViolation(error)) return 'conflict';
      throw error;
    }
  });
}
