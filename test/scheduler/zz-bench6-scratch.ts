import Database from 'better-sqlite3';
for (const N of [200, 2000, 20000]) {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE j (id TEXT PRIMARY KEY, name TEXT NOT NULL, priority INTEGER NOT NULL, next_run_at INTEGER, locked_at INTEGER, disabled INTEGER NOT NULL DEFAULT 0, data TEXT);
  CREATE INDEX j_due ON j (name, next_run_at, priority DESC, id) WHERE locked_at IS NULL AND disabled = 0;`);
  const ins = db.prepare('INSERT INTO j VALUES (?, ?, ?, ?, NULL, 0, ?)');
  db.transaction(() => { for (let i = 0; i < N; i++) ins.run(String(i).padStart(26, '0'), 'b', i % 3, 1000 + (i % 100), '{"i":1}'); })();
  const s = db.prepare(`SELECT id FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ORDER BY next_run_at, priority DESC, id LIMIT 1`);
  const t0 = performance.now();
  for (let i = 0; i < 5000; i++) s.get('b', 5000);
  console.log(N, (5000 / ((performance.now() - t0) / 1000)).toFixed(0));
  console.log(db.prepare(`EXPLAIN SELECT id FROM j WHERE name = ? AND locked_at IS NULL AND disabled = 0 AND next_run_at <= ? ORDER BY next_run_at, priority DESC, id LIMIT 1`).all('b', 1).map((r: any) => `${r.addr} ${r.opcode} ${r.p1} ${r.p2} ${r.p3} ${r.p4 ?? ''}`).join('\n').slice(0, N === 20000 ? 5000 : 0));
}
