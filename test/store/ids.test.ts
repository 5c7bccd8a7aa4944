/**
 * Record ids: time-ordered, unique, and random where they are not ordered, with the random
 * characters drawn from a pool of cryptographic bytes (engine/ids.ts).
 */
import { expect } from 'chai';
import { decodeTime } from 'ulid';
import { firstIdAt, newId, pooledRandom } from '../../engine/ids.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('record ids', () => {
  it('sort in the order they were made, are unique, and carry the time they were made', () => {
    const before = Date.now();
    const ids = Array.from({ length: 10_000 }, () => newId());
    const after = Date.now();
    expect(new Set(ids).size).to.equal(ids.length);
    expect([...ids].sort()).to.deep.equal(ids);
    for (const id of [ids[0]!, ids[ids.length - 1]!]) {
      expect(decodeTime(id)).to.be.within(before, after);
      expect(id).to.match(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    }
    expect(firstIdAt(before) <= ids[0]!).to.equal(true);
  });

  it('ids made in different milliseconds get fresh random parts, not one counter', () => {
    const randomParts = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const id = newId();
      randomParts.add(id.slice(10, 20));
      const ms = Date.now();
      while (Date.now() === ms) { /* next millisecond */ }
    }
    expect(randomParts.size).to.equal(50);
  });

  it('the pooled source gives values in [0, 1) that spread evenly over the 32 characters, across refills', () => {
    const counts = new Array<number>(32).fill(0);
    const draws = 64_000; // more than fifteen refills of the 4 KB pool
    for (let i = 0; i < draws; i++) {
      const v = pooledRandom();
      expect(v).to.be.at.least(0).and.below(1);
      counts[Math.floor(v * CROCKFORD.length)]!++;
    }
    // Expected 2,000 each; a bias of a tenth would show as a count far outside this band.
    for (const c of counts) expect(c).to.be.within(1_700, 2_300);
  });
});
