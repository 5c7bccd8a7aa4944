/**
 * The reads the ingest and delivery benchmarks make in the engine's store, whichever it is: the
 * processor's backlog, instances and deliveries by status, and the final check of stored events.
 * They read what the engine writes (tables, collections), never through its code. One
 * implementation per store: sqlite-reader.ts (the engine's file, read-only) and mongo-reader.ts
 * (the engine's database, through the official driver).
 */
import { openSqliteReader } from './sqlite-reader.ts';

export type { StoreKind, StoreTarget, InstanceCounts, StoredEvents, EngineReader } from './engine-reader-types.ts';
import type { EngineReader, StoreTarget } from './engine-reader-types.ts';

/** Opens the reader for the store the engine uses. */
export async function openEngineReader(target: StoreTarget): Promise<EngineReader> {
  if (target.kind === 'sqlite') return openSqliteReader(target.dbFile);
  // Loaded only for MongoDB: the driver costs ~25 MB in the engine process, whose RSS the benchmarks measure.
  const { openMongoReader } = await import('./mongo-reader.ts');
  return openMongoReader(target.uri);
}
