import type { Collection, Db } from 'mongodb';
import type { LeaseStore } from '../lease-store.ts';
import { isDuplicateKey, KeyedMutex } from './mongo-support.ts';

interface LeaseTermDoc { _id: string; name: string; term: number; owner: string; until: number }

/** Terms kept behind the current one (older ones are deleted when a new term is taken). */
const KEPT_TERMS = 5;

/**
 * MongoDB adapter of LeaseStore. A lease is a series of terms, one document each
 * (`<name>#<term>`). Taking a free or expired lease and renewing one's own both insert the next
 * term, so the unique `_id` decides between processes racing for it: an insert is atomic even
 * where a conditional update is not (FerretDB applies those as a read then a write).
 *
 * Why a renewal inserts too: a renewal that updated its own term could be asked just before the
 * term expired and land just after another process, having read it as expired, inserted the next
 * one; both would then answer true and two processes would process at once.
 */
export class MongoLeaseStore implements LeaseStore {
  readonly #terms: Collection<LeaseTermDoc>;
  /** One claim at a time per lease within this process (see KeyedMutex). */
  readonly #claims = new KeyedMutex();

  constructor(db: Db) {
    this.#terms = db.collection<LeaseTermDoc>('leases');
  }

  async ensureIndexes(): Promise<void> {
    // The current term of a lease: its highest.
    await this.#terms.createIndex({ name: 1, term: -1 });
  }

  acquire(name: string, owner: string, now: number, until: number): Promise<boolean> {
    return this.#claims.run(name, async () => {
      const current = await this.#current(name);
      if (current && current.until > now && current.owner !== owner) return false;
      const term = (current?.term ?? 0) + 1;
      try {
        await this.#terms.insertOne({ _id: `${name}#${term}`, name, term, owner, until });
      } catch (error) {
        // Another process took this term first.
        if (isDuplicateKey(error)) return false;
        throw error;
      }
      await this.#terms.deleteMany({ name, term: { $lt: term - KEPT_TERMS } });
      return true;
    });
  }

  release(name: string, owner: string): Promise<void> {
    return this.#claims.run(name, async () => {
      const current = await this.#current(name);
      if (current?.owner === owner) await this.#terms.updateOne({ _id: current._id, owner }, { $set: { until: 0 } });
    });
  }

  #current(name: string): Promise<LeaseTermDoc | null> {
    // findOne closes its cursor at once (a cursor left open holds one of FerretDB's connections).
    return this.#terms.findOne({ name }, { sort: { term: -1 } });
  }
}
