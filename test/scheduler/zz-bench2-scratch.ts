import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteWriteQueue } from '../../engine/store/sqlite/sqlite-write-queue.ts';
import { SqliteAgendaBackend } from '../../engine/scheduler/sqlite-agenda/sqlite-agenda-backend.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';
const dir = tempDataDir();
const db = new Database(path.join(dir, 'engine.db'));
db.pragma('journal_mode = WAL'); db.pragma(`synchronous = ${process.env.SYNC ?? 'FULL'}`);
const writes = new SqliteWriteQueue(db);
const repo = new SqliteAgendaBackend({ db, writes }).repository;
const N = 20000;
for (let i = 0; i < N; i += 1000) await Promise.all(Array.from({ length: 1000 }, (_, k) => repo.saveJob({ name: 'b', priority: k % 3, nextRunAt: new Date(Date.now() - 1000 - k % 100), type: 'normal', data: { i: i + k } }, undefined)));
const now = new Date(); const scan = new Date(Date.now() + 5000); const dl = new Date(Date.now() - 600000);
for (const order of ['lock', 'next', 'lock', 'next']) {
  const M = 2000;
  const jobs = order === 'lock' ? (await repo.queryJobs({ state: 'queued', limit: M })).jobs : [];
  const t = performance.now();
  if (order === 'lock') for (const j of jobs) await repo.lockJob(j, undefined);
  else for (let i = 0; i < M; i++) await repo.getNextJobToRun('b', scan, dl, now, undefined);
  console.log(order, (M / ((performance.now() - t) / 1000)).toFixed(0), '/s sequential');
}
// pure statement cost in one transaction
const t = performance.now();
let n = 0;
await writes.run(() => { for (let i = 0; i < 5000; i++) { const p = (repo as any); n++; } });
const stmtT = performance.now();
await writes.run(() => { for (let i = 0; i < 5000; i++) db.prepare('SELECT 1').get(); });
const M = 5000; const t2 = performance.now();
const ps: Promise<unknown>[] = [];
for (let i = 0; i < M; i++) ps.push(repo.getNextJobToRun('b', scan, dl, now, undefined));
await Promise.all(ps);
console.log('getNextJobToRun, 5000 in one group commit:', (M / ((performance.now() - t2) / 1000)).toFixed(0), '/s');
writes.flush(); db.close(); removeDir(dir);
