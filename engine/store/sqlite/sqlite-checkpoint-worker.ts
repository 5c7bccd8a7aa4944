/**
 * Entry point of the checkpoint thread (see SqliteCheckpointer): copies committed WAL frames back
 * into the database file on its own connection, so that the threads that write never run a
 * checkpoint inside one of their commits; and adds new log events to the user index.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointWorkerData, FromCheckpointWorker } from './sqlite-checkpointer.ts';
import { WalQuietWatch, type CheckpointResult } from './wal-quiet-watch.ts';
import { restartIfLarge, walRestartRuleFor, type WalCheckpointStatements } from './wal-restart.ts';
import { withoutWaiting } from './without-waiting.ts';
import { UserIndexer } from './sqlite-user-index.ts';

const data = workerData as CheckpointWorkerData;
const port = parentPort!;
const dbs = data.files.map((file) => {
  const db = new Database(file);
  db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
  db.pragma('wal_autocheckpoint = 0');
  return db;
});
const statements: WalCheckpointStatements[] = dbs.map((db) => ({
  passive: db.prepare('PRAGMA wal_checkpoint(PASSIVE)'),
  restart: db.prepare('PRAGMA wal_checkpoint(RESTART)'),
}));
const restartRules = dbs.map((db) => walRestartRuleFor(data.walRestart, db.pragma('page_size', { simple: true }) as number));
const dataVersions = dbs.map((db) => db.prepare('PRAGMA data_version').pluck());
const watches = dbs.map(() => new WalQuietWatch(data.walTruncation));
const indexer = data.userIndex === null ? null : openIndexer(data.userIndex);

/** A connection of its own to the main file, with the log attached, for the user index. */
function openIndexer(files: { mainFile: string; logFile: string }): { db: Database.Database; indexer: UserIndexer } {
  const db = new Database(files.mainFile);
  db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
  db.pragma('wal_autocheckpoint = 0');
  // Why no fsync at its commits: the index and its watermark commit together, so a commit lost to
  // a power cut only sends the watermark back, and the next round indexes those events again.
  db.pragma('synchronous = NORMAL');
  db.prepare('ATTACH DATABASE ? AS log').run(files.logFile);
  return { db, indexer: new UserIndexer(db, 'log', { busyTimeoutMs: data.busyTimeoutMs }) };
}

/**
 * Cuts an idle WAL larger than the limit back to nothing. Never waits: with a writer or a reader
 * in the way, SQLite answers busy in the pragma's row (it does not throw) and the file is left for
 * a later quiet spell. A write arriving meanwhile waits for the truncation (its thread does not:
 * writers retry the lock on a timer).
 */
function truncateIfLarge(index: number): void {
  const size = fs.statSync(`${data.files[index]}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  if (size <= data.walTruncation.sizeLimitBytes) return;
  const db = dbs[index]!;
  withoutWaiting(db, data.busyTimeoutMs, () => db.pragma('wal_checkpoint(TRUNCATE)'));
}

let timer: NodeJS.Timeout | null = null;

function round(): void {
  let log = 0;
  let checkpointed = 0;
  let restarts = 0;
  for (const [index, checkpoint] of statements.entries()) {
    try {
      const [result] = checkpoint.passive.all() as CheckpointResult[];
      log += result?.log ?? 0;
      checkpointed += result?.checkpointed ?? 0;
      if (result !== undefined && restartIfLarge(dbs[index]!, checkpoint, restartRules[index]!, result, data.busyTimeoutMs)) restarts++;
      if (result !== undefined && watches[index]!.observe(result, dataVersions[index]!.get() as number)) {
        watches[index]!.reset();
        truncateIfLarge(index);
      }
    } catch (error) {
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies FromCheckpointWorker);
    }
  }
  try {
    indexer?.indexer.step();
  } catch (error) {
    port.postMessage({ type: 'error', message: `user index: ${error instanceof Error ? error.message : String(error)}` } satisfies FromCheckpointWorker);
  }
  port.postMessage({ type: 'round', log, checkpointed, restarts } satisfies FromCheckpointWorker);
  timer = setTimeout(round, data.intervalMs);
}

port.on('message', (message: { type: 'stop' }) => {
  if (message.type !== 'stop') return;
  if (timer) clearTimeout(timer);
  for (const db of dbs) db.close();
  indexer?.db.close();
  // Nothing else keeps the thread alive: it ends once the port is closed.
  port.close();
});
round();
