/**
 * The arrival fence ingest and the timer loop share: an arrival is visible before its time is
 * read, and until it is committed the timer loop never fires past it.
 */
import { expect } from 'chai';
import { Worker } from 'node:worker_threads';
import { ArrivalFence } from '../../engine/ingest/arrival-fence.ts';

describe('arrival fence', () => {
  it('holds every timer while an arrival is reserved, then its time until it leaves', () => {
    const fence = new ArrivalFence();
    expect(fence.earliest()).to.equal(null);
    let seenWhileStamping: ReturnType<ArrivalFence['earliest']> | undefined;
    const first = fence.enter(() => {
      seenWhileStamping = fence.earliest();
      return 5_000;
    });
    expect(seenWhileStamping, 'reserved before the clock is read').to.equal('hold');
    const second = fence.enter(() => 7_000);
    expect(fence.earliest()).to.equal(5_000);
    first.leave();
    expect(fence.earliest()).to.equal(7_000);
    second.leave();
    expect(fence.earliest()).to.equal(null);
  });

  it('holds every timer when more arrivals are in flight than it has slots', () => {
    const fence = new ArrivalFence();
    const arrivals = Array.from({ length: 4097 }, (_, i) => fence.enter(() => 1_000 + i));
    expect(fence.earliest()).to.equal('hold');
    arrivals.pop()!.leave();
    expect(fence.earliest()).to.equal(1_000);
    for (const a of arrivals) a.leave();
    expect(fence.earliest()).to.equal(null);
  });

  it('is seen by another thread through its shared buffer', async () => {
    const fence = new ArrivalFence();
    const arrival = fence.enter(() => 42_000);
    const code = `const { parentPort, workerData } = require('node:worker_threads');
      const slots = new BigInt64Array(workerData, 0, 4096);
      let low = null;
      for (const v of slots) if (v > 1n && (low === null || v < low)) low = v;
      parentPort.postMessage(Number(low));`;
    const seen = await new Promise<number>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: fence.buffer });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(seen).to.equal(42_000);
    arrival.leave();
    expect(new ArrivalFence(fence.buffer).earliest()).to.equal(null);
  });
});
