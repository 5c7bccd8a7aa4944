import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { WalQuietWatch, type CheckpointResult } from '../../engine/store/sqlite/wal-quiet-watch.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';
import { openWalPair } from '../support/wal-pair.ts';

describe('WalQuietWatch: when an idle WAL may be truncated', () => {
  const copied = (log: number) => ({ busy: 0, log, checkpointed: log });
  /** A rule with only the pause part (the light part can never trigger). */
  const quiet = (quietRounds: number) => ({ quietRounds, lightRounds: Number.POSITIVE_INFINITY, lightFrames: 0 });

  it('answers true only after the given number of rounds without a commit, every frame copied', () => {
    const watch = new WalQuietWatch(quiet(3));
    expect(watch.observe(copied(100), 7), 'first sight: nothing to compare with').to.equal(false);
    expect(watch.observe(copied(100), 7)).to.equal(false);
    expect(watch.observe(copied(100), 7)).to.equal(false);
    expect(watch.observe(copied(100), 7), 'third idle round').to.equal(true);
  });

  it('starts again after a commit, frames not yet copied, or a busy checkpoint', () => {
    const interruptions: Array<[CheckpointResult, number]> = [
      [copied(100), 8], [{ busy: 0, log: 100, checkpointed: 90 }, 7], [{ busy: 1, log: 100, checkpointed: 100 }, 7],
    ];
    for (const [result, version] of interruptions) {
      const watch = new WalQuietWatch(quiet(2));
      watch.observe(copied(100), 7);
      expect(watch.observe(copied(100), 7)).to.equal(false);
      expect(watch.observe(result, version), JSON.stringify([result, version])).to.equal(false);
      expect(watch.observe(copied(100), version), 'one idle round after it is not enough').to.equal(false);
    }
  });

  it('needs the full number of rounds again after reset', () => {
    const watch = new WalQuietWatch(quiet(1));
    watch.observe(copied(7), 1);
    expect(watch.observe(copied(7), 1)).to.equal(true);
    watch.reset();
    expect(watch.observe(copied(7), 1)).to.equal(false);
    expect(watch.observe(copied(7), 1)).to.equal(true);
  });

  it('also answers true after enough rounds of light writing, each adding at most lightFrames frames', () => {
    const watch = new WalQuietWatch({ quietRounds: 1000, lightRounds: 3, lightFrames: 10 });
    expect(watch.observe(copied(5000), 1), 'first sight').to.equal(false);
    expect(watch.observe(copied(5008), 2)).to.equal(false);
    expect(watch.observe(copied(5016), 3)).to.equal(false);
    expect(watch.observe(copied(5020), 4), 'third light round').to.equal(true);
  });

  it('counts light writing again after a heavy round, and never answers true with frames not yet copied', () => {
    const watch = new WalQuietWatch({ quietRounds: 1000, lightRounds: 2, lightFrames: 10 });
    watch.observe(copied(100), 1);
    expect(watch.observe(copied(105), 2)).to.equal(false);
    expect(watch.observe(copied(500), 3), 'a heavy round').to.equal(false);
    expect(watch.observe(copied(505), 4)).to.equal(false);
    expect(watch.observe({ busy: 0, log: 510, checkpointed: 505 }, 5), 'light, but not all copied').to.equal(false);
    // A WAL that restarted holds only new frames: 8 of them is light.
    expect(watch.observe(copied(8), 6), 'after a restart').to.equal(true);
  });

  describe('on a real WAL, watched from a second connection as the checkpoint thread does', () => {
    let dir: string;
    let writer: Database.Database;
    let checkpointer: Database.Database;
    beforeEach(() => {
      dir = tempDataDir();
      ({ writer, checkpointer } = openWalPair(path.join(dir, 'watched.db'), 'CREATE TABLE t (v INTEGER)'));
    });
    afterEach(() => {
      writer.close();
      checkpointer.close();
      removeDir(dir);
    });
    const round = (watch: WalQuietWatch) => watch.observe(
      checkpointer.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as CheckpointResult,
      checkpointer.prepare('PRAGMA data_version').pluck().get() as number,
    );

    it('sees a write that restarted the WAL with as many frames as before (the frame count alone cannot)', () => {
      const watch = new WalQuietWatch(quiet(2));
      const seen: CheckpointResult[] = [];
      for (let i = 0; i < 6; i++) {
        // One small write per round: each restarts the fully copied WAL and leaves it one frame long.
        writer.prepare('INSERT INTO t VALUES (?)').run(i);
        seen.push(checkpointer.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as CheckpointResult);
        expect(watch.observe(seen.at(-1)!, checkpointer.prepare('PRAGMA data_version').pluck().get() as number), `round ${i}`).to.equal(false);
      }
      expect(new Set(seen.slice(1).map((r) => JSON.stringify(r))).size, 'every round looked the same by its frames').to.equal(1);
      expect(round(watch)).to.equal(false);
      expect(round(watch), 'two rounds without a write').to.equal(true);
    });
  });
});
