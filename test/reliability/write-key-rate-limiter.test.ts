import { expect } from 'chai';
import { WriteKeyRateLimiter } from '../../engine/ingest/write-key-rate-limiter.ts';

describe('reliability: per-write-key token buckets', () => {
  let now = 0;
  const limiter = (ratePerSecond: number, burst: number) => new WriteKeyRateLimiter({ ratePerSecond, burst, now: () => now });
  beforeEach(() => { now = 1_000_000; });

  it('lets a burst through, then refuses with the seconds until enough tokens', () => {
    const l = limiter(10, 20);
    expect(l.take('k', 20)).to.equal(0);
    expect(l.take('k', 1), 'one token takes 0.1 s: Retry-After rounds up to 1').to.equal(1);
    expect(l.take('k', 15), '15 tokens take 1.5 s').to.equal(2);
    now += 1_500;
    expect(l.take('k', 15)).to.equal(0);
    l.stop();
  });

  it('counts events, not requests, and takes nothing from a refused request', () => {
    const l = limiter(5, 10);
    expect(l.take('k', 6)).to.equal(0);
    expect(l.take('k', 5), '4 tokens left').to.equal(1);
    expect(l.take('k', 4), 'the refusal took nothing').to.equal(0);
    expect(l.take('k', 1)).to.equal(1);
    l.stop();
  });

  it('keeps keys apart', () => {
    const l = limiter(1, 3);
    expect(l.take('a', 3)).to.equal(0);
    expect(l.take('a', 1)).to.equal(1);
    expect(l.take('b', 3), 'another key has its own bucket').to.equal(0);
    l.stop();
  });

  it('lets a request larger than the burst through on a full bucket, leaving a debt that later requests wait out', () => {
    const l = limiter(10, 10);
    expect(l.take('k', 100), 'a full bucket lets a batch of 100 through').to.equal(0);
    expect(l.take('k', 1), 'a debt of 90 events plus one: 9.1 s').to.equal(10);
    expect(l.take('k', 100), 'a full bucket is needed again: 9 s to pay the debt, 1 s to fill').to.equal(10);
    now += 9_999;
    expect(l.take('k', 100), 'not a moment before').to.equal(1);
    now += 1;
    expect(l.take('k', 100)).to.equal(0);
    l.stop();
  });

  it('forgets buckets that have filled up again, and only those', () => {
    const l = limiter(10, 10);
    l.take('idle', 10);
    now += 500;
    l.take('busy', 10);
    now += 600;
    l.sweep();
    expect(l.size, 'idle is full again after 1.1 s; busy is not').to.equal(1);
    expect(l.take('busy', 10), 'busy kept its bucket').to.equal(1);
    now += 10_000;
    l.sweep();
    expect(l.size).to.equal(0);
    l.stop();
  });

  it('limits nothing with a rate of 0', () => {
    const l = limiter(0, 1);
    for (let i = 0; i < 100; i++) expect(l.take('k', 1_000)).to.equal(0);
    expect(l.size, 'and keeps no buckets').to.equal(0);
  });
});
