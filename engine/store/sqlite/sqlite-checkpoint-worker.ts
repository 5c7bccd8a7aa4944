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
const db = new Database(data.file);
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
db.pragma('wal_autocheckpoint = 0');
// PASSIVE: copies what no reader still needs and never waits for, nor blocks, a writer.
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let timer: NodeJS.Timeout | null = null;

function round(): void {
  try {
    const [result] = checkpoint.all() as Array<{ busy: number; log: number; checkpointed: number }>;
    if (result) port.postMessage({ type: 'round', log: result.log, checkpointed: result.checkpointed } satisfies FromCheckpointWorker);
  } catch (error) {
    port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies FromCheckpointWorker);
  }
  timer = setTimeout(round, data.intervalMs);
}

port.on('message', (message: { type: 'stop' }) => {
  if (message.type !== 'stop') return;
  if (timer) clearTimeout(timer);
  db.close();
  // Nothing else keeps the thread alive: it ends once the port is closed.
  port.close();
});
round();
