/**
 * The embedded store keeps its event log (events, message_ids) in events.db beside engine.db:
 * the layout, the move of an older data directory's log, and the guards that keep a new event
 * from landing at or below the processing cursor.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteStorage, SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { EVENT_LOG_FILE, PROCESSED_SEQ_KEY } from '../../engine/store/sqlite/sqlite-event-log-file.ts';
import { PRUNE_CHUNK } from '../../engine/store/sqlite/sqlite-event-store.ts';
import { SPACE_A, T0, idsOf, makeEvent, makeSpace } from '../contract/store-fixtures.ts';
import type { EventRecord } from '../../engine/store/event-store.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

const WINDOW_MS = 24 * 3600_000;
const at = (now: number) => ({ dedupeWindowMs: WINDOW_MS, now });

/** The tables as versions before the split created them inside engine.db (no AUTOINCREMENT). */
const OLD_LOG_TABLES = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, space_id TEXT NOT NULL, message_id TEXT NOT NULL,
    type TEXT NOT NULL, name TEXT, user_id TEXT, anonymous_id TEXT,
    timestamp TEXT NOT NULL, received_at TEXT NOT NULL, message TEXT NOT NULL);
  CREATE INDEX events_space ON events (space_id, seq);
  CREATE TABLE message_ids (
    space_id TEXT NOT NULL, message_id TEXT NOT NULL, received_at INTEGER NOT NULL,
    PRIMARY KEY (space_id, message_id)) WITHOUT ROWID;`;

/** Writes an engine.db laid out as before the split: `events` at seqs 1.., processed up to `cursor`. */
function writeOldLayout(dataDir: string, events: EventRecord[], cursor: number): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, SQLITE_FILE));
  db.exec(OLD_LOG_TABLES);
  const insert = db.prepare(`INSERT INTO events (seq, id, space_id, message_id, type, name, user_id, anonymous_id, timestamp, received_at, message)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  events.forEach((e, i) => {
    insert.run(i + 1, e.id, e.spaceId, e.messageId, e.type, e.name, e.userId, e.anonymousId, e.timestamp, e.receivedAt, JSON.stringify(e.message));
    db.prepare('INSERT INTO message_ids (space_id, message_id, received_at) VALUES (?, ?, ?)').run(e.spaceId, e.messageId, T0);
  });
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(PROCESSED_SEQ_KEY, String(cursor));
  db.close();
}

const tablesOf = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'message_ids') ORDER BY name`).all() as Array<{ name: string }>).map((t) => t.name);
  } finally {
    db.close();
  }
};

describe('sqlite store: the event log in a file of its own', () => {
  let dataDir: string;
  beforeEach(() => { dataDir = tempDataDir(); });
  afterEach(() => removeDir(dataDir));

  it(`keeps events and message ids in ${EVENT_LOG_FILE}, and nothing of them in ${SQLITE_FILE}`, async () => {
    const { store } = openSqliteStorage({ dataDir });
    await store.spaces.createSpace(makeSpace({ id: SPACE_A }));
    const event = makeEvent();
    await store.events.append([event], at(T0));
    await store.close();
    expect(tablesOf(path.join(dataDir, SQLITE_FILE))).to.deep.equal([]);
    const log = new Database(path.join(dataDir, EVENT_LOG_FILE), { readonly: true });
    try {
      expect(log.prepare('SELECT id FROM events').all()).to.deep.equal([{ id: event.id }]);
      expect(log.prepare('SELECT message_id FROM message_ids').all()).to.deep.equal([{ message_id: event.messageId }]);
    } finally {
      log.close();
    }
  });

  it('moves the log of an older data directory: same seqs, the cursor still right, duplicates still caught', async () => {
    const events = Array.from({ length: 5 }, () => makeEvent());
    writeOldLayout(dataDir, events, 3);
    const { store } = openSqliteStorage({ dataDir });
    try {
      expect(tablesOf(path.join(dataDir, SQLITE_FILE)), 'the old tables are gone').to.deep.equal([]);
      expect(idsOf(await store.events.pending(10)), 'processing goes on after seq 3').to.deep.equal(idsOf(events.slice(3)));
      expect(await store.events.append([makeEvent({ messageId: events[0]!.messageId })], at(T0 + 1000)), 'a messageId seen before the move').to.deep.equal(['duplicate']);
      expect(await store.events.get(SPACE_A, events[0]!.id)).to.deep.equal(events[0]);
      const next = makeEvent();
      await store.events.append([next], at(T0 + 1000));
      expect(idsOf(await store.events.pending(10))).to.deep.equal(idsOf([...events.slice(3), next]));
    } finally {
      await store.close();
    }
  });

  it('finishes a move cut short after the copy committed, without copying anything twice', async () => {
    const events = Array.from({ length: 3 }, () => makeEvent());
    writeOldLayout(dataDir, events, 0);
    // The copy made and committed, the old tables not yet dropped: copy them into a log file by hand.
    const log = new Database(path.join(dataDir, EVENT_LOG_FILE));
    log.prepare('ATTACH DATABASE ? AS old').run(path.join(dataDir, SQLITE_FILE));
    log.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, space_id TEXT NOT NULL, message_id TEXT NOT NULL,
      type TEXT NOT NULL, name TEXT, user_id TEXT, anonymous_id TEXT, timestamp TEXT NOT NULL, received_at TEXT NOT NULL, message TEXT NOT NULL);
      INSERT INTO events SELECT * FROM old.events;`);
    log.close();
    const { store } = openSqliteStorage({ dataDir });
    try {
      expect(tablesOf(path.join(dataDir, SQLITE_FILE))).to.deep.equal([]);
      expect(idsOf(await store.events.pending(10)), 'each event once').to.deep.equal(idsOf(events));
    } finally {
      await store.close();
    }
  });

  it('an older version run again on a moved directory: its events, numbered from 1 again, are appended, not lost', async () => {
    const first = openSqliteStorage({ dataDir });
    const moved = Array.from({ length: 3 }, () => makeEvent());
    await first.store.events.append(moved, at(T0));
    await first.store.events.markProcessed(await first.store.events.pending(10));
    await first.store.close();
    // What the older version leaves: its own tables in engine.db again, seqs from 1, the cursor where it was.
    const written = Array.from({ length: 2 }, () => makeEvent());
    const db = new Database(path.join(dataDir, SQLITE_FILE));
    db.exec(OLD_LOG_TABLES.replace('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;', ''));
    written.forEach((e, i) => {
      db.prepare(`INSERT INTO events (seq, id, space_id, message_id, type, name, user_id, anonymous_id, timestamp, received_at, message)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(i + 1, e.id, e.spaceId, e.messageId, e.type, e.name, e.userId, e.anonymousId, e.timestamp, e.receivedAt, JSON.stringify(e.message));
      db.prepare('INSERT INTO message_ids (space_id, message_id, received_at) VALUES (?, ?, ?)').run(e.spaceId, e.messageId, T0);
    });
    db.close();
    const second = openSqliteStorage({ dataDir });
    try {
      expect(idsOf(await second.store.events.pending(10)), 'after the cursor, in their order').to.deep.equal(idsOf(written));
      for (const e of [...moved, ...written]) expect(await second.store.events.get(SPACE_A, e.id), e.id).to.deep.equal(e);
      expect(await second.store.events.append([makeEvent({ messageId: written[1]!.messageId })], at(T0 + 1000))).to.deep.equal(['duplicate']);
    } finally {
      await second.store.close();
    }
  });

  it(`a new event lands after the processing cursor even when ${EVENT_LOG_FILE} is older than ${SQLITE_FILE}`, async () => {
    const first = openSqliteStorage({ dataDir });
    const old = Array.from({ length: 4 }, () => makeEvent());
    await first.store.events.append(old, at(T0));
    await first.store.events.markProcessed(await first.store.events.pending(10));
    await first.store.close();
    // As if the log had been restored from a backup taken before those four events.
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dataDir, EVENT_LOG_FILE + suffix), { force: true });
    const second = openSqliteStorage({ dataDir });
    try {
      const next = makeEvent();
      await second.store.events.append([next], at(T0 + 1000));
      expect(idsOf(await second.store.events.pending(10))).to.deep.equal([next.id]);
    } finally {
      await second.store.close();
    }
  });

  it('forgets expired message ids in chunks, one transaction each, so ingest is never locked out for the whole purge', async () => {
    const storage = openSqliteStorage({ dataDir });
    try {
      const count = PRUNE_CHUNK * 2 + 10;
      const log = new Database(path.join(dataDir, EVENT_LOG_FILE));
      const insert = log.prepare('INSERT INTO message_ids (space_id, message_id, received_at) VALUES (?, ?, ?)');
      log.transaction(() => { for (let i = 0; i < count; i++) insert.run(SPACE_A, `old-${i}`, T0 - 1000); })();
      insert.run(SPACE_A, 'kept', T0 + 1000);
      log.close();
      const before = storage.logWrites.commitCount;
      expect(await storage.store.events.pruneDedupe(T0)).to.equal(count);
      expect(storage.logWrites.commitCount - before, 'two full chunks and the rest').to.equal(3);
      expect(await storage.store.events.append([makeEvent({ messageId: 'old-7' })], at(T0 + 2000)), 'forgotten').to.deep.equal(['stored']);
      expect(await storage.store.events.append([makeEvent({ messageId: 'kept' })], at(T0 + 2000)), 'still inside the window').to.deep.equal(['duplicate']);
    } finally {
      await storage.store.close();
    }
  });
});
