import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteStorage, openSqliteStore, SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { SqliteWriteQueue } from '../../engine/store/sqlite/sqlite-write-queue.ts';
import { SPACE_A, SPACE_B, T0, idsOf, iso, makeEvent, makeProfile, makeSpace } from '../contract/store-fixtures.ts';
import { JOURNEY_1, makeActivity, makeInstance } from '../contract/runtime-fixtures.ts';
import { useSqliteFileStore } from '../support/sqlite-file-store.ts';
import { EVENT_LOG_FILE } from '../../engine/store/sqlite/sqlite-event-log-file.ts';
import type { InstanceRecord } from '../../engine/store/instance-store.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

describe('sqlite store: adapter specifics', () => {
  const fx = useSqliteFileStore();

  it('reads the file through a memory map only when asked (SQLITE_MMAP_MB), never for :memory:', async () => {
    const mapped = openSqliteStorage({ dataDir: path.join(fx.dataDir, 'mapped'), mmapBytes: 8 * 1024 * 1024 });
    const plain = openSqliteStorage({ dataDir: path.join(fx.dataDir, 'plain') });
    const memory = openSqliteStorage({ dataDir: ':memory:', mmapBytes: 8 * 1024 * 1024 });
    try {
      expect(mapped.mmapBytes).to.equal(8 * 1024 * 1024);
      expect(mapped.db.pragma('mmap_size', { simple: true }), 'the connection itself maps').to.equal(8 * 1024 * 1024);
      expect(plain.mmapBytes).to.equal(0);
      expect(plain.db.pragma('mmap_size', { simple: true })).to.equal(0);
      expect(memory.mmapBytes).to.equal(0);
      await mapped.store.spaces.createSpace(makeSpace({ id: SPACE_A }));
      expect((await mapped.store.spaces.getSpace(SPACE_A))?.id, 'a write reads back through the map').to.equal(SPACE_A);
    } finally {
      for (const s of [mapped, plain, memory]) await s.store.close();
    }
  });

  it(`keeps its data in ${SQLITE_FILE} inside the data directory, creating the directory`, async () => {
    const nested = path.join(fx.dataDir, 'nested', 'deeper');
    const other = openSqliteStore({ dataDir: nested, synchronous: 'normal' });
    await other.spaces.createSpace(makeSpace({ id: SPACE_A }));
    await other.close();
    expect(fs.existsSync(path.join(nested, SQLITE_FILE))).to.equal(true);
  });

  it('group commit: many concurrent writes all resolve and are all durable after close and reopen', async () => {
    const events = Array.from({ length: 1500 }, (_, i) => makeEvent({ spaceId: i % 3 === 0 ? SPACE_B : SPACE_A }));
    const profiles = Array.from({ length: 300 }, (_, i) => makeProfile({ userIds: [`user-${i}`], anonymousIds: [`anon-${i}`] }));
    const spaces = Array.from({ length: 50 }, () => makeSpace());
    const results = await Promise.all([
      ...events.map((e) => fx.store.events.append([e], { dedupeWindowMs: 60_000, now: T0 })),
      ...profiles.map((p) => fx.store.profiles.insert(p)),
      ...spaces.map((sp) => fx.store.spaces.createSpace(sp)),
    ]);
    expect(results.slice(0, 1500).every((r) => Array.isArray(r) && r[0] === 'stored')).to.equal(true);
    expect(results.slice(1500).every((r) => r === 'ok')).to.equal(true);

    const reopened = await fx.reopen();
    expect(idsOf(await reopened.events.pending(5000)), 'commit order is call order').to.deep.equal(idsOf(events));
    expect((await reopened.spaces.listSpaces()).length).to.equal(50);
    expect((await reopened.profiles.list(SPACE_A, { after: null, limit: 1000 })).length).to.equal(300);
    expect((await reopened.profiles.findOwner(SPACE_A, 'anonymousId', 'anon-299'))?.id).to.equal(profiles[299]!.id);
  });

  it('group commit: a write refused inside a group rolls back alone', async () => {
    const first = makeProfile({ userIds: ['u1'] });
    const clash = makeProfile({ userIds: ['u2'], anonymousIds: ['a2', 'a1'] });
    const owner = makeProfile({ anonymousIds: ['a1'] });
    const after = makeProfile({ userIds: ['u3'] });
    const space = makeSpace({ id: SPACE_A });
    // All issued in one turn of the event loop: one transaction, one savepoint each.
    const results = await Promise.all([
      fx.store.profiles.insert(first), fx.store.profiles.insert(owner), fx.store.profiles.insert(clash),
      fx.store.profiles.insert(after), fx.store.spaces.createSpace(space), fx.store.spaces.createSpace(space),
    ]);
    expect(results).to.deep.equal(['ok', 'ok', 'identity_conflict', 'ok', 'ok', 'conflict']);
    const reopened = await fx.reopen();
    expect(await reopened.profiles.get(SPACE_A, clash.id)).to.equal(null);
    expect(await reopened.profiles.findOwner(SPACE_A, 'userId', 'u2'), 'the claim made before the clash is rolled back').to.equal(null);
    for (const p of [first, owner, after]) expect(await reopened.profiles.get(SPACE_A, p.id)).to.deep.equal(p);
  });

  it('close() commits writes still queued', async () => {
    const pending = fx.store.spaces.createSpace(makeSpace({ id: SPACE_A }));
    const appended = fx.store.events.append([makeEvent()], { dedupeWindowMs: 60_000, now: T0 });
    await fx.store.close();
    expect(await pending).to.equal('ok');
    expect(await appended).to.deep.equal(['stored']);
    await fx.reopen();
    expect(await fx.store.spaces.getSpace(SPACE_A)).to.not.equal(null);
    expect(await fx.store.events.pending(10)).to.have.length(1);
  });

  /** Closes the store, puts back the indexes of an older version (`oldSchema`), reopens, and answers the table's indexes. */
  async function reopenWithOldIndex(oldSchema: string, table: string): Promise<string[]> {
    await fx.store.close();
    const old = new Database(path.join(fx.dataDir, SQLITE_FILE));
    old.exec(oldSchema);
    old.close();
    await fx.reopen();
    const check = new Database(path.join(fx.dataDir, SQLITE_FILE), { readonly: true });
    try {
      return check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").pluck().all(table) as string[];
    } finally {
      check.close();
    }
  }

  it('drops the whole-log activity index of older versions on opening, and still lists the log', async () => {
    await fx.store.activities.append([makeActivity({ id: 'act-1', at: iso(1000), type: 'entered' }), makeActivity({ id: 'act-2', at: iso(2000) })]);
    const indexes = await reopenWithOldIndex('CREATE INDEX activities_journey ON activities (journey_id, at, id)', 'activities');
    expect(indexes).to.include('activities_type').and.not.include('activities_journey');
    expect(idsOf(await fx.store.activities.list(SPACE_A, JOURNEY_1, { limit: 10, order: 'desc' }))).to.deep.equal(['act-2', 'act-1']);
  });

  for (const [version, oldIndexes] of [
    ['before the seventeenth session', `CREATE UNIQUE INDEX instances_active_key ON instances (journey_id, profile_id, identifier_key) WHERE status = 'active'`],
    ['of the seventeenth session', `CREATE UNIQUE INDEX instances_active_profile ON instances (profile_id, journey_id, identifier_key) WHERE status = 'active'`],
  ] as const) {
    it(`replaces the by-profile indexes of older versions (${version}) with one on opening, and still refuses a second active instance of a key`, async () => {
      const first = makeInstance({ identifier: 'order-1' });
      expect(await fx.store.instances.insert(first)).to.equal('ok');
      const indexes = await reopenWithOldIndex(`DROP INDEX instances_profile_status; ${oldIndexes};
        CREATE INDEX instances_profile ON instances (profile_id, journey_id)`, 'instances');
      expect(indexes).to.include('instances_profile_status');
      expect(indexes).not.to.include.members(['instances_active_key', 'instances_active_profile', 'instances_profile']);
      expect(await fx.store.instances.insert(makeInstance({ identifier: 'order-1' }))).to.equal('active_conflict');
      expect(await fx.store.instances.countActive(SPACE_A, JOURNEY_1, first.profileId)).to.equal(1);
      expect(await fx.store.instances.hasEntered(SPACE_A, JOURNEY_1, first.profileId)).to.equal(true);
    });
  }

  it('checks the active key in the insert: one per key and group commit, none against ended instances, none across journeys', async () => {
    const keyed = (identifier: string, overrides: Partial<InstanceRecord> = {}) => makeInstance({ identifier, ...overrides });
    // Queued in one turn: one group commit, in which the second insert of a key sees the first.
    const outcomes = await Promise.all([fx.store.instances.insert(keyed('a')), fx.store.instances.insert(keyed('a')), fx.store.instances.insert(keyed('b'))]);
    expect(outcomes).to.deep.equal(['ok', 'active_conflict', 'ok']);
    const ended = keyed('c', { status: 'completed', stepId: null, endedAt: iso(5000), endReason: 'done' });
    expect(await fx.store.instances.insert(ended)).to.equal('ok');
    expect(await fx.store.instances.insert(keyed('c'))).to.equal('ok');
    expect(await fx.store.instances.insert(keyed('a', { journeyId: 'journey-2' }))).to.equal('ok');
    expect(await fx.store.instances.insert(keyed('', {}))).to.equal('ok');
    expect(await fx.store.instances.countActive(SPACE_A, JOURNEY_1, makeInstance().profileId)).to.equal(4);
  });

  it("refuses an instance's key that another connection to the file committed (as the two threads write it)", async () => {
    const other = openSqliteStorage({ dataDir: fx.dataDir, checkpoints: 'external' });
    try {
      const keyed = (identifier: string) => makeInstance({ identifier });
      // Both stores queue their inserts in the same turn; each commits in its own transaction.
      const outcomes = await Promise.all([fx.store.instances.insert(keyed('a')), other.store.instances.insert(keyed('a')),
        other.store.instances.insert(keyed('b')), fx.store.instances.insert(keyed('b'))]);
      expect([...outcomes.slice(0, 2)].sort(), 'key a').to.deep.equal(['active_conflict', 'ok']);
      expect([...outcomes.slice(2)].sort(), 'key b').to.deep.equal(['active_conflict', 'ok']);
      expect(await other.store.instances.countActive(SPACE_A, JOURNEY_1, makeInstance().profileId)).to.equal(2);
    } finally {
      await other.store.close();
    }
  });

  /** Page size of a closed store's file. */
  function pageSizeOf(file: string): number {
    const db = new Database(file, { readonly: true });
    try {
      return db.pragma('page_size', { simple: true }) as number;
    } finally {
      db.close();
    }
  }

  it('creates both files with 8 KB pages, and sizes the writers\' fallback checkpoint in bytes (~200 MB)', async () => {
    const dataDir = path.join(fx.dataDir, 'fresh');
    const storage = openSqliteStorage({ dataDir, checkpoints: 'external' });
    try {
      expect(storage.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(25_600);
      await storage.store.events.append([makeEvent()], { dedupeWindowMs: 0, now: T0 });
    } finally {
      await storage.store.close();
    }
    expect(pageSizeOf(path.join(dataDir, SQLITE_FILE))).to.equal(8192);
    expect(pageSizeOf(path.join(dataDir, EVENT_LOG_FILE))).to.equal(8192);
  });

  it('keeps the 4 KB pages of a file created before, with its data and a fallback checkpoint still ~200 MB, until converted as the README says', async () => {
    const dataDir = path.join(fx.dataDir, 'older');
    fs.mkdirSync(dataDir);
    const older = new Database(path.join(dataDir, SQLITE_FILE));
    older.pragma('page_size = 4096');
    older.pragma('journal_mode = WAL');
    older.close();
    const first = openSqliteStorage({ dataDir, checkpoints: 'external' });
    await first.store.spaces.createSpace(makeSpace({ id: SPACE_A }));
    await first.store.close();
    const again = openSqliteStorage({ dataDir, checkpoints: 'external' });
    try {
      expect(again.db.pragma('page_size', { simple: true })).to.equal(4096);
      expect(again.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(51_200);
      expect((await again.store.spaces.getSpace(SPACE_A))?.id).to.equal(SPACE_A);
    } finally {
      await again.store.close();
    }
    // The README's conversion, with the engine stopped.
    const converting = new Database(path.join(dataDir, SQLITE_FILE));
    converting.exec('PRAGMA journal_mode=DELETE; PRAGMA page_size=8192; VACUUM; PRAGMA journal_mode=WAL');
    converting.close();
    const converted = openSqliteStorage({ dataDir, checkpoints: 'external' });
    try {
      expect(converted.db.pragma('page_size', { simple: true })).to.equal(8192);
      expect((await converted.store.spaces.getSpace(SPACE_A))?.id).to.equal(SPACE_A);
    } finally {
      await converted.store.close();
    }
  });
});

describe('sqlite write queue', () => {
  let db: Database.Database;
  let queue: SqliteWriteQueue;
  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    queue = new SqliteWriteQueue(db, { maxBatch: 3 });
  });
  afterEach(() => {
    if (db.open) db.close();
  });
  const insert = (x: number) => db.prepare('INSERT INTO t (x) VALUES (?)').run(x).changes;
  const rows = () => (db.prepare('SELECT x FROM t ORDER BY x').all() as Array<{ x: number }>).map((r) => r.x);

  it('rejects a throwing write and rolls back only its own changes', async () => {
    const outcomes = await Promise.allSettled([
      queue.run(() => insert(1)),
      queue.run(() => { insert(2); insert(1); }),
      queue.run(() => insert(3)),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).to.have.property('code', 'SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(rows()).to.deep.equal([1, 3]);
    expect(db.inTransaction).to.equal(false);
  });

  it('after a failing write, replays its batch one write at a time before the writes queued after it, and rolls back what the batch did first', async () => {
    const order: string[] = [];
    const outcomes = await Promise.allSettled([
      queue.run(() => { order.push('a'); return insert(1); }),
      queue.run(() => { order.push('b'); insert(2); insert(1); }),
      queue.run(() => { order.push('c'); return insert(3); }),
      queue.run(() => { order.push('d'); return insert(4); }),
      queue.run(() => { order.push('e'); return insert(5); }),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    // The first batch (maxBatch 3) ran whole until b failed, was rolled back, and ran again one by one; then d and e.
    expect(order).to.deep.equal(['a', 'b', 'a', 'b', 'c', 'd', 'e']);
    expect(rows()).to.deep.equal([1, 3, 4, 5]);
    expect(queue.commitCount).to.equal(2);
    expect(db.inTransaction).to.equal(false);
  });

  it('a write run twice (before a later write of its batch failed, and on replay) is committed once', async () => {
    db.exec('CREATE TABLE log (n INTEGER)');
    const outcomes = await Promise.allSettled([
      queue.run(() => db.prepare('INSERT INTO log (n) VALUES (1)').run().changes),
      queue.run(() => { throw new Error('refused'); }),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected']);
    expect(db.prepare('SELECT count(*) AS n FROM log').get()).to.deep.equal({ n: 1 });
  });

  it('splits a long queue into batches of maxBatch and resolves every write with its result', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.run(() => { insert(i); return i * 10; })));
    expect(results).to.deep.equal([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(rows()).to.have.length(10);
  });

  it('rejects every write of a batch whose transaction cannot commit', async () => {
    const writes = [queue.run(() => insert(1)), queue.run(() => insert(2))];
    db.close();
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
  });
});

describe('sqlite write queue that never waits for the lock (retryBusy)', () => {
  let dir: string;
  let db: Database.Database;
  let other: Database.Database;
  beforeEach(() => {
    dir = tempDataDir();
    db = new Database(path.join(dir, 'q.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    other = new Database(path.join(dir, 'q.db'));
    other.pragma('busy_timeout = 0');
  });
  afterEach(() => {
    if (db.open) db.close();
    if (other.open) other.close();
    removeDir(dir);
  });
  const insert = (x: number) => db.prepare('INSERT INTO t (x) VALUES (?)').run(x).changes;
  const rows = () => (db.prepare('SELECT x FROM t ORDER BY x').all() as Array<{ x: number }>).map((r) => r.x);

  it('while another connection holds the lock, keeps the event loop free and commits once it is released, a failing write rolled back alone', async () => {
    const queue = new SqliteWriteQueue(db, { maxBatch: 10, retryBusy: true });
    other.exec('BEGIN IMMEDIATE');
    const writes = Promise.allSettled([queue.run(() => insert(1)), queue.run(() => { insert(2); insert(1); }), queue.run(() => insert(3))]);
    // Timers still fire: the queue retries the lock on a timer instead of sleeping in SQLite's busy handler.
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(Date.now() - started).to.be.below(1_000);
    expect(queue.commitCount).to.equal(0);
    other.exec('COMMIT');
    const outcomes = await writes;
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).to.deep.equal([1, 3]);
    expect(queue.commitCount).to.equal(1);
  });

  it('when another connection takes the lock between a failed batch and its replay, the replay waits for it on a timer, then rolls the failing write back alone', async () => {
    const queue = new SqliteWriteQueue(db, { maxBatch: 10, retryBusy: true });
    let calls = 0;
    const failing = () => {
      calls++;
      insert(2);
      if (calls === 1) {
        // The window between the queue's ROLLBACK and its next BEGIN, made deterministic: this write
        // ends the queue's transaction itself and lets the other connection take the lock, as
        // another thread could at that moment.
        db.exec('ROLLBACK');
        other.exec('BEGIN IMMEDIATE');
      }
      throw new Error('refused');
    };
    const writes = Promise.allSettled([queue.run(() => insert(1)), queue.run(failing), queue.run(() => insert(3))]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Nothing committed, and the event loop was free: the replay is waiting for the lock on a timer.
    expect(queue.commitCount).to.equal(0);
    expect(calls).to.equal(1);
    other.exec('ROLLBACK');
    const outcomes = await writes;
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).to.equal(2);
    expect(rows()).to.deep.equal([1, 3]);
    expect(queue.commitCount).to.equal(1);
    expect(db.inTransaction).to.equal(false);
  });
});
