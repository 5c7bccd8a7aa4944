/**
 * What the benchmarks read in the engine's store, as types of their own: the readers
 * (sqlite-reader.ts, mongo-reader.ts) implement them and engine-reader.ts picks one, so neither
 * reader imports the module that imports it.
 */

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
