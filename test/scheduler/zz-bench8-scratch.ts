import Database from 'better-sqlite3';
function bench(label: string, ddl: string, sql: string, args: unknown[]) {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE j (id TEXT PRIMARY KEY, name TEXT NOT NULL, priority INTEGER NOT NULL, next_run_at INTEGER, locked_at INTEGER, disabled INTEGER NOT NULL DEFAULT 0, data TEXT); ${ddl}`);
  const ins = db.prepare('INSERT INTO j VALUES (?, ?, ?, ?, NULL, 0, ?)');
  db.transaction(() => { for (let i = 0; i < 20000; i++) ins.run(String(i).padStart(26, '0'), 'b', i % 3, 1000 + (i % 100), '{"i":1}'); })();
  const s = db.prepare(sql);
  for (let i = 0; i < 5000; i++) s.get(...args);
  const t0 = performance.now();
  for (let i = 0; i < 20000; i++) s.get(...args);
  console.log(label.padEnd(40), (20000 / ((performance.now() - t0) / 1000)).toFixed(0));
}
const partial = 'CREATE INDEX j_due ON j (name, next_run_at, priority DESC, id) WHERE locked_at IS NULL AND disabled = 0;';
const full = 'CREATE INDEX j_due ON j (name, next_run_at, priority DESC, id);';
const q = (extra: string) => `SELECT id FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ${extra}`;
bench('partial, order+limit', partial, q('ORDER BY next_run_at, priority DESC, id LIMIT 1'), ['b', 5000]);
bench('partial, limit', partial, q('LIMIT 1'), ['b', 5000]);
bench('full, order+limit', full, q('ORDER BY next_run_at, priority DESC, id LIMIT 1'), ['b', 5000]);
bench('full, limit', full, q('LIMIT 1'), ['b', 5000]);
bench('partial, literals order+limit', partial, `SELECT id FROM j WHERE name = 'b' AND locked_at IS NULL AND disabled = 0 AND next_run_at <= 5000 ORDER BY next_run_at, priority DESC, id LIMIT 1`, []);
bench('partial, order+limit, no range', partial, `SELECT id FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 ORDER BY next_run_at, priority DESC, id LIMIT 1`, ['b']);
bench('partial, limit via subquery', partial, `SELECT id FROM (SELECT id FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ORDER BY next_run_at, priority DESC, id) LIMIT 1`, ['b', 5000]);
bench('partial, MIN trick', partial, `SELECT min(next_run_at) FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ?`, ['b', 5000]);
bench('partial, order+limit, +?', partial, `SELECT id FROM j WHERE name = +? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= +? ORDER BY next_run_at, priority DESC, id LIMIT 1`, ['b', 5000]);
bench('partial, order+limit, name +? only', partial, `SELECT id FROM j WHERE name = +? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ORDER BY next_run_at, priority DESC, id LIMIT 1`, ['b', 5000]);
bench('partial, order+limit, next +? only', partial, `SELECT id FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= +? ORDER BY next_run_at, priority DESC, id LIMIT 1`, ['b', 5000]);
{
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE j (id TEXT PRIMARY KEY, name TEXT NOT NULL, priority INTEGER NOT NULL, next_run_at INTEGER, locked_at INTEGER, disabled INTEGER NOT NULL DEFAULT 0, data TEXT); ${partial}`);
  console.log(db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM j WHERE name = +? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= +? ORDER BY next_run_at, priority DESC, id LIMIT 1`).all('b', 1));
  console.log(db.prepare("select * from pragma_compile_options where compile_options like '%STAT%'").all());
}
