/**
 * The embedded store finds a user's events through user_events, which the checkpoint thread fills
 * behind the log (sqlite-user-index.ts): answers must be complete and in order whether an event is
 * indexed yet or not, and the index must follow purges, space deletions and restored files.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteStorage, SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { EVENT_LOG_FILE } from '../../engine/store/sqlite/sqlite-event-log-file.ts';
import { USER_INDEXED_SEQ_KEY, UserIndexer } from '../../engine/store/sqlite/sqlite-user-index.ts';
import type { EventRecord } from '../../engine/store/event-store.ts';
import { SPACE_A, SPACE_B, makeEvent, makeSpace } from '../contract/store-fixtures.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

type Storage = ReturnType<typeof openSqliteStorage>;
const at = { dedupeWindowMs: 24 * 3600_000, now: Date.now() };

/** An indexer on connections of its own, as the checkpoint thread runs it, to index at chosen moments. */
function ownIndexer(dataDir: string): { indexer: UserIndexer; db: Database.Database } {
  const db = new Database(path.join(dataDir, SQLITE_FILE));
  db.prepare('ATTACH DATABASE ? AS log').run(path.join(dataDir, EVENT_LOG_FILE));
  return { db, indexer: new UserIndexer(db, 'log', { busyTimeoutMs: 5000 }) };
}

const watermark = (db: Database.Database) => Number((db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(USER_INDEXED_SEQ_KEY) as string | undefined) ?? 0);
const entries = (db: Database.Database, spaceId = SPACE_A) => db.prepare('SELECT count(*) FROM user_events WHERE space_id = ?').pluck().get(spaceId) as number;

/** Every page of `userId`'s events, `limit` at a time, following the cursors. */
async function allPages(storage: Storage, query: { userId: string; name?: string }, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await storage.store.events.list(SPACE_A, { ...query, limit, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((e) => e.id));
    if (page.nextCursor === null) return ids;
    cursor = page.nextCursor;
  }
}

/** Appends `count` events of `userId` (named `name`), one request each, in order. */
async function appendEvents(storage: Storage, userId: string, count: number, name = 'Order Completed'): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  for (let i = 0; i < count; i++) {
    const event = makeEvent({ userId, name });
    await storage.store.events.append([event], at);
    events.push(event);
  }
  return events;
}

/** Runs `test` on a store without an indexer of its own and an indexer the test steps itself. */
async function withIndexer(dataDir: string, test: (storage: Storage, index: { db: Database.Database; indexer: UserIndexer }) => Promise<void>): Promise<void> {
  const storage = openSqliteStorage({ dataDir });
  const index = ownIndexer(dataDir);
  try {
    await test(storage, index);
  } finally {
    index.db.close();
    await storage.store.close();
  }
}

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sqlite store: the user index behind the event log', () => {
  let dataDir: string;
  beforeEach(() => { dataDir = tempDataDir(); });
  afterEach(() => removeDir(dataDir));

  it('lists a user\'s events newest first across the watermark, indexed ones and newer ones alike, page by page', async () => {
    await withIndexer(dataDir, async (storage, { db, indexer }) => {
      const first: EventRecord[] = [];
      for (let i = 0; i < 15; i++) {
        first.push(...await appendEvents(storage, 'user-1', 2, i % 3 === 0 ? 'Cart Viewed' : 'Order Completed'));
        await appendEvents(storage, 'user-2', 1);
      }
      expect(indexer.step()).to.equal(45);
      expect(entries(db)).to.equal(45);
      const later = await appendEvents(storage, 'user-1', 7);
      expect(watermark(db)).to.equal(45);
      const newestFirst = [...first, ...later].map((e) => e.id).reverse();
      // Pages of 4 cross the watermark inside a page; pages of 7 end exactly on it.
      expect(await allPages(storage, { userId: 'user-1' }, 4)).to.deep.equal(newestFirst);
      expect(await allPages(storage, { userId: 'user-1' }, 7)).to.deep.equal(newestFirst);
      // A filter applies on both sides.
      const carts = first.filter((e) => e.name === 'Cart Viewed').map((e) => e.id).reverse();
      expect(await allPages(storage, { userId: 'user-1', name: 'Cart Viewed' }, 3)).to.deep.equal(carts);
      expect(await allPages(storage, { userId: 'nobody' }, 5)).to.deep.equal([]);
    });
  });

  it('finds an event by messageId and user after its dedupe window, indexed or not yet', async () => {
    await withIndexer(dataDir, async (storage, { db, indexer }) => {
      const [indexed] = await appendEvents(storage, 'user-1', 1);
      await appendEvents(storage, 'user-1', 100);
      indexer.step();
      const [notYet] = await appendEvents(storage, 'user-1', 1);
      await storage.store.events.pruneDedupe(Date.now() + 1000);
      for (const event of [indexed!, notYet!]) {
        expect((await storage.store.events.findByMessageId(SPACE_A, event.messageId, { userId: 'user-1' }))?.id).to.equal(event.id);
        expect(await storage.store.events.findByMessageId(SPACE_A, event.messageId, { userId: 'user-2' })).to.equal(null);
      }
    });
  });

  it('skips the entries of purged events, and the next round deletes them', async () => {
    await withIndexer(dataDir, async (storage, { db, indexer }) => {
      const events = await appendEvents(storage, 'user-1', 6);
      indexer.step();
      await storage.store.events.markProcessed(await storage.store.events.pending(100));
      // Purges the three oldest.
      expect(await storage.store.events.purgeProcessedBefore(events[3]!.id, 100)).to.equal(3);
      expect(entries(db)).to.equal(6);
      expect(await allPages(storage, { userId: 'user-1' }, 2)).to.deep.equal(events.slice(3).map((e) => e.id).reverse());
      indexer.step();
      expect(entries(db)).to.equal(3);
      // Once the log is empty, every entry goes.
      expect(await storage.store.events.purgeProcessedBefore('~', 100)).to.equal(3);
      indexer.step();
      expect(entries(db)).to.equal(0);
    });
  });

  it('deleting a space deletes its entries and no other space\'s', async () => {
    await withIndexer(dataDir, async (storage, { db, indexer }) => {
      await storage.store.spaces.createSpace(makeSpace({ id: SPACE_A }));
      await storage.store.spaces.createSpace(makeSpace({ id: SPACE_B, name: 'Other' }));
      await appendEvents(storage, 'user-1', 3);
      await storage.store.events.append([makeEvent({ spaceId: SPACE_B, userId: 'user-1' })], at);
      indexer.step();
      expect([entries(db, SPACE_A), entries(db, SPACE_B)]).to.deep.equal([3, 1]);
      expect(await storage.store.spaces.deleteSpace(SPACE_A)).to.equal(true);
      expect([entries(db, SPACE_A), entries(db, SPACE_B)]).to.deep.equal([0, 1]);
    });
  });

  it('is kept by the checkpoint thread, off the writing threads, and survives a restart', async () => {
    let storage = openSqliteStorage({ dataDir, checkpoints: 'own-thread' });
    const events = await appendEvents(storage, 'user-1', 50);
    await storage.store.events.append(Array.from({ length: 500 }, () => makeEvent({ userId: 'user-2' })), at);
    await storage.store.events.append(Array.from({ length: 20 }, () => makeEvent({ userId: null, anonymousId: 'anon-1' })), at);
    await eventually(() => watermark(storage.db) === 570);
    expect(entries(storage.db)).to.equal(550);
    await storage.store.close();
    storage = openSqliteStorage({ dataDir, checkpoints: 'own-thread' });
    try {
      expect(watermark(storage.db)).to.equal(570);
      expect(await allPages(storage, { userId: 'user-1' }, 20)).to.deep.equal(events.map((e) => e.id).reverse());
    } finally {
      await storage.store.close();
    }
  });

  it('an in-memory store keeps its index through its write queue', async () => {
    const storage = openSqliteStorage({ dataDir: ':memory:' });
    try {
      const events = await appendEvents(storage, 'user-1', 5);
      await eventually(() => watermark(storage.db) === 5);
      expect(entries(storage.db)).to.equal(5);
      expect(await allPages(storage, { userId: 'user-1' }, 2)).to.deep.equal(events.map((e) => e.id).reverse());
    } finally {
      await storage.store.close();
    }
  });

  it('an in-memory store reports a failed indexing round, and a later round catches up once it can', async () => {
    const failures: string[] = [];
    const storage = openSqliteStorage({ dataDir: ':memory:', onUserIndexError: (message) => failures.push(message) });
    try {
      // Renamed away, the table cannot take entries: every round fails until it is back.
      storage.db.exec('ALTER TABLE user_events RENAME TO user_events_away');
      const events = await appendEvents(storage, 'user-1', 3);
      await eventually(() => failures.length >= 1);
      expect(failures[0]).to.match(/user_events/);
      expect(watermark(storage.db), 'a failed round leaves the watermark').to.equal(0);
      storage.db.exec('ALTER TABLE user_events_away RENAME TO user_events');
      await eventually(() => watermark(storage.db) === 3);
      expect(await allPages(storage, { userId: 'user-1' }, 2)).to.deep.equal(events.map((e) => e.id).reverse());
    } finally {
      await storage.store.close();
    }
  });

  it('an older data directory loses the index on the log\'s table, and its events are indexed by the thread', async () => {
    const setup = openSqliteStorage({ dataDir });
    const events = await appendEvents(setup, 'user-1', 4);
    await setup.store.close();
    const log = new Database(path.join(dataDir, EVENT_LOG_FILE));
    log.exec('CREATE INDEX events_user ON events (space_id, user_id, seq) WHERE user_id IS NOT NULL');
    log.close();
    const storage = openSqliteStorage({ dataDir, checkpoints: 'own-thread' });
    try {
      const reader = new Database(path.join(dataDir, EVENT_LOG_FILE), { readonly: true });
      const indexes = reader.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`).pluck().all();
      reader.close();
      expect(indexes).to.not.include('events_user');
      await eventually(() => watermark(storage.db) === 4);
      expect(await allPages(storage, { userId: 'user-1' }, 3)).to.deep.equal(events.map((e) => e.id).reverse());
    } finally {
      await storage.store.close();
    }
  });

  it('a log restored older than the index: new events come after the watermark, so none is missed', async () => {
    const first = openSqliteStorage({ dataDir });
    const { db, indexer } = ownIndexer(dataDir);
    await appendEvents(first, 'user-1', 10);
    indexer.step();
    db.close();
    await first.store.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dataDir, EVENT_LOG_FILE + suffix), { force: true });
    const storage = openSqliteStorage({ dataDir });
    try {
      expect(watermark(storage.db)).to.equal(10);
      const events = await appendEvents(storage, 'user-9', 3);
      expect(await allPages(storage, { userId: 'user-9' }, 2)).to.deep.equal(events.map((e) => e.id).reverse());
    } finally {
      await storage.store.close();
    }
  });
});
