import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import type { CatalogEntry, CatalogStore } from '../catalog-store.ts';
import { mergeCatalogEntry } from '../../catalog/merge-catalog-entry.ts';
import { bulkWriteInChunks, createIndexesOneByOne, KeyedMutex } from './mongo-support.ts';

/** One event name of a space; `_id` is `space \0 name`. `rev` counts writes, for compare-and-set. */
interface CatalogDoc {
  _id: string; spaceId: string; name: string;
  /** Sorted, deduped and capped as mergeCatalogEntry leaves them (values, so dots are fine). */
  propertyKeys: string[];
  firstSeenAt: string; lastSeenAt: string;
  rev: number;
}

/** Rounds before record gives up (each extra round needs a concurrent writer of the same entry). */
const MAX_ATTEMPTS = 16;

function catalogId(spaceId: string, name: string): string {
  return `${spaceId}\u0000${name}`;
}

function toEntry(doc: CatalogDoc): CatalogEntry {
  return { spaceId: doc.spaceId, name: doc.name, propertyKeys: doc.propertyKeys, firstSeenAt: doc.firstSeenAt, lastSeenAt: doc.lastSeenAt };
}

function sameEntry(a: CatalogEntry, b: CatalogEntry): boolean {
  return a.firstSeenAt === b.firstSeenAt && a.lastSeenAt === b.lastSeenAt
    && a.propertyKeys.length === b.propertyKeys.length && a.propertyKeys.every((k, i) => k === b.propertyKeys[i]);
}

/**
 * MongoDB adapter of CatalogStore. Each entry is read, merged with mergeCatalogEntry and written
 * back by compare-and-set on `rev` (retrying on a lost race), so concurrent records from several
 * processes never drop each other's keys and the stored entry is exactly mergeCatalogEntry's.
 */
export class MongoCatalogStore implements CatalogStore {
  readonly #catalog: Collection<CatalogDoc>;
  /** FerretDB applies a conditional update as read-then-write: this process's records go one at a time. */
  readonly #lock = new KeyedMutex();

  constructor(db: Db) {
    this.#catalog = db.collection<CatalogDoc>('catalog');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#catalog, [{ key: { spaceId: 1, name: 1 }, name: 'catalog_space' }]);
  }

  async record(entries: CatalogEntry[]): Promise<void> {
    // Sightings of one name are merged here first; a first sighting goes through the merge too,
    // so its keys are sorted, deduped and capped.
    const sightings = new Map<string, CatalogEntry>();
    for (const entry of entries) {
      const id = catalogId(entry.spaceId, entry.name);
      sightings.set(id, mergeCatalogEntry(sightings.get(id) ?? entry, entry));
    }
    if (sightings.size === 0) return;
    await this.#lock.run('record', () => this.#merge(sightings));
  }

  async list(spaceId: string): Promise<CatalogEntry[]> {
    return (await this.#catalog.find({ spaceId }).sort({ name: 1 }).toArray()).map(toEntry);
  }

  async get(spaceId: string, name: string): Promise<CatalogEntry | null> {
    const doc = await this.#catalog.findOne({ _id: catalogId(spaceId, name) });
    return doc ? toEntry(doc) : null;
  }

  /**
   * Each round reads the entries, drops the sightings they already cover, and writes the rest in
   * one unordered bulk: inserts of new names (a concurrent first insert wins the unique `_id`) and
   * compare-and-sets on `rev`. Merging is idempotent and only ever grows an entry, so "covered"
   * after a round means our sighting is in, whoever wrote it; the rest go round again.
   */
  async #merge(sightings: Map<string, CatalogEntry>): Promise<void> {
    let open = sightings;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.#catalog.find({ _id: { $in: [...open.keys()] } }).toArray();
      const storedById = new Map(stored.map((doc) => [doc._id, doc] as const));
      const ops: AnyBulkWriteOperation<CatalogDoc>[] = [];
      const next = new Map<string, CatalogEntry>();
      for (const [id, sighting] of open) {
        const doc = storedById.get(id);
        if (!doc) {
          ops.push({ insertOne: { document: { _id: id, ...sighting, rev: 1 } } });
        } else {
          const before = toEntry(doc);
          const merged = mergeCatalogEntry(before, sighting);
          if (sameEntry(merged, before)) continue;
          ops.push({ updateOne: {
            filter: { _id: id, rev: doc.rev },
            update: { $set: { propertyKeys: merged.propertyKeys, firstSeenAt: merged.firstSeenAt, lastSeenAt: merged.lastSeenAt }, $inc: { rev: 1 } },
          } });
        }
        next.set(id, sighting);
      }
      if (ops.length === 0) return;
      // Every insert and compare-and-set landed: done. Else the next round sees what did.
      if ((await bulkWriteInChunks(this.#catalog, ops)).landed === ops.length) return;
      open = next;
    }
    throw new Error(`catalog entries kept changing while being recorded: ${[...open.keys()].join(', ')}`);
  }
}
