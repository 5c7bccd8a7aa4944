import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteStorage, SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { EVENT_LOG_FILE } from '../../engine/store/sqlite/sqlite-event-log-file.ts';
import { makeEvent, makeSpace, SPACE_A } from '../contract/store-fixtures.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

/** Waits until `check` holds, polling every 20 ms, for at most `ms`. */
async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

const sizeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

/** Events in the event log's file of a closed store, read on a connection of its own. */
function storedEvents(dataDir: string): number {
  const db = new Database(path.join(dataDir, EVENT_LOG_FILE), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Appends one small track event. */
async function appendOne(storage: ReturnType<typeof openSqliteStorage>, event: string, userId: string): Promise<void> {
  await storage.store.events.append([makeEvent({ message: { type: 'track', event, userId } })], { dedupeWindowMs: 0, now: Date.now() });
}

describe('sqlite store: WAL checkpoints on their own thread', () => {
  let dataDir: string;
  beforeEach(() => { dataDir = tempDataDir(); });
  afterEach(() => removeDir(dataDir));

  /** Writes ~4 MB of events (to the event log's file), all of which go to the WAL first. */
  async function writeEvents(storage: ReturnType<typeof openSqliteStorage>): Promise<void> {
    await storage.store.spaces.createSpace(makeSpace({ id: SPACE_A }));
    const padding = 'x'.repeat(1000);
    for (let round = 0; round < 8; round++) {
      const events = Array.from({ length: 500 }, () => makeEvent({ message: { type: 'track', event: 'Padded', userId: 'user-1', properties: { padding } } }));
      await Promise.all(events.map((event) => storage.store.events.append([event], { dedupeWindowMs: 0, now: Date.now() })));
    }
  }

  it('copies committed WAL frames into the database file while the writer never checkpoints (owner thread)', async () => {
    const storage = openSqliteStorage({ dataDir, checkpoints: 'own-thread' });
    try {
      // The writer's own threshold is far above what this test writes: only the thread can fill the file.
      expect(storage.db.pragma('wal_autocheckpoint', { simple: true })).to.be.greaterThan(10_000);
      const dbFile = path.join(dataDir, EVENT_LOG_FILE);
      const before = sizeOf(dbFile);
      await writeEvents(storage);
      // A round reports after its checkpoint: the file can grow while the round is still copying.
      const done = () => sizeOf(dbFile) > before + 3_000_000 && (storage.checkpointer?.rounds ?? 0) > 0;
      expect(await eventually(done), `database file ${sizeOf(dbFile)} bytes, ${storage.checkpointer?.rounds} rounds`).to.equal(true);
    } finally {
      await storage.store.close();
    }
  });

  it('leaves the database file alone when no connection checkpoints (external, no thread)', async () => {
    const storage = openSqliteStorage({ dataDir, checkpoints: 'external' });
    const dbFile = path.join(dataDir, EVENT_LOG_FILE);
    try {
      expect(storage.checkpointer).to.equal(null);
      const before = sizeOf(dbFile);
      await writeEvents(storage);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Everything is still in the WAL: the control for the test above.
      expect(sizeOf(dbFile)).to.be.lessThan(before + 1_000_000);
      expect(sizeOf(`${dbFile}-wal`)).to.be.greaterThan(3_000_000);
    } finally {
      await storage.store.close();
    }
  });

  it('stops the thread on close and every acknowledged write is in the file', async () => {
    const storage = openSqliteStorage({ dataDir, checkpoints: 'own-thread' });
    await writeEvents(storage);
    await storage.store.close();
    expect(storedEvents(dataDir)).to.equal(4000);
  });

  it('finishes closing in a process with nothing else to keep it alive', () => {
    // The thread does not keep the process alive while it runs; it must while it stops, or a
    // script's `await store.close()` never returns (the process leaves with code 13).
    const script = `import { openSqliteStorage } from ${JSON.stringify(new URL('../../engine/store/sqlite/open-sqlite-store.ts', import.meta.url).href)};
      const { store } = openSqliteStorage({ dataDir: ${JSON.stringify(dataDir)}, checkpoints: 'own-thread' });
      await store.close();
      console.log('closed');`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect({ status: run.status, stdout: run.stdout.trim() }, run.stderr).to.deep.equal({ status: 0, stdout: 'closed' });
  });

  it('never truncates the WAL while writes go on, and truncates one over the limit once they stop', async function () {
    this.timeout(20_000);
    // A pause of 30 rounds (1.5 s): far above the trickle's 10 ms, so a slow machine cannot fake one.
    const storage = openSqliteStorage({ dataDir, checkpoints: 'own-thread', walTruncation: { sizeLimitBytes: 1_000_000, quietRounds: 30, lightRounds: 1_000_000 } });
    const walFile = `${path.join(dataDir, EVENT_LOG_FILE)}-wal`;
    try {
      // A truncation inside the commit that restarts the WAL stalled every waiting write (see WalQuietWatch).
      expect(storage.db.pragma('journal_size_limit', { simple: true })).to.equal(-1);
      await writeEvents(storage);
      expect(sizeOf(walFile)).to.be.greaterThan(3_000_000);
      // Writes every 10 ms for 800 ms (16 checkpoint rounds): the WAL restarts between them, but its file never shrinks.
      let largest = 0;
      let shrank = 0;
      for (let i = 0; i < 80; i++) {
        await appendOne(storage, 'Trickle', 'user-2');
        const size = sizeOf(walFile);
        if (size < largest) shrank++;
        largest = Math.max(largest, size);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(shrank, 'times the WAL file shrank while writes went on').to.equal(0);
      expect(await eventually(() => sizeOf(walFile) === 0, 8000), `WAL ${sizeOf(walFile)} bytes after the writes stopped`).to.equal(true);
      await appendOne(storage, 'After', 'user-2');
    } finally {
      await storage.store.close();
    }
    expect(storedEvents(dataDir), 'every event kept through the truncation').to.equal(4081);
  });

  it('truncates an oversized WAL under a light, steady trickle of writes too, keeping every write', async function () {
    this.timeout(20_000);
    // Light: at most 64 new frames per round for 10 rounds; a pause never comes (quietRounds out of reach).
    const storage = openSqliteStorage({ dataDir, checkpoints: 'own-thread', walTruncation: { sizeLimitBytes: 1_000_000, quietRounds: 1_000_000, lightRounds: 10, lightFrames: 64 } });
    const walFile = `${path.join(dataDir, EVENT_LOG_FILE)}-wal`;
    let trickled = 0;
    try {
      await writeEvents(storage);
      expect(sizeOf(walFile)).to.be.greaterThan(3_000_000);
      let truncatedDuringTrickle = false;
      for (let i = 0; i < 200 && !truncatedDuringTrickle; i++) {
        await appendOne(storage, 'Trickle', 'user-3');
        trickled++;
        truncatedDuringTrickle = sizeOf(walFile) < 1_000_000;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(truncatedDuringTrickle, `WAL ${sizeOf(walFile)} bytes after up to 2 s of trickle`).to.equal(true);
      await appendOne(storage, 'After', 'user-3');
    } finally {
      await storage.store.close();
    }
    expect(storedEvents(dataDir), 'every event kept through the truncation').to.equal(4000 + trickled + 1);
  });

  it('restarts a WAL that back-to-back writes never let restart, once it holds the rule\'s size, and not before', async function () {
    this.timeout(20_000);
    /**
     * Commits with no pause (each waits only for the one before), as the processing thread does
     * under load, until the thread restarted a WAL, for at most `ms` or `most` writes.
     */
    async function writeWithoutPause(storage: ReturnType<typeof openSqliteStorage>, ms: number, most = Number.POSITIVE_INFINITY): Promise<number> {
      const until = Date.now() + ms;
      let written = 0;
      while (Date.now() < until && written < most && (storage.checkpointer?.restarts ?? 0) === 0) {
        await appendOne(storage, 'Busy', 'user-4');
        written++;
      }
      return written;
    }
    // 256 KB: 32 frames of 8 KB pages, passed within the first rounds.
    const small = openSqliteStorage({ dataDir, checkpoints: 'own-thread', walRestart: { bytes: 256 * 1024 } });
    let written = 0;
    try {
      written = await writeWithoutPause(small, 8000);
      expect(small.checkpointer?.restarts, `after ${written} writes`).to.be.greaterThan(0);
    } finally {
      await small.store.close();
    }
    expect(storedEvents(dataDir), 'every write kept through the restarts').to.equal(written);
    // The same writes under the default rule (64 MB, far above them), and a few rounds more: no restart.
    const otherDir = tempDataDir();
    const large = openSqliteStorage({ dataDir: otherDir, checkpoints: 'own-thread' });
    try {
      const rounds = large.checkpointer?.rounds ?? 0;
      expect(await writeWithoutPause(large, 8000, written)).to.equal(written);
      expect(await eventually(() => (large.checkpointer?.rounds ?? 0) >= rounds + 3)).to.equal(true);
      expect(large.checkpointer?.restarts).to.equal(0);
    } finally {
      await large.store.close();
      removeDir(otherDir);
    }
  });

  it('an in-memory store keeps automatic checkpoints and starts no thread', async () => {
    const storage = openSqliteStorage({ dataDir: ':memory:', checkpoints: 'own-thread' });
    expect(storage.checkpointer).to.equal(null);
    await storage.store.close();
  });
});
