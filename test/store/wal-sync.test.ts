import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { openSqliteStorage } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { WalSync } from '../../engine/store/sqlite/wal-sync.ts';
import { firstIdAt } from '../../engine/ids.ts';
import { SPACE_A, T0, makeEvent, makeSpace } from '../contract/store-fixtures.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

describe('sqlite store: WAL synced off the committing thread (processing connection)', () => {
  let dataDir: string;
  beforeEach(() => { dataDir = tempDataDir(); });
  afterEach(() => removeDir(dataDir));

  /** Runs `check` with a WalSync of a database `name` (its WAL written first), whose commit count `commits()` tells; closes it after. */
  async function withSync(name: string, commits: () => number, check: (sync: WalSync) => Promise<void>): Promise<void> {
    const file = path.join(dataDir, name);
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(`${file}-wal`, 'frames');
    const sync = new WalSync(file, commits);
    try {
      await check(sync);
    } finally {
      await sync.close();
    }
  }

  it('commits the main file without fsync only where asked (the processing connection), and never with SQLITE_SYNCHRONOUS=normal', async () => {
    const off = openSqliteStorage({ dataDir, syncOffThread: true });
    const plain = openSqliteStorage({ dataDir: path.join(dataDir, 'plain') });
    const relaxed = openSqliteStorage({ dataDir: path.join(dataDir, 'relaxed'), synchronous: 'normal', syncOffThread: true });
    try {
      // 1 = NORMAL, 2 = FULL.
      expect(off.db.pragma('synchronous', { simple: true })).to.equal(1);
      expect(off.walSync).to.not.equal(null);
      expect(plain.db.pragma('synchronous', { simple: true })).to.equal(2);
      expect(plain.walSync).to.equal(null);
      expect(relaxed.walSync, 'SQLITE_SYNCHRONOUS=normal syncs nothing at all').to.equal(null);
    } finally {
      for (const s of [off, plain, relaxed]) await s.store.close();
    }
  });

  it('store.durable() runs an fdatasync of the WAL for what was committed before it', async () => {
    const storage = openSqliteStorage({ dataDir, syncOffThread: true });
    try {
      await storage.store.spaces.createSpace(makeSpace({ id: SPACE_A }));
      const before = storage.walSync!.syncs;
      await storage.store.durable();
      expect(storage.walSync!.syncs).to.equal(before + 1);
      // A store whose commits fsync has nothing to do.
      const plain = openSqliteStorage({ dataDir: path.join(dataDir, 'plain') });
      await plain.store.durable();
      await plain.store.close();
    } finally {
      await storage.store.close();
    }
  });

  it('purging processed events first makes the processing cursor durable: a power loss must not take it back to events gone', async () => {
    const storage = openSqliteStorage({ dataDir, syncOffThread: true });
    try {
      const old = makeEvent({ id: firstIdAt(T0 - 1000) });
      await storage.store.events.append([old], { dedupeWindowMs: 0, now: T0 });
      await storage.store.events.markProcessed(await storage.store.events.pending(10));
      const before = storage.walSync!.syncs;
      expect(await storage.store.events.purgeProcessedBefore(firstIdAt(T0), 10)).to.equal(1);
      expect(storage.walSync!.syncs).to.equal(before + 1);
    } finally {
      await storage.store.close();
    }
  });

  it('calls made while a sync runs share the next one: it starts after them, so it covers their commits', async () => {
    let commits = 1;
    await withSync('x.db', () => commits, async (sync) => {
      const first = sync.sync();
      commits = 2;
      const during = [sync.sync(), sync.sync(), sync.sync()];
      expect(during[0], 'one shared promise').to.equal(during[2]);
      expect(during[0]).to.not.equal(first);
      await Promise.all([first, ...during]);
      expect(sync.syncs, 'the running one and one more').to.equal(2);
      commits = 3;
      await sync.sync();
      expect(sync.syncs, 'a call after both have ended, with a commit since, gets its own').to.equal(3);
    });
  });

  it('a mark already covered needs no sync; one past the running sync waits for the next', async () => {
    let commits = 5;
    await withSync('m.db', () => commits, async (sync) => {
      const mark = sync.mark();
      const running = sync.sync();
      commits = 7;
      expect(sync.sync(mark), 'the running sync started after commit 5: it covers the mark').to.equal(running);
      const later = sync.sync(7);
      expect(later, 'commit 7 came after it started').to.not.equal(running);
      await later;
      expect(sync.syncs).to.equal(2);
      await sync.sync(mark);
      await sync.sync(7);
      expect(sync.syncs, 'both marks are covered now: no fdatasync').to.equal(2);
    });
  });

  it('a sync that cannot open the WAL rejects, and the next call tries again', async () => {
    const file = path.join(dataDir, 'later.db');
    fs.mkdirSync(dataDir, { recursive: true });
    const sync = new WalSync(file, () => 1);
    try {
      let error: unknown = null;
      await sync.sync().catch((e: unknown) => { error = e; });
      expect((error as NodeJS.ErrnoException | null)?.code).to.equal('ENOENT');
      fs.writeFileSync(`${file}-wal`, 'frames');
      await sync.sync();
      expect(sync.syncs).to.equal(1);
    } finally {
      await sync.close();
    }
  });
});
