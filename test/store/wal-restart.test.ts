import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import type { CheckpointResult } from '../../engine/store/sqlite/wal-quiet-watch.ts';
import { restartIfLarge, walRestartRuleFor, type WalCheckpointStatements, type WalRestartRule } from '../../engine/store/sqlite/wal-restart.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';
import { openWalPair } from '../support/wal-pair.ts';

/**
 * Two connections to one file, driven step by step: a writer whose transactions follow each other
 * with no pause, and the checkpoint thread's connection. Deterministic: no thread, no timer.
 */
describe('restartIfLarge: a WAL that writes never let restart', () => {
  const RULE: WalRestartRule = { frames: 30, catchUpPasses: 4 };
  const padding = 'x'.repeat(1000);
  let dataDir: string;
  let writer: Database.Database;
  let checkpointer: Database.Database;
  let statements: WalCheckpointStatements;
  let rows = 0;

  beforeEach(() => {
    dataDir = tempDataDir();
    ({ writer, checkpointer } = openWalPair(path.join(dataDir, 'wal-restart.db'), 'CREATE TABLE t (n INTEGER PRIMARY KEY, padding TEXT NOT NULL)'));
    statements = {
      passive: checkpointer.prepare('PRAGMA wal_checkpoint(PASSIVE)'),
      restart: checkpointer.prepare('PRAGMA wal_checkpoint(RESTART)'),
    };
    rows = 0;
  });

  afterEach(() => {
    writer.close();
    checkpointer.close();
    removeDir(dataDir);
  });

  const insert = (count: number) => {
    const statement = writer.prepare('INSERT INTO t (n, padding) VALUES (?, ?)');
    for (let i = 0; i < count; i++) statement.run(++rows, padding);
  };
  const commitRows = (count: number) => writer.transaction(() => insert(count)).immediate();
  const passive = () => (statements.passive.all() as CheckpointResult[])[0]!;

  /**
   * The busy writer's pattern: its next transaction is already under way when a checkpoint pass
   * copies everything, and commits after it, so no write ever finds the WAL all copied.
   */
  function passDuringATransaction(): CheckpointResult {
    writer.exec('BEGIN IMMEDIATE');
    insert(20);
    const result = passive();
    writer.exec('COMMIT');
    return result;
  }

  it('without it, such a WAL only grows (the control)', () => {
    commitRows(200);
    const first = passDuringATransaction();
    expect(first.log).to.equal(first.checkpointed);
    commitRows(10);
    expect(passive().log, 'frames after the next write').to.be.greaterThan(first.log);
  });

  // No catch-up pass: the RESTART alone copies the last commit and makes the next write start over.
  for (const catchUpPasses of [0, RULE.catchUpPasses]) {
    it(`restarts it (${catchUpPasses} catch-up passes): the next write starts the WAL over, and every row stays`, () => {
      commitRows(200);
      const result = passDuringATransaction();
      expect(result.log).to.be.at.least(RULE.frames);
      expect(restartIfLarge(checkpointer, statements, { ...RULE, catchUpPasses }, result, 5000)).to.equal(true);
      commitRows(10);
      expect(passive().log, 'frames after the next write').to.be.lessThan(result.log);
      expect(checkpointer.prepare('SELECT count(*) AS n FROM t').get()).to.deep.equal({ n: rows });
      expect(checkpointer.pragma('integrity_check', { simple: true })).to.equal('ok');
    });
  }

  it('leaves a WAL below the rule, one not all copied, and a rule of 0 frames alone', () => {
    commitRows(200);
    const result = passDuringATransaction();
    const untouched: Array<[WalRestartRule, CheckpointResult]> = [
      [{ ...RULE, frames: result.log + 1 }, result],
      [RULE, { ...result, checkpointed: result.log - 1 }],
      [RULE, { ...result, busy: 1 }],
      [{ ...RULE, frames: 0 }, result],
    ];
    for (const [rule, answer] of untouched) {
      expect(restartIfLarge(checkpointer, statements, rule, answer, 5000), JSON.stringify([rule, answer])).to.equal(false);
    }
    commitRows(10);
    expect(passive().log, 'still growing').to.be.greaterThan(result.log);
  });

  it('never waits for a reader in the way, which keeps its snapshot; the WAL restarts once the reader is done', () => {
    commitRows(200);
    const reader = new Database(path.join(dataDir, 'wal-restart.db'), { readonly: true });
    try {
      const seen = rows;
      const snapshot = reader.prepare('SELECT count(*) AS n FROM t').pluck();
      reader.exec('BEGIN');
      expect(snapshot.get()).to.equal(seen);
      const result = passDuringATransaction();
      // busy_timeout 0 inside: the reader's open snapshot makes the RESTART answer busy at once, not hang.
      expect(restartIfLarge(checkpointer, statements, { ...RULE, catchUpPasses: 0 }, result, 5000)).to.equal(true);
      commitRows(10);
      expect(snapshot.get(), 'the reader still sees its snapshot').to.equal(seen);
      const during = passive();
      expect(during.log, 'no restart under the reader').to.be.greaterThan(result.log);
      reader.exec('COMMIT');
      const again = passDuringATransaction();
      expect(restartIfLarge(checkpointer, statements, { ...RULE, catchUpPasses: 0 }, again, 5000)).to.equal(true);
      commitRows(10);
      expect(passive().log, 'restarted once the reader was done').to.be.lessThan(again.log);
    } finally {
      reader.close();
    }
    expect(checkpointer.pragma('busy_timeout', { simple: true }), 'busy timeout put back').to.equal(5000);
  });
});

describe('walRestartRuleFor: the restart size in frames of a file\'s pages', () => {
  it('divides the size by the page size, rounding up, and keeps 0 as never', () => {
    expect(walRestartRuleFor({ bytes: 64 * 1024 * 1024, catchUpPasses: 4 }, 4096)).to.deep.equal({ frames: 16_384, catchUpPasses: 4 });
    expect(walRestartRuleFor({ bytes: 64 * 1024 * 1024, catchUpPasses: 4 }, 8192)).to.deep.equal({ frames: 8192, catchUpPasses: 4 });
    expect(walRestartRuleFor({ bytes: 10_000, catchUpPasses: 1 }, 8192)).to.deep.equal({ frames: 2, catchUpPasses: 1 });
    expect(walRestartRuleFor({ bytes: 0, catchUpPasses: 4 }, 8192).frames).to.equal(0);
  });
});
