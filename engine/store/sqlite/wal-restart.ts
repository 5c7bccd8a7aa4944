import type { Database, Statement } from 'better-sqlite3';
import type { CheckpointResult } from './wal-quiet-watch.ts';
import { withoutWaiting } from './without-waiting.ts';

/**
 * When the checkpoint thread restarts a WAL that writes never pause long enough to restart by
 * itself: once it holds `frames` frames (0: never), all copied, it catches up with what was
 * committed meanwhile in up to `catchUpPasses` more passes, then runs a RESTART checkpoint.
 */
export interface WalRestartRule {
  frames: number;
  catchUpPasses: number;
}

/** The restart rule by WAL size, for files whose page sizes differ (see walRestartRuleFor). */
export interface WalRestartSize {
  /** WAL bytes (frames × page size) from which the WAL is restarted; 0: never. */
  bytes: number;
  catchUpPasses: number;
}

/** WAL frames holding `bytes` of a file with `pageSize`-byte pages (a frame holds one page). */
export function walFrames(bytes: number, pageSize: number): number {
  return Math.ceil(bytes / pageSize);
}

/** The restart rule of `size` in frames of a file with `pageSize`-byte pages. */
export function walRestartRuleFor(size: WalRestartSize, pageSize: number): WalRestartRule {
  return { frames: walFrames(size.bytes, pageSize), catchUpPasses: size.catchUpPasses };
}

/** The checkpoint statements of the checkpoint thread's connection to one file. */
export interface WalCheckpointStatements {
  /** `PRAGMA wal_checkpoint(PASSIVE)`: copies what no reader still needs; never waits for, nor blocks, a writer. */
  passive: Statement;
  /** `PRAGMA wal_checkpoint(RESTART)`: also holds writers off while it copies, so the next write starts the WAL over. */
  restart: Statement;
}

/**
 * Makes a large WAL start over while writes go on, after a passive checkpoint answered `result`;
 * true when it ran the RESTART. Why: SQLite restarts a WAL only at a write that finds every frame
 * already copied, which never happens while a thread commits every few ms. The WAL then grew to
 * the writers' fallback threshold (~200 MB), and the commit that crossed it ran a checkpoint of its
 * own: 60–90 ms with the processing thread frozen, every ~1.4 s at 10,000 timers/s (measured,
 * bench/RESULTS.md, eleventh session). The catch-up passes leave the RESTART almost nothing to copy,
 * so writers wait for it little (p90 0.1 ms, p99 8 ms, measured); it never waits itself (busy_timeout
 * 0): with a writer or a reader in the way it does what it can and answers busy, and a later round
 * tries again (~1 attempt in 8 gets through at 10,000 timers/s, enough to keep most runs from the fallback).
 */
export function restartIfLarge(db: Database, statements: WalCheckpointStatements, rule: WalRestartRule, result: CheckpointResult, busyTimeoutMs: number): boolean {
  if (rule.frames <= 0 || result.busy !== 0 || result.log < rule.frames || result.log !== result.checkpointed) return false;
  let log = result.log;
  for (let pass = 0; pass < rule.catchUpPasses; pass++) {
    const [again] = statements.passive.all() as CheckpointResult[];
    // Fewer frames than before: a writer restarted the WAL by itself.
    if (again === undefined || again.log < log) return false;
    if (again.busy !== 0 || again.log === log) break;
    log = again.log;
  }
  withoutWaiting(db, busyTimeoutMs, () => statements.restart.all());
  return true;
}
