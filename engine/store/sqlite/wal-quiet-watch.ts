/** What `PRAGMA wal_checkpoint` answers: busy flag, WAL frames, frames copied into the database. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * Watches one file's passive checkpoints and says when its WAL has been idle long enough to be
 * truncated: every frame copied, and no new frame for `quietRounds` rounds in a row.
 *
 * Why truncate only then: cutting a WAL of a few hundred MB back (SQLite's journal_size_limit)
 * happens inside the commit that restarts it and took ~46 ms on this machine's disk, stalling
 * every ingest acknowledgement behind it (paced ingest p99 20–32 ms with it, 15 ms without,
 * measured). Truncating once writes have stopped costs no waiting writer anything.
 */
export class WalQuietWatch {
  readonly #quietRounds: number;
  #lastLog = -1;
  #quiet = 0;

  constructor(quietRounds: number) {
    this.#quietRounds = quietRounds;
  }

  /** Records one round's result; true once the WAL has been idle and fully copied for `quietRounds` rounds. */
  observe(result: CheckpointResult): boolean {
    const idle = result.busy === 0 && result.log === result.checkpointed && result.log === this.#lastLog;
    this.#lastLog = result.log;
    this.#quiet = idle ? this.#quiet + 1 : 0;
    return this.#quiet >= this.#quietRounds;
  }

  /** Starts counting again (after a truncation, or an attempt at one). */
  reset(): void {
    this.#quiet = 0;
    this.#lastLog = -1;
  }
}
