import { expect } from 'chai';
import { WalQuietWatch } from '../../engine/store/sqlite/wal-quiet-watch.ts';

describe('WalQuietWatch: when an idle WAL may be truncated', () => {
  const copied = (log: number) => ({ busy: 0, log, checkpointed: log });

  it('answers true only after the given number of rounds without a new frame, all copied', () => {
    const watch = new WalQuietWatch(3);
    expect(watch.observe(copied(100)), 'first sight: nothing to compare with').to.equal(false);
    expect(watch.observe(copied(100))).to.equal(false);
    expect(watch.observe(copied(100))).to.equal(false);
    expect(watch.observe(copied(100)), 'third idle round').to.equal(true);
  });

  it('starts again when a round sees new frames, frames not yet copied, or a busy checkpoint', () => {
    for (const interruption of [copied(120), { busy: 0, log: 100, checkpointed: 90 }, { busy: 1, log: 100, checkpointed: 100 }]) {
      const watch = new WalQuietWatch(2);
      watch.observe(copied(100));
      expect(watch.observe(copied(100))).to.equal(false);
      expect(watch.observe(interruption), JSON.stringify(interruption)).to.equal(false);
      expect(watch.observe(copied(100)), 'one idle round after it is not enough').to.equal(false);
    }
  });

  it('counts a restarted WAL (fewer frames than before) as written to', () => {
    const watch = new WalQuietWatch(1);
    watch.observe(copied(5000));
    expect(watch.observe(copied(12)), 'the WAL restarted and took 12 new frames').to.equal(false);
    expect(watch.observe(copied(12))).to.equal(true);
  });

  it('needs the full number of rounds again after reset', () => {
    const watch = new WalQuietWatch(1);
    watch.observe(copied(7));
    expect(watch.observe(copied(7))).to.equal(true);
    watch.reset();
    expect(watch.observe(copied(7))).to.equal(false);
    expect(watch.observe(copied(7))).to.equal(true);
  });
});
