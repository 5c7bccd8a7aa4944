import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../store.ts';
import { applySqliteSchema } from './sqlite-schema.ts';
import { BUSY_TIMEOUT_MS, SqliteWriteQueue } from './sqlite-write-queue.ts';
import { SqliteEffectRows } from './sqlite-effect-rows.ts';
import { SqliteSpaceStore } from './sqlite-space-store.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';
import { SqliteProfileStore } from './sqlite-profile-store.ts';
import { SqliteAudienceStore } from './sqlite-audience-store.ts';
import { SqliteCatalogStore } from './sqlite-catalog-store.ts';
import { SqliteJourneyStore } from './sqlite-journey-store.ts';
import { SqliteInstanceStore } from './sqlite-instance-store.ts';
import { SqliteActivityStore } from './sqlite-activity-store.ts';
import { SqliteDeliveryStore } from './sqlite-delivery-store.ts';
import { SqliteDestinationStore } from './sqlite-destination-store.ts';
import { SqliteFunctionStore } from './sqlite-function-store.ts';
import { SqliteLeaseStore } from './sqlite-lease-store.ts';
import { SqliteFigureStore } from './sqlite-figure-store.ts';
import { isTransientSqliteError } from './is-transient-error.ts';
import { SqliteCheckpointer } from './sqlite-checkpointer.ts';

/** Options of the embedded store. */
export interface SqliteStoreOptions {
  /** Directory holding `engine.db`, or `:memory:`. */
  dataDir: string;
  /** `full` (default) survives power loss; `normal` survives process crashes only. */
  synchronous?: 'full' | 'normal';
  /**
   * Bytes of the file SQLite reads through a memory map instead of read() calls (default 0: none).
   * SQLite clamps it to the most its build allows; `mmapBytes` of the result says what it took.
   */
  mmapBytes?: number;
  /** Most writes per group commit (default 5000); smaller keeps transactions short. */
  maxWriteBatch?: number;
  /** Never sleep in SQLite's busy handler: retry the lock on a timer (threads that share the file). */
  nonBlockingLock?: boolean;
  /**
   * Checkpoint the WAL on a thread of its own instead of inside commits (a file only; one
   * connection per file should ask, the others then only turn their automatic checkpoints off).
   */
  checkpoints?: 'own-thread' | 'external' | 'automatic';
  /** Hears a failed checkpoint round of the own thread. */
  onCheckpointError?: (message: string) => void;
}

/** WAL pages at which a writer checkpoints by itself anyway when the checkpoint thread is not keeping up (~200 MB). */
const FALLBACK_AUTOCHECKPOINT_PAGES = 50_000;
/** Size the WAL file is cut back to when it restarts, with checkpoints on their own thread. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** How often the checkpoint thread copies committed WAL frames into the database. */
const CHECKPOINT_INTERVAL_MS = 50;

/** File name of the embedded database inside the data directory. */
export const SQLITE_FILE = 'engine.db';

/** Opens (creating if needed) the embedded SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  return openSqliteStorage(options).store;
}

/** The store plus its connection and write queue, for parts that live in the same database (Agenda's jobs). */
export function openSqliteStorage(options: SqliteStoreOptions): {
  store: Store; db: Database.Database; writes: SqliteWriteQueue; checkpointer: SqliteCheckpointer | null;
  /** The memory map SQLite took (0: none). */
  mmapBytes: number;
} {
  let file = ':memory:';
  if (options.dataDir !== ':memory:') {
    fs.mkdirSync(options.dataDir, { recursive: true });
    file = path.join(options.dataDir, SQLITE_FILE);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = OFF');
  // Why opt-in: a mapped file makes every page read a memory access (~20% more journey events/s with 200,000
  // instances, measured) but the mapped pages count in RSS, and an I/O error on the file becomes a SIGBUS.
  const mmapBytes = file === ':memory:' || !options.mmapBytes ? 0 : Number(db.pragma(`mmap_size = ${options.mmapBytes}`, { simple: true }) ?? 0);
  // Two connections write (the HTTP thread's and the processing thread's): wait for the lock rather than fail.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  applySqliteSchema(db);
  const checkpoints = file === ':memory:' ? 'automatic' : options.checkpoints ?? 'automatic';
  if (checkpoints !== 'automatic') {
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    // After a burst the WAL file would otherwise keep its largest size: truncate it when it restarts.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }
  const checkpointer = checkpoints === 'own-thread'
    ? SqliteCheckpointer.start({ file, intervalMs: CHECKPOINT_INTERVAL_MS, busyTimeoutMs: BUSY_TIMEOUT_MS }, options.onCheckpointError ?? (() => {}))
    : null;
  const writes = new SqliteWriteQueue(db, { maxBatch: options.maxWriteBatch ?? 5000, retryBusy: options.nonBlockingLock ?? false });
  const rows = new SqliteEffectRows(db);
  writes.addBuffer(rows.counters);
  const ping = db.prepare('SELECT 1');
  const store: Store = {
    kind: 'sqlite',
    spaces: new SqliteSpaceStore(db, writes),
    events: new SqliteEventStore(db, writes),
    profiles: new SqliteProfileStore(db, writes),
    audiences: new SqliteAudienceStore(db, writes),
    catalog: new SqliteCatalogStore(db, writes),
    journeys: new SqliteJourneyStore(db, writes),
    instances: new SqliteInstanceStore(db, writes, rows),
    activities: new SqliteActivityStore(db, writes, rows),
    deliveries: new SqliteDeliveryStore(db, writes, rows),
    figures: new SqliteFigureStore(db),
    destinations: new SqliteDestinationStore(db, writes),
    functions: new SqliteFunctionStore(db, writes),
    leases: new SqliteLeaseStore(db, writes),
    isTransientError: isTransientSqliteError,
    async ping() {
      ping.get();
    },
    async close() {
      writes.flush();
      await checkpointer?.stop();
      db.close();
    },
  };
  return { store, db, writes, checkpointer, mmapBytes };
}
