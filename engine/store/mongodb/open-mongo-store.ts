import { MongoClient, type Db } from 'mongodb';
import type { Store } from '../store.ts';
import { MongoSpaceStore } from './mongo-space-store.ts';
import { MongoEventStore } from './mongo-event-store.ts';
import { MongoProfileStore } from './mongo-profile-store.ts';
import { MongoAudienceStore } from './mongo-audience-store.ts';
import { MongoCatalogStore } from './mongo-catalog-store.ts';
import { MongoJourneyStore } from './mongo-journey-store.ts';
import { MongoInstanceStore } from './mongo-instance-store.ts';
import { MongoActivityStore } from './mongo-activity-store.ts';
import { MongoDeliveryStore } from './mongo-delivery-store.ts';
import { MongoDestinationStore } from './mongo-destination-store.ts';
import { MongoFunctionStore } from './mongo-function-store.ts';
import { MongoLeaseStore } from './mongo-lease-store.ts';
import { MongoFigureStore } from './mongo-figure-store.ts';
import { isTransientMongoError } from './is-transient-error.ts';

/** Options of the MongoDB store. */
export interface MongoStoreOptions {
  uri: string;
  /** The database; the one named in the URI by default, else `journey_engine`. */
  dbName?: string;
}

/** The database name used when the URI names none. */
export const DEFAULT_MONGO_DB = 'journey_engine';

/**
 * Opens the MongoDB store: connects, creates every index the stores rely on, and answers the store
 * plus the database (for Agenda's jobs collection).
 *
 * Writes use `w: "majority", j: true`: an acknowledged write is in the journal of a majority of
 * the replica set, so it survives the loss of the primary (an acknowledged event is never lost
 * in a failover). Reads use `readConcern: "majority"` from the primary, so nothing read can be
 * rolled back later. On a standalone server both degrade to the single node's journal.
 */
export async function openMongoStorage(options: MongoStoreOptions): Promise<{ store: Store; db: Db; client: MongoClient }> {
  const client = new MongoClient(options.uri, {
    writeConcern: { w: 'majority', journal: true },
    readConcern: { level: 'majority' },
    readPreference: 'primary',
    retryWrites: true,
    retryReads: true,
  });
  await client.connect();
  const db = client.db(options.dbName ?? (dbNameOf(options.uri) || DEFAULT_MONGO_DB));
  // Activities and deliveries move the journey counters as they are written.
  const figures = new MongoFigureStore(db);
  const parts = {
    spaces: new MongoSpaceStore(db),
    events: new MongoEventStore(db),
    profiles: new MongoProfileStore(db),
    audiences: new MongoAudienceStore(db),
    catalog: new MongoCatalogStore(db),
    journeys: new MongoJourneyStore(db),
    instances: new MongoInstanceStore(db),
    activities: new MongoActivityStore(db, figures),
    deliveries: new MongoDeliveryStore(db, figures),
    figures,
    destinations: new MongoDestinationStore(db),
    functions: new MongoFunctionStore(db),
    leases: new MongoLeaseStore(db),
  };
  try {
    for (const part of Object.values(parts)) await part.ensureIndexes();
  } catch (error) {
    await client.close();
    throw error;
  }
  let closed = false;
  const store: Store = {
    kind: 'mongodb',
    ...parts,
    isTransientError: isTransientMongoError,
    // Every write is acknowledged with w: majority and j: true: durable when it resolves.
    async durable() {},
    durabilityMark: () => 0,
    async ping() {
      // The driver would connect again for a command on a closed client.
      if (closed) throw new Error('the store is closed');
      await db.command({ ping: 1 });
    },
    async close() {
      closed = true;
      await client.close();
    },
  };
  return { store, db, client };
}

/** Opens the MongoDB store (see openMongoStorage). */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  return (await openMongoStorage(options)).store;
}

/** The database named in a connection string's path, if any. */
function dbNameOf(uri: string): string | null {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}
