import Database from 'better-sqlite3';

/**
 * A new database file in WAL mode with `schema`, opened twice as the engine does: a writer that
 * never checkpoints by itself, and a second connection for checkpoints (the checkpoint thread's).
 */
export function openWalPair(file: string, schema: string): { writer: Database.Database; checkpointer: Database.Database } {
  const writer = new Database(file);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec(schema);
  const checkpointer = new Database(file);
  checkpointer.pragma('wal_autocheckpoint = 0');
  return { writer, checkpointer };
}
