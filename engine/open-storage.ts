import type { AgendaBackend } from 'agenda';
import type { EngineConfig } from './config.ts';
import type { Store } from './store/store.ts';
import type { Logger } from './logger.ts';
import { openSqliteStorage } from './store/sqlite/open-sqlite-store.ts';
import { SqliteAgendaBackend } from './scheduler/sqlite-agenda/sqlite-agenda-backend.ts';

/** Name of the collection that holds Agenda's jobs in MongoDB mode. */
export const MONGO_AGENDA_COLLECTION = 'agenda_jobs';

/** The store the configuration selects (MongoDB when MONGODB_URI is set), with Agenda's backend in the same database. */
export interface Storage {
  store: Store;
  agendaBackend: AgendaBackend;
}

/**
 * Opens the configured storage for one thread. `engine` is the HTTP thread, `processing` the
 * processing thread; each has its own connection.
 */
export async function openStorage(config: EngineConfig, role: 'engine' | 'processing', logger?: Logger): Promise<Storage> {
  if (config.mongodbUri) {
    // Loaded only in MongoDB mode: the driver costs ~25–30 MB of memory in each thread that imports it (measured).
    const [{ openMongoStorage }, { MongoBackend }] = await Promise.all([import('./store/mongodb/open-mongo-store.ts'), import('@agendajs/mongo-backend')]);
    const { store, db } = await openMongoStorage({ uri: config.mongodbUri });
    // Agenda shares the store's connection; the store closes it.
    return { store, agendaBackend: new MongoBackend({ mongo: db, collection: MONGO_AGENDA_COLLECTION }) };
  }
  const { store, db, writes, mmapBytes } = openSqliteStorage({
    dataDir: config.dataDir,
    synchronous: config.sqliteSynchronous,
    mmapBytes: config.sqliteMmapBytes,
    // A file is shared by the two threads: never let either sleep waiting for its lock.
    nonBlockingLock: config.dataDir !== ':memory:',
    // Short transactions on the processing thread keep the HTTP thread's writes to the main file (management calls) from waiting long behind ours.
    ...(role === 'processing' ? { maxWriteBatch: 2000 } : {}),
    // The processing thread does not wait for the disk inside its commits; it syncs before a send (store.durable()).
    // The HTTP thread's main-file writes (management calls) keep the fsync in COMMIT: their callers count on it.
    syncOffThread: role === 'processing',
    // The engine thread's connection owns the checkpoint thread; the processing thread's leaves checkpoints to it.
    checkpoints: role === 'engine' ? 'own-thread' : 'external',
    onCheckpointError: (message) => logger?.warn('WAL checkpoint failed', { error: message }),
    onUserIndexError: (message) => logger?.warn('indexing the users of new events failed; the next round tries again', { error: message }),
  });
  if (role === 'engine' && config.dataDir !== ':memory:' && mmapBytes < config.sqliteMmapBytes) {
    logger?.warn('SQLite maps less of the store file than SQLITE_MMAP_MB asks (its build sets the most)', {
      requestedMb: config.sqliteMmapBytes / 1024 / 1024, mappedMb: Math.floor(mmapBytes / 1024 / 1024),
    });
  }
  return { store, agendaBackend: new SqliteAgendaBackend({ db, writes }) };
}

/** Whether processing runs on its own thread: always, except for an in-memory store that no other connection can open. */
export function processingOnOwnThread(config: EngineConfig): boolean {
  return config.mongodbUri !== null || config.dataDir !== ':memory:';
}
