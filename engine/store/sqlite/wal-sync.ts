import fs from 'node:fs';

/**
 * Makes a database's committed WAL frames durable with an fdatasync run on libuv's thread pool,
 * for a connection that commits with `synchronous=NORMAL` (no fsync inside COMMIT).
 *
 * Why: with `synchronous=FULL` every COMMIT waits for its fsync on the thread that commits. On
 * the processing thread that was a third of its time (profiled at 1,000 deliveries/s): time in
 * which it could not process anything. Its writes now resolve once committed, and what acts
 * outside the engine on them (a send) first asks for a sync here (Store.durable), off the thread,
 * while the thread goes on with other work. The WAL is append-only between restarts, so one
 * fdatasync makes every frame written before it durable: calls that arrive while a sync runs share the next one.
 *
 * SQLite keeps the `-wal` file (the same inode; it truncates it but never replaces it) for as long
 * as a connection to the database is open, so the descriptor opened here stays valid.
 */
export class WalSync {
  readonly #file: string;
  readonly #commits: () => number;
  #handle: Promise<fs.promises.FileHandle> | null = null;
  #running: Promise<void> | null = null;
  /** The commit count when the running sync started: it covers those commits. */
  #runningFrom = 0;
  /** The sync that starts when the running one ends: it covers every call made meanwhile. */
  #next: Promise<void> | null = null;
  /** Every commit up to this count is known to be on disk. */
  #covered = 0;
  #syncs = 0;

  /**
   * `dbFile`: the database file whose `-wal` file is synced. `commits`: how many commits its
   * connection has made so far (SqliteWriteQueue.commitCount), which marks are counted in.
   */
  constructor(dbFile: string, commits: () => number) {
    this.#file = `${dbFile}-wal`;
    this.#commits = commits;
  }

  /** A mark for "every commit made so far", for `sync(mark)` later. */
  mark(): number {
    return this.#commits();
  }

  /**
   * Resolves once every commit made before `mark` (default: before this call) is durable.
   * Why marks: a send needs only the commits up to its own record; by the time it asks, a sync
   * started since then may already have covered them, and no new one is needed.
   */
  sync(mark = this.#commits()): Promise<void> {
    if (mark <= this.#covered) return Promise.resolve();
    if (this.#running && mark <= this.#runningFrom) return this.#running;
    if (this.#next) return this.#next;
    // A sync already running started before some of the caller's commits: wait for the next one.
    if (this.#running) {
      this.#next = this.#running.catch(() => {}).then(() => {
        this.#next = null;
        return this.#start();
      });
      return this.#next;
    }
    return this.#start();
  }

  /** fdatasync calls made so far (tests read it). */
  get syncs(): number {
    return this.#syncs;
  }

  /** Closes the descriptor (after the last sync). */
  async close(): Promise<void> {
    await this.#next?.catch(() => {});
    await this.#running?.catch(() => {});
    const handle = this.#handle;
    this.#handle = null;
    if (handle) await (await handle).close();
  }

  #start(): Promise<void> {
    const from = this.#commits();
    this.#runningFrom = from;
    const run = this.#datasync().then(() => {
      this.#covered = Math.max(this.#covered, from);
    }).finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #datasync(): Promise<void> {
    this.#handle ??= fs.promises.open(this.#file, 'r');
    let handle: fs.promises.FileHandle;
    try {
      handle = await this.#handle;
    } catch (error) {
      // Not opened (the WAL not created yet?): try again next time rather than fail for ever.
      this.#handle = null;
      throw error;
    }
    this.#syncs++;
    await handle.datasync();
  }
}
