/**
 * The reads the ingest and delivery benchmarks make in the engine's store, whichever it is: the
 * processor's backlog, instances and deliveries by status, and the final check of stored events.
 * They read what the engine writes (tables, collections), never through its code. One
 * implementation per store: sqlite-reader.ts (the engine's file, read-only) and mongo-reader.ts
 * (the engine's database, through the official driver).
 */
import { openSqliteReader } from './sqlite-reader.ts';

/** The engine's store kinds a benchmark can run on. */
export type StoreKind = 'sqlite' | 'mongodb';

/** Where the engine keeps its data: a SQLite file, or a MongoDB database (the URI names it). */
export type StoreTarget = { kind: 'sqlite'; dbFile: string } | { kind: 'mongodb'; uri: string };

/** Instances per status. */
export interface InstanceCounts { active: number; completed: number; exited: number; total: number }

/** What the ingest benchmark checks in the store once the engine has stopped. */
export interface StoredEvents {
  /** Events stored. */
  stored: number;
  /** messageIds remembered for deduplication (SQLite: rows of message_ids; MongoDB: events still holding their claim). */
  messageIds: number;
  /** Stored events the processor has not processed. */
  unprocessed: number;
  /** How far the processor got, in the store's own terms (SQLite: its cursor; MongoDB: events without `pending`). */
  progress: string;
  /** Profiles not merged into another. */
  profiles: number;
  /** Whether the catalog has the event name asked for. */
  catalog: boolean;
}

/** Read-only looks into the engine's store. */
export interface EngineReader {
  readonly store: StoreKind;
  /** Stored events the processor has not processed yet. */
  pendingEvents(): Promise<number>;
  /** Instances per status, for one journey or all. */
  instanceCounts(journeyId?: string): Promise<InstanceCounts>;
  /** Deliveries per status (only statuses present), for one journey or all. */
  deliveryCounts(journeyId?: string): Promise<Record<string, number>>;
  /** Events stored and processed, messageIds, profiles, and whether the catalog has `catalogName`. */
  storedEvents(catalogName: string): Promise<StoredEvents>;
  close(): Promise<void>;
}

/** Opens the reader for the store the engine uses. */
export async function openEngineReader(target: StoreTarget): Promise<EngineReader> {
  if (target.kind === 'sqlite') return openSqliteReader(target.dbFile);
  // Loaded only for MongoDB: the driver costs ~25 MB in the engine process, whose RSS the benchmarks measure.
  const { openMongoReader } = await import('./mongo-reader.ts');
  return openMongoReader(target.uri);
}
