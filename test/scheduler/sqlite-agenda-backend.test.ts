import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { Agenda, type JobParameters } from 'agenda';
import { SqliteWriteQueue } from '../../engine/store/sqlite/sqlite-write-queue.ts';
import { SqliteAgendaBackend } from '../../engine/scheduler/sqlite-agenda/sqlite-agenda-backend.ts';
import { lockNextJobSql } from '../../engine/scheduler/sqlite-agenda/sqlite-job-repository.ts';
import { agendaBackendContract } from '../contract/agenda-backend-contract.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

/** A connection opened as the embedded store opens its own (WAL, synchronous FULL), with its write queue. */
function openConnection(file: string): { db: Database.Database; writes: SqliteWriteQueue; close: () => void } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const writes = new SqliteWriteQueue(db);
  return {
    db, writes,
    close() {
      writes.flush();
      db.close();
    },
  };
}

/** A temporary database file; `open()` adds a connection with its own queue, `cleanup()` closes them all and removes the file. */
function tempDatabase(): { file: string; open: () => ReturnType<typeof openConnection>; cleanup: () => Promise<void> } {
  const dir = tempDataDir();
  const file = path.join(dir, 'engine.db');
  const connections: Array<ReturnType<typeof openConnection>> = [];
  return {
    file,
    open() {
      const connection = openConnection(file);
      connections.push(connection);
      return connection;
    },
    async cleanup() {
      for (const connection of connections) if (connection.db.open) connection.close();
      removeDir(dir);
    },
  };
}

// The second backend uses its own connection and write queue, as a second process would.
agendaBackendContract('sqlite (file, second connection for the second instance)', async () => {
  const database = tempDatabase();
  const { db, writes } = database.open();
  return {
    backend: new SqliteAgendaBackend({ db, writes }),
    async openSameData() {
      const other = database.open();
      return new SqliteAgendaBackend({ db: other.db, writes: other.writes });
    },
    cleanup: database.cleanup,
  };
});

const job = (name: string, overrides: Partial<JobParameters> = {}): JobParameters =>
  ({ name, priority: 0, nextRunAt: new Date(Date.now() - 1000), type: 'normal', data: {}, ...overrides });

describe('SqliteAgendaBackend (SQLite specifics)', () => {
  let database: ReturnType<typeof tempDatabase>;
  beforeEach(() => { database = tempDatabase(); });
  afterEach(() => database.cleanup());

  it('keeps jobs, their locks and their schedule across close and reopen', async () => {
    const first = database.open();
    const repository = new SqliteAgendaBackend({ db: first.db, writes: first.writes }).repository;
    const saved = await repository.saveJob(job('durable', { data: { k: 'v' }, repeatInterval: 60000 }), undefined);
    const locked = await repository.lockJob(saved, undefined);
    // Closed without flushing anything by hand: a resolved write must already be durable.
    first.db.close();

    const second = database.open();
    const reopened = new SqliteAgendaBackend({ db: second.db, writes: second.writes }).repository;
    const read = (await reopened.getJobById(String(saved._id)))!;
    expect(read.data).to.deep.equal({ k: 'v' });
    expect(read.repeatInterval).to.equal(60000);
    expect(read.nextRunAt!.getTime()).to.equal(saved.nextRunAt!.getTime());
    expect(read.lockedAt!.getTime()).to.equal(locked!.lockedAt!.getTime());
  });

  it('creates its table idempotently, under the given name, beside the engine\'s own tables', async () => {
    const { db, writes } = database.open();
    db.exec('CREATE TABLE engine_things (id TEXT PRIMARY KEY)');
    const a = new SqliteAgendaBackend({ db, writes, tableName: 'timers_jobs' });
    await a.repository.saveJob(job('kept'), undefined);
    const again = new SqliteAgendaBackend({ db, writes, tableName: 'timers_jobs' });
    expect(await again.repository.getDistinctJobNames()).to.deep.equal(['kept']);
    const other = new SqliteAgendaBackend({ db, writes });
    expect(await other.repository.getDistinctJobNames()).to.deep.equal([]);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).to.deep.equal(['agenda_jobs', 'engine_things', 'timers_jobs']);
    expect(() => new SqliteAgendaBackend({ db, writes, tableName: 'jobs"; DROP TABLE x; --' })).to.throw(/invalid Agenda table name/);
  });

  it('writes through the engine\'s write queue, sharing its group commit', async () => {
    const { db, writes } = database.open();
    const backend = new SqliteAgendaBackend({ db, writes });
    db.exec('CREATE TABLE engine_things (id TEXT PRIMARY KEY)');
    const before = writes.commitCount;
    await Promise.all([
      writes.run(() => db.prepare('INSERT INTO engine_things (id) VALUES (?)').run('t1')),
      backend.repository.saveJob(job('grouped'), undefined),
      backend.repository.saveJob(job('grouped'), undefined),
    ]);
    expect(writes.commitCount - before).to.equal(1);
    expect(await backend.repository.getDistinctJobNames()).to.deep.equal(['grouped']);
  });

  it('leaves the database open when Agenda stops (the engine owns it)', async () => {
    const { db, writes } = database.open();
    const backend = new SqliteAgendaBackend({ db, writes });
    const agenda = new Agenda({ backend, processEvery: 50 });
    agenda.define('noop', async () => {});
    await agenda.start();
    await agenda.stop();
    expect(db.open).to.equal(true);
    expect(backend.ownsConnection).to.equal(false);
  });

  it('finds the job to lock through its indexes, without sorting the due jobs', () => {
    const { db, writes } = database.open();
    new SqliteAgendaBackend({ db, writes });
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${lockNextJobSql('"agenda_jobs"')}`)
      .all({ name: 'n', nextScanAt: 0, lockDeadline: 0, lockedAt: 0, by: null }) as Array<{ detail: string }>).map((r) => r.detail);
    const dueHalf = plan.findIndex((line) => line.includes('agenda_jobs_due'));
    expect(plan[dueHalf]).to.match(/SEARCH agenda_jobs USING (COVERING )?INDEX agenda_jobs_due \(name=\? AND next_run_at<\?\)/);
    // The due half reads the index in lock order: no sorter until the expired-lock half.
    expect(plan.slice(dueHalf, plan.findIndex((line) => line.includes('UNION ALL'))).join('\n')).to.not.match(/TEMP B-TREE/);
    expect(plan.join('\n')).to.match(/INDEX agenda_jobs_locked \(name=\? AND locked_at<\?\)/);
  });
});
