import Database from 'better-sqlite3';
import { SqliteWriteQueue } from '../../engine/store/sqlite/sqlite-write-queue.ts';
import { SqliteAgendaBackend } from '../../engine/scheduler/sqlite-agenda/sqlite-agenda-backend.ts';
const db = new Database(':memory:');
const writes = new SqliteWriteQueue(db);
const repo = new SqliteAgendaBackend({ db, writes }).repository;
const N = 20000;
for (let i = 0; i < N; i += 1000) await Promise.all(Array.from({ length: 1000 }, (_, k) => repo.saveJob({ name: 'b', priority: k % 3, nextRunAt: new Date(Date.now() - 1000 - k % 100), type: 'normal', data: { i: i + k } }, undefined)));
const lockNext = (repo as any)[Object.getOwnPropertySymbols(repo)[0]!];
const src = db.prepare("SELECT sql FROM sqlite_master WHERE name='agenda_jobs'").get();
// grab statement text by re-preparing same SQL as repository (copy)
const t = '"agenda_jobs"'; const LO = 'next_run_at ASC, priority DESC, id ASC';
const sql = `UPDATE ${t} SET locked_at = @lockedAt, last_modified_by = @by WHERE id = (
      SELECT id FROM (
        SELECT * FROM (SELECT id, next_run_at, priority FROM ${t}
          WHERE name = +@name AND locked_at IS NULL AND disabled = 0 AND next_run_at <= @nextScanAt
          ORDER BY ${LO} LIMIT 1)
        UNION ALL
        SELECT * FROM (SELECT id, next_run_at, priority FROM ${t}
          WHERE name = +@name AND locked_at <= @lockDeadline AND disabled = 0
          ORDER BY ${LO} LIMIT 1))
      ORDER BY ${LO} LIMIT 1)
      RETURNING *`;
console.log(db.prepare('EXPLAIN QUERY PLAN ' + sql).all({lockedAt:1,by:null,name:'b',nextScanAt:1,lockDeadline:1}).map((r:any)=>r.detail).join('\n'));
const st = db.prepare(sql);
const p = { lockedAt: Date.now(), by: null, name: 'b', nextScanAt: Date.now() + 5000, lockDeadline: Date.now() - 600000 };
db.exec('BEGIN');
let t0 = performance.now();
for (let i = 0; i < 5000; i++) st.get(p);
console.log('raw lockNext in one tx:', (5000 / ((performance.now() - t0) / 1000)).toFixed(0), '/s');
const sel = db.prepare(`SELECT id FROM ${t} WHERE name = +@name AND locked_at IS NULL AND disabled = 0 AND next_run_at <= @nextScanAt ORDER BY ${LO} LIMIT 1`);
t0 = performance.now();
for (let i = 0; i < 5000; i++) sel.get({ name: 'b', nextScanAt: p.nextScanAt });
console.log('select-only branch 1:', (5000 / ((performance.now() - t0) / 1000)).toFixed(0), '/s');
const upd = db.prepare(`UPDATE ${t} SET locked_at = @lockedAt, last_modified_by = @by WHERE id = @id RETURNING *`);
const ids = (db.prepare(`SELECT id FROM ${t} WHERE locked_at IS NULL LIMIT 5000`).all() as any[]).map(r => r.id);
t0 = performance.now();
for (const id of ids) upd.get({ id, lockedAt: p.lockedAt, by: null });
console.log('update by id:', (ids.length / ((performance.now() - t0) / 1000)).toFixed(0), '/s');
db.exec('COMMIT');
{
  const selDue = db.prepare(`SELECT id, next_run_at, priority FROM ${t} WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ORDER BY ${LO} LIMIT 1`);
  const selExp = db.prepare(`SELECT id, next_run_at, priority FROM ${t} WHERE name = ? AND locked_at <= ? AND disabled = 0 ORDER BY ${LO} LIMIT 1`);
  const selExpPlan = db.prepare('EXPLAIN QUERY PLAN ' + `SELECT id, next_run_at, priority FROM ${t} WHERE name = ? AND locked_at <= ? AND disabled = 0 ORDER BY ${LO} LIMIT 1`).all('b', 1);
  console.log(selExpPlan);
  db.exec('BEGIN');
  let t0 = performance.now();
  for (let i = 0; i < 5000; i++) {
    const a = selDue.get('b', p.nextScanAt) as any;
    const b = selExp.get('b', p.lockDeadline) as any;
    const pick = a ?? b;
    upd.get({ id: pick.id, lockedAt: p.lockedAt, by: null });
  }
  console.log('two selects + update by id:', (5000 / ((performance.now() - t0) / 1000)).toFixed(0), '/s');
  t0 = performance.now();
  for (let i = 0; i < 5000; i++) selDue.get('b', p.nextScanAt);
  console.log('selDue alone:', (5000 / ((performance.now() - t0) / 1000)).toFixed(0), '/s');
  t0 = performance.now();
  for (let i = 0; i < 5000; i++) selExp.get('b', p.lockDeadline);
  console.log('selExp alone:', (5000 / ((performance.now() - t0) / 1000)).toFixed(0), '/s');
  db.exec('COMMIT');
}
