import { MongoError, MongoNetworkError, MongoServerSelectionError, MongoNotConnectedError, MongoTopologyClosedError } from 'mongodb';

/** Server codes of a replica set changing primary (the write is worth trying again on the new one). */
const FAILOVER_CODES = new Set([
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/**
 * Whether a MongoDB driver error is a passing condition — the connection or the primary is
 * gone for a moment (a failover), or FerretDB's SQLite file is locked — rather than a fault of
 * the data: the operation is worth doing again.
 */
export function isTransientMongoError(error: unknown): boolean {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError
    || error instanceof MongoNotConnectedError || error instanceof MongoTopologyClosedError) return true;
  if (!(error instanceof MongoError)) return false;
  if (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('TransientTransactionError')) return true;
  if (typeof error.code === 'number' && FAILOVER_CODES.has(error.code)) return true;
  // FerretDB v1 on SQLite reports its write lock as InternalError (code 1).
  return error.code === 1 && /database is locked|SQLITE_BUSY/.test(error.message);
}
