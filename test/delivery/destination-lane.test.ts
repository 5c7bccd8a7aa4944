import { expect } from 'chai';
import { DestinationLane, type LaneItem } from '../../engine/delivery/destination-lane.ts';
import { DEFAULT_DELIVERY_OPTIONS } from '../../engine/destination-instances/destination-input.ts';
import type { DeliveryOptions } from '../../engine/store/destination-store.ts';

interface Item extends LaneItem { n: number }

/** A lane whose calls take `callMs` and record when they started and what they carried. */
function lane(options: Partial<DeliveryOptions>, callMs = 5) {
  const calls: Array<{ at: number; items: number[] }> = [];
  let inFlight = 0;
  let peak = 0;
  const started = performance.now();
  const done: Array<() => void> = [];
  let finished = 0;
  const l = new DestinationLane<Item>({ ...DEFAULT_DELIVERY_OPTIONS, ...options }, async (items) => {
    calls.push({ at: performance.now() - started, items: items.map((i) => i.n) });
    peak = Math.max(peak, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, callMs));
    inFlight--;
    finished += items.length;
    for (const resolve of done.splice(0)) resolve();
  });
  const allDone = async (count: number) => {
    while (finished < count) await new Promise<void>((resolve) => done.push(resolve));
  };
  return { lane: l, calls, peak: () => peak, allDone };
}

describe('delivery: a destination lane', () => {
  it('never has more calls in flight than its concurrency', async () => {
    const { lane: l, peak, allDone } = lane({ concurrency: 3 }, 10);
    for (let n = 0; n < 12; n++) l.push({ n, batchKey: null });
    await allDone(12);
    expect(peak()).to.equal(3);
  });

  it('starts at most ratePerSecond calls per second (token bucket)', async () => {
    const { lane: l, calls, allDone } = lane({ concurrency: 50, ratePerSecond: 20 }, 1);
    for (let n = 0; n < 30; n++) l.push({ n, batchKey: null });
    await allDone(30);
    // A full bucket (20) goes at once; the other 10 follow at 20/s, the last about 0.5 s later.
    expect(calls.filter((c) => c.at < 100)).to.have.length.within(20, 21);
    expect(calls.at(-1)!.at).to.be.within(400, 900);
    expect(calls.map((c) => c.items[0])).to.deep.equal(Array.from({ length: 30 }, (_, n) => n));
  });

  it('batches items with the same key up to batchSize, and sends a partial batch after batchWaitMs', async () => {
    const { lane: l, calls, allDone } = lane({ concurrency: 4, batchSize: 4, batchWaitMs: 60 }, 1);
    for (let n = 0; n < 6; n++) l.push({ n, batchKey: n % 2 === 0 ? 'even' : 'odd' });
    await allDone(6);
    const batches = calls.map((c) => c.items);
    expect(batches).to.deep.include.members([[0, 2, 4], [1, 3, 5]]);
    expect(calls.every((c) => c.at >= 50), 'partial batches wait for batchWaitMs').to.equal(true);
  });

  it('sends a full batch at once, without waiting', async () => {
    const { lane: l, calls, allDone } = lane({ concurrency: 4, batchSize: 3, batchWaitMs: 5_000 }, 1);
    for (let n = 0; n < 3; n++) l.push({ n, batchKey: 'k' });
    await allDone(3);
    expect(calls).to.have.length(1);
    expect(calls[0]!.items).to.deep.equal([0, 1, 2]);
    expect(calls[0]!.at).to.be.below(1_000);
  });

  it('sends items without a batch key one per call even when batching is on', async () => {
    const { lane: l, calls, allDone } = lane({ concurrency: 4, batchSize: 10, batchWaitMs: 5_000 }, 1);
    for (let n = 0; n < 3; n++) l.push({ n, batchKey: null });
    await allDone(3);
    expect(calls.map((c) => c.items)).to.deep.equal([[0], [1], [2]]);
  });
});
