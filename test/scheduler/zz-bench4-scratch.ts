import Database from 'better-sqlite3';
const db = new Database(':memory:');
db.exec(`CREATE TABLE j (id TEXT PRIMARY KEY, name TEXT NOT NULL, priority INTEGER NOT NULL, next_run_at INTEGER, locked_at INTEGER, disabled INTEGER NOT NULL DEFAULT 0, data TEXT);
CREATE INDEX j_due ON j (name, next_run_at, priority DESC, id) WHERE locked_at IS NULL AND disabled = 0;
CREATE INDEX j_locked ON j (name, locked_at) WHERE locked_at IS NOT NULL;`);
const ins = db.prepare('INSERT INTO j VALUES (?, ?, ?, ?, NULL, 0, ?)');
db.transaction(() => { for (let i = 0; i < 20000; i++) ins.run(String(i).padStart(26, '0'), 'b', i % 3, 1000 + (i % 100), '{"i":1}'); })();
const LO = 'next_run_at ASC, priority DESC, id ASC';
for (const sql of [
  `SELECT id, next_run_at, priority FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ORDER BY ${LO} LIMIT 1`,
  `SELECT id, next_run_at, priority FROM j INDEXED BY j_due WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ORDER BY ${LO} LIMIT 1`,
]) {
  console.log(db.prepare('EXPLAIN QUERY PLAN ' + sql).all('b', 1).map((r: any) => r.detail));
  const s = db.prepare(sql);
  let t0 = performance.now();
  for (let i = 0; i < 20000; i++) s.get('b', 5000);
  console.log('fresh:', (20000 / ((performance.now() - t0) / 1000)).toFixed(0));
}
const ex = db.prepare('SELECT 1 FROM j WHERE name = ? AND locked_at <= ? LIMIT 1');
console.log(db.prepare('EXPLAIN QUERY PLAN SELECT 1 FROM j WHERE name = ? AND locked_at <= ? LIMIT 1').all('b', 1).map((r: any) => r.detail));
let t0 = performance.now();
for (let i = 0; i < 20000; i++) ex.get('b', 5000);
console.log('exists expired:', (20000 / ((performance.now() - t0) / 1000)).toFixed(0));
const one = db.prepare('SELECT 1');
t0 = performance.now();
for (let i = 0; i < 20000; i++) one.get();
console.log('SELECT 1:', (20000 / ((performance.now() - t0) / 1000)).toFixed(0));
