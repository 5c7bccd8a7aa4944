import { expect } from 'chai';
import { profilePermutation } from '../../bench/support/profile-order.ts';
import { benchOptions } from '../../bench/bench-options.ts';

/** Positions in `order` at which the next profile is the one after the previous (a sequential run). */
function ascendingSteps(order: Int32Array): number {
  let n = 0;
  for (let i = 1; i < order.length; i++) if (order[i] === order[i - 1]! + 1) n++;
  return n;
}

describe('benchmarks address profiles in random order (bench/support/profile-order.ts)', () => {
  it('random order is a permutation: every profile exactly once', () => {
    const order = profilePermutation(100_000, 'random');
    const seen = new Uint8Array(100_000);
    for (const p of order) seen[p]! += 1;
    expect(seen.every((n) => n === 1)).to.equal(true);
  });

  it('random order is not the written order, nor close to it', () => {
    const order = profilePermutation(100_000, 'random');
    // A shuffle has about one ascending step by chance; the written order has n - 1.
    expect(ascendingSteps(order)).to.be.below(10);
    const displaced = order.filter((p, k) => Math.abs(p - k) > 1_000).length;
    expect(displaced).to.be.above(95_000);
  });

  it('the same seed gives the same order (runs are repeatable), another seed another one', () => {
    expect(Array.from(profilePermutation(1_000, 'random'))).to.deep.equal(Array.from(profilePermutation(1_000, 'random')));
    expect(Array.from(profilePermutation(1_000, 'random', 2))).not.to.deep.equal(Array.from(profilePermutation(1_000, 'random')));
  });

  it('sequential order is the written order', () => {
    expect(Array.from(profilePermutation(5, 'sequential'))).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('BENCH_PROFILE_ORDER defaults to random and refuses anything but random or sequential', () => {
    expect(benchOptions({}).profileOrder).to.equal('random');
    expect(benchOptions({ BENCH_PROFILE_ORDER: 'sequential' }).profileOrder).to.equal('sequential');
    expect(() => benchOptions({ BENCH_PROFILE_ORDER: 'shuffled' })).to.throw(/BENCH_PROFILE_ORDER must be random or sequential, got 'shuffled'/);
  });
});
