/**
 * Entry point of the checkpoint thread (see SqliteCheckpointer): copies committed WAL frames back
 * into the database file on its own connection, so that the threads that write never run a
 * checkpoint inside one of their commits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointWorkerData, FromCheckpointWorker } from './sqlite-checkpointer.ts';

const data = workerData as CheckpointWorkerData;
const port = parentPort!;
const dbs = data.files.map((file) => {
  const db = new Database(file);
  db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
  db.pragma('wal_autocheckpoint = 0');
  return db;
});
// PASSIVE: copies what no reader still needs and never waits for, nor blocks, a writer.
const checkpoints = dbs.map((db) => db.prepare('PRAGMA wal_checkpoint(PASSIVE)'));
let timer: NodeJS.Timeout | null = null;

function round(): void {
  let log = 0;
  let checkpointed = 0;
  for (const checkpoint of checkpoints) {
    try {
      const [result] = checkpoint.all() as Array<{ busy: number; log: number; checkpointed: number }>;
      log += result?.log ?? 0;
      checkpointed += result?.checkpointed ?? 0;
    } catch (error) {
      port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies FromCheckpointWorker);
    }
  }
  port.postMessage({ type: 'round', log, checkpointed } satisfies FromCheckpointWorker);
  timer = setTimeout(round, data.intervalMs);
}

port.on('message', (message: { type: 'stop' }) => {
  if (message.type !== 'stop') return;
  if (timer) clearTimeout(timer);
  for (const db of dbs) db.close();
  // Nothing else keeps the thread alive: it ends once the port is closed.
  port.close();
});
round();
