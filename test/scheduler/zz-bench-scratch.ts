import path from 'node:path';
import Database from 'better-sqlite3';
import { Agenda } from 'agenda';
import { SqliteWriteQueue } from '../../engine/store/sqlite/sqlite-write-queue.ts';
import { SqliteAgendaBackend } from '../../engine/scheduler/sqlite-agenda/sqlite-agenda-backend.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

function open() {
  const dir = tempDataDir();
  const db = new Database(path.join(dir, 'engine.db'));
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
  const writes = new SqliteWriteQueue(db);
  const backend = new SqliteAgendaBackend({ db, writes });
  return { db, writes, backend, repo: backend.repository, done() { writes.flush(); db.close(); removeDir(dir); } };
}
const job = (i: number) => ({ name: 'b', priority: i % 3, nextRunAt: new Date(Date.now() - 1000 - (i % 100)), type: 'normal' as const, data: { i } });

async function seed(repo: any, n: number) {
  const batch = 1000;
  for (let i = 0; i < n; i += batch) await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => repo.saveJob(job(i + k), undefined)));
}
const N = Number(process.env.N ?? 20000);
{
  const s = open(); const t0 = performance.now(); await seed(s.repo, N); const t1 = performance.now();
  console.log(`saveJob (1000 in flight): ${(N / ((t1 - t0) / 1000)).toFixed(0)}/s`);
  const M = 3000; const now = new Date(); const scan = new Date(Date.now() + 5000); const dl = new Date(Date.now() - 600000);
  let t = performance.now();
  for (let i = 0; i < M; i++) await s.repo.getNextJobToRun('b', scan, dl, now, undefined);
  console.log(`getNextJobToRun sequential (backlog ${N}): ${(M / ((performance.now() - t) / 1000)).toFixed(0)}/s`);
  t = performance.now();
  let got = 0;
  for (let r = 0; r < 50; r++) got += (await Promise.all(Array.from({ length: 100 }, () => s.repo.getNextJobToRun('b', scan, dl, now, undefined)))).filter(Boolean).length;
  console.log(`getNextJobToRun 100 in flight: ${(got / ((performance.now() - t) / 1000)).toFixed(0)}/s (${got})`);
  const rows = await s.repo.queryJobs({ limit: 3000, state: 'queued' });
  t = performance.now();
  for (const j of rows.jobs) await s.repo.lockJob(j, undefined);
  console.log(`lockJob sequential: ${(rows.jobs.length / ((performance.now() - t) / 1000)).toFixed(0)}/s`);
  // in-memory cost of the statement alone (no commit): the SQL work per lock
  const stmt = (s.repo as any);
  s.done();
}
{
  const s = open();
  const J = 3000;
  const agenda = new Agenda({ backend: s.backend, processEvery: 50, maxConcurrency: 50, defaultConcurrency: 50 });
  let done = 0;
  agenda.define('b', async () => { done++; }, { concurrency: 50 });
  await agenda.ready;
  await seed(s.repo, J);
  const t = performance.now();
  await agenda.start();
  while (done < J) await new Promise((r) => setTimeout(r, 5));
  console.log(`Agenda end to end, ${J} one-shot no-op jobs: ${(J / ((performance.now() - t) / 1000)).toFixed(0)} jobs/s`);
  await agenda.stop();
  s.done();
}
