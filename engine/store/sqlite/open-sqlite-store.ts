import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../store.ts';
import { applySqliteSchema } from './sqlite-schema.ts';
import { BUSY_TIMEOUT_MS, SqliteWriteQueue } from './sqlite-write-queue.ts';
import { WalSync } from './wal-sync.ts';
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
import { walFrames, type WalRestartSize } from './wal-restart.ts';
import type { WalTruncationRule } from './wal-quiet-watch.ts';
import { applyUserIndexSchema, UserIndexer } from './sqlite-user-index.ts';
import { applyEventLogSchema, EVENT_LOG_FILE, moveEventLogIntoItsFile } from './sqlite-event-log-file.ts';

/** Options of the embedded store. */
export interface SqliteStoreOptions {
  /** Directory holding `engine.db` and the event log's `events.db`, or `:memory:`. */
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
  /**
   * Commit to the main file without an fsync inside COMMIT (writes resolve once committed), and
   * sync its WAL on the thread pool when `store.durable()` asks (see WalSync): the committing
   * thread never waits for the disk. Ignored with `synchronous: 'normal'` (nothing is synced
   * then). The event log's commits always fsync: an event is visible to processing only once it
   * is on disk (an off-thread sync there was measured and gave ingest nothing).
   */
  syncOffThread?: boolean;
  /**
   * When the checkpoint thread truncates a WAL (see WalQuietWatch): one over `sizeLimitBytes`,
   * after `quietRounds` rounds of 50 ms without a commit or `lightRounds` rounds of at most
   * `lightFrames` new frames each (defaults: WAL_TRUNCATION below; tests change them). Only the
   * own thread truncates: with `external` checkpoints and no owner in the process, a WAL keeps its largest size.
   */
  walTruncation?: Partial<WalTruncationRule>;
  /** When the checkpoint thread restarts a WAL that writes never let restart (default: WAL_RESTART below; tests change it). */
  walRestart?: Partial<WalRestartSize>;
  /** Hears a failed checkpoint round of the own thread. */
  onCheckpointError?: (message: string) => void;
  /** Hears a failed round of an in-memory store's user indexer (the next round tries again). */
  onUserIndexError?: (message: string) => void;
}

/**
 * Page size of a new database file. Why 8 KB and not SQLite's 4 KB: a commit's cost goes mostly by
 * the pages it dirties, and the engine's commits append to many B-trees at once. Interleaved pairs
 * (bench/RESULTS.md, fifteenth session): timer burst +21%, journeys' follow-ups +11–27%, the event
 * log's write path −7% per event, disk per instance 857 → 815 bytes; journeys' entries, spread over
 * 100 journeys' index ranges, at least unchanged. 16 and 32 KB made the burst faster still but cost
 * entries 20–50%. SQLite fixes a file's page size when it creates it: older files keep theirs.
 */
export const PAGE_SIZE_BYTES = 8192;
/** WAL size at which a writer checkpoints by itself anyway when the checkpoint thread is not keeping up. */
const FALLBACK_AUTOCHECKPOINT_BYTES = 200 * 1024 * 1024;
/** A WAL over 64 MB is truncated after 4 rounds (200 ms) without a commit, or a minute of at most 64 new frames per round. */
const WAL_TRUNCATION: WalTruncationRule = { sizeLimitBytes: 64 * 1024 * 1024, quietRounds: 4, lightRounds: 1200, lightFrames: 64 };
/**
 * A WAL of 64 MB, all copied, is restarted by the checkpoint thread after up to 4 catch-up passes
 * (see restartIfLarge). Why 64 MB: the size the truncation rule treats as large; 32 MB and waiting
 * 10 ms for the write lock were measured too and did no better.
 */
const WAL_RESTART: WalRestartSize = { bytes: 64 * 1024 * 1024, catchUpPasses: 4 };
/** How often the checkpoint thread copies committed WAL frames into the database. */
const CHECKPOINT_INTERVAL_MS = 50;

/** File name of the embedded database inside the data directory (the event log is in EVENT_LOG_FILE beside it). */
export const SQLITE_FILE = 'engine.db';

/** Opens one file of the store with the settings every connection to it shares. */
function openConnection(file: string, options: SqliteStoreOptions, checkpoints: 'own-thread' | 'external' | 'automatic', syncOffThread: boolean): { db: Database.Database; mmapBytes: number } {
  const db = new Database(file);
  // Before the journal mode: a WAL file's page size can no longer change (an existing file ignores it).
  db.pragma(`page_size = ${PAGE_SIZE_BYTES}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' || syncOffThread ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = OFF');
  // Why opt-in: a mapped file makes every page read a memory access (~20% more journey events/s with 200,000
  // instances, measured) but the mapped pages count in RSS, and an I/O error on the file becomes a SIGBUS.
  const mmapBytes = file === ':memory:' || !options.mmapBytes ? 0 : Number(db.pragma(`mmap_size = ${options.mmapBytes}`, { simple: true }) ?? 0);
  // Two connections write (the HTTP thread's and the processing thread's): wait for the lock rather than fail.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (checkpoints !== 'automatic') {
    db.pragma(`wal_autocheckpoint = ${walFrames(FALLBACK_AUTOCHECKPOINT_BYTES, db.pragma('page_size', { simple: true }) as number)}`);
    // No journal_size_limit: SQLite would truncate the WAL inside the commit that restarts it, a
    // stall of tens of ms for every waiting write. The checkpoint thread truncates it once writes pause or run light.
    db.pragma('journal_size_limit = -1');
  }
  return { db, mmapBytes };
}

/** How often an in-memory store adds new log events to its user index. */
const MEMORY_INDEX_INTERVAL_MS = 200;

/**
 * Keeps the user index of an in-memory store (one connection, no checkpoint thread) through its
 * write queue. A file opened without a checkpoint thread of its own (tests, tools) has no indexer:
 * its readers take every event above the watermark from the log, so answers stay complete.
 */
function indexInMemory(db: Database.Database, writes: SqliteWriteQueue, onError: (message: string) => void): NodeJS.Timeout {
  const indexer = new UserIndexer(db, 'main', { busyTimeoutMs: BUSY_TIMEOUT_MS });
  const timer = setInterval(() => {
    // Checked first, so that an idle store does not commit an empty transaction five times a second.
    if (!indexer.hasWork()) return;
    // A failed round leaves the watermark where it was: the next one tries again.
    writes.run(() => indexer.indexChunk()).catch((error: unknown) => onError(error instanceof Error ? error.message : String(error)));
  }, MEMORY_INDEX_INTERVAL_MS);
  timer.unref();
  return timer;
}

/** Opens (creating if needed) the embedded SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  return openSqliteStorage(options).store;
}

/** The store plus its connection and write queue, for parts that live in the same database (Agenda's jobs). */
export function openSqliteStorage(options: SqliteStoreOptions): {
  store: Store; db: Database.Database; writes: SqliteWriteQueue; checkpointer: SqliteCheckpointer | null;
  /** The memory map SQLite took (0: none). */
  mmapBytes: number;
  /** The main file's off-thread sync (syncOffThread), or null. */
  walSync: WalSync | null;
  /** The event log's write queue (the main one in memory). */
  logWrites: SqliteWriteQueue;
} {
  let file = ':memory:';
  let logFile = ':memory:';
  if (options.dataDir !== ':memory:') {
    fs.mkdirSync(options.dataDir, { recursive: true });
    file = path.join(options.dataDir, SQLITE_FILE);
    logFile = path.join(options.dataDir, EVENT_LOG_FILE);
  }
  const checkpoints = file === ':memory:' ? 'automatic' : options.checkpoints ?? 'automatic';
  const offThread = options.syncOffThread === true && options.synchronous !== 'normal' && file !== ':memory:';
  const { db, mmapBytes } = openConnection(file, options, checkpoints, offThread);
  applySqliteSchema(db);
  applyUserIndexSchema(db);
  // In memory there is one connection (nothing shares it), so the log's tables live in it.
  const log = logFile === ':memory:' ? db : openConnection(logFile, options, checkpoints, false).db;
  applyEventLogSchema(log);
  if (log !== db) moveEventLogIntoItsFile(db, file, log);
  const checkpointer = checkpoints === 'own-thread'
    ? SqliteCheckpointer.start({ files: [file, logFile], intervalMs: CHECKPOINT_INTERVAL_MS, busyTimeoutMs: BUSY_TIMEOUT_MS, walTruncation: { ...WAL_TRUNCATION, ...options.walTruncation }, walRestart: { ...WAL_RESTART, ...options.walRestart }, userIndex: { mainFile: file, logFile } }, options.onCheckpointError ?? (() => {}))
    : null;
  const queueOptions = { maxBatch: options.maxWriteBatch ?? 5000, retryBusy: options.nonBlockingLock ?? false };
  const writes = new SqliteWriteQueue(db, queueOptions);
  const walSync = offThread ? new WalSync(file, () => writes.commitCount) : null;
  const logWrites = log === db ? writes : new SqliteWriteQueue(log, queueOptions);
  const durable = (mark?: number) => walSync?.sync(mark) ?? Promise.resolve();
  const events = new SqliteEventStore({ db: log, writes: logWrites }, { db, writes }, durable);
  const memoryIndexer = log === db ? indexInMemory(db, writes, options.onUserIndexError ?? (() => {})) : null;
  const rows = new SqliteEffectRows(db);
  writes.addBuffer(rows.counters);
  const pings = [db, log].map((connection) => connection.prepare('SELECT 1'));
  const store: Store = {
    kind: 'sqlite',
    spaces: new SqliteSpaceStore(db, writes, (spaceId) => events.deleteSpace(spaceId)),
    events,
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
    // Commits with synchronous=FULL were durable when they resolved: only the off-thread sync has anything to do.
    durable,
    durabilityMark: () => walSync?.mark() ?? 0,
    async ping() {
      for (const ping of pings) ping.get();
    },
    async close() {
      writes.flush();
      if (logWrites !== writes) logWrites.flush();
      // A clean stop leaves everything on disk.
      await walSync?.sync();
      await walSync?.close();
      if (memoryIndexer) clearInterval(memoryIndexer);
      await checkpointer?.stop();
      if (log !== db) log.close();
      db.close();
    },
  };
  return { store, db, writes, checkpointer, mmapBytes, walSync, logWrites };
}
