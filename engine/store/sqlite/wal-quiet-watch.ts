/** What `PRAGMA wal_checkpoint` answers: busy flag, WAL frames, frames copied into the database. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * Watches one file's passive checkpoints and says when its WAL has been idle long enough to be
 * truncated: every frame copied, and no commit by any other connection for `quietRounds` rounds
 * in a row. Commits are seen through `PRAGMA data_version` of the checkpoint's connection, which
 * changes with every other connection's commit: the frame count alone cannot tell a WAL that
 * restarted and took as many frames as before from one nobody wrote to.
 *
 * Why truncate only then: cutting a WAL of a few hundred MB back (SQLite's journal_size_limit)
 * happens inside the commit that restarts it and took 40–90 ms on this machine's disk, stalling
 * every write waiting behind it (paced ingest p99 20–32 ms with it, 15–19 ms without, measured).
 * Truncating once writes have paused costs at most the first write after the pause that wait.
 */
export class WalQuietWatch {
  readonly #quietRounds: number;
  #lastVersion: number | null = null;
  #quiet = 0;

  constructor(quietRounds: number) {
    this.#quietRounds = quietRounds;
  }

  /**
   * Records one round: the checkpoint's result and the connection's data_version right after it.
   * True once the WAL has been fully copied, with no commit by another connection, for `quietRounds` rounds.
   */
  observe(result: CheckpointResult, dataVersion: number): boolean {
    const idle = result.busy === 0 && result.log === result.checkpointed && dataVersion === this.#lastVersion;
    this.#lastVersion = dataVersion;
    this.#quiet = idle ? this.#quiet + 1 : 0;
    return this.#quiet >= this.#quietRounds;
  }

  /** Starts counting again (after a truncation, or an attempt at one). */
  reset(): void {
    this.#quiet = 0;
    this.#lastVersion = null;
  }
}
