import { expect } from 'chai';
import { DEFAULT_RETRY_POLICY, nextAttempt, type RetryInput } from '../../engine/delivery/retry-policy.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const SECOND = 1_000;
const HOUR = 3_600_000;
const fixed = (x: number) => (): number => x;
const input = (over: Partial<RetryInput>): RetryInput => ({ attempts: 1, firstAttemptAt: T0, now: T0, random: fixed(0.5), ...over });
const delayOf = (decision: ReturnType<typeof nextAttempt>, now: number): number => {
  if (!('retryAt' in decision)) throw new Error(`expected a retry, got ${decision.giveUp}`);
  return decision.retryAt - now;
};

describe('nextAttempt', () => {
  it('has documented defaults: 1 s base, 30 min cap, 4 h window, 30 attempts', () => {
    expect(DEFAULT_RETRY_POLICY).to.deep.equal({ baseDelayMs: 1_000, maxDelayMs: 1_800_000, maxTotalMs: 4 * HOUR, maxAttempts: 30 });
  });

  it('draws the delay after the n-th attempt uniformly from [base, base·2ⁿ] (full jitter with a floor)', () => {
    const policy = { baseDelayMs: SECOND, maxDelayMs: HOUR };
    expect(delayOf(nextAttempt(input({ attempts: 1, random: fixed(0) }), policy), T0)).to.equal(1 * SECOND);
    expect(delayOf(nextAttempt(input({ attempts: 1, random: fixed(0.999999) }), policy), T0)).to.equal(2 * SECOND);
    expect(delayOf(nextAttempt(input({ attempts: 3, random: fixed(0.5) }), policy), T0)).to.equal(4.5 * SECOND);
    expect(delayOf(nextAttempt(input({ attempts: 5, random: fixed(1 - 1e-9) }), policy), T0)).to.equal(32 * SECOND);
  });

  it('grows exponentially until the max delay, then stays there', () => {
    const policy = { baseDelayMs: SECOND, maxDelayMs: 60 * SECOND, maxAttempts: 100 };
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 10].map((attempts) => delayOf(nextAttempt(input({ attempts, random: fixed(1) }), policy), T0));
    expect(ceilings).to.deep.equal([2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * SECOND));
  });

  it('is deterministic for an injected random', () => {
    const a = nextAttempt(input({ attempts: 4, random: fixed(0.25) }));
    const b = nextAttempt(input({ attempts: 4, random: fixed(0.25) }));
    expect(a).to.deep.equal(b).and.deep.equal({ retryAt: T0 + SECOND + 0.25 * 15 * SECOND });
  });

  it('never retries earlier than Retry-After, even when the backoff is shorter', () => {
    expect(delayOf(nextAttempt(input({ retryAfterMs: 120 * SECOND, random: fixed(0) })), T0)).to.equal(120 * SECOND);
  });

  it('keeps the backoff when it is longer than Retry-After', () => {
    expect(delayOf(nextAttempt(input({ attempts: 10, retryAfterMs: 1 * SECOND, random: fixed(1) })), T0)).to.equal(1024 * SECOND);
  });

  it('honours a Retry-After longer than the max backoff delay', () => {
    expect(delayOf(nextAttempt(input({ retryAfterMs: 2 * HOUR }), { maxDelayMs: 60 * SECOND }), T0)).to.equal(2 * HOUR);
  });

  it('gives up when Retry-After points past the retry window rather than retrying early', () => {
    const now = T0 + 3.5 * HOUR;
    const decision = nextAttempt(input({ attempts: 8, now, retryAfterMs: HOUR }));
    expect(decision).to.have.property('giveUp').that.includes('Retry-After 1h').and.includes('4h retry window');
  });

  it('shortens a backoff that would overshoot the window to one last try at its end', () => {
    const now = T0 + 4 * HOUR - 10 * SECOND;
    expect(nextAttempt(input({ attempts: 12, now, random: fixed(1) }))).to.deep.equal({ retryAt: T0 + 4 * HOUR });
  });

  it('gives up once the total time has passed', () => {
    const decision = nextAttempt(input({ attempts: 14, now: T0 + 4 * HOUR }));
    expect(decision).to.deep.equal({ giveUp: 'gave up after 14 attempts: the 4h retry window has passed' });
  });

  it('gives up after the maximum number of attempts', () => {
    expect(nextAttempt(input({ attempts: 5 }), { maxAttempts: 5 })).to.deep.equal({ giveUp: 'gave up after 5 attempts (at most 5)' });
    expect(nextAttempt(input({ attempts: 4 }), { maxAttempts: 5 })).to.have.property('retryAt');
  });

  it('respects a configured window', () => {
    const policy = { maxTotalMs: 10 * 60 * SECOND };
    expect(nextAttempt(input({ attempts: 3, now: T0 + 11 * 60 * SECOND }), policy)).to.deep.equal({ giveUp: 'gave up after 3 attempts: the 10m retry window has passed' });
  });

  it('with the defaults, a delivery failing forever stops within 4 hours and after at most 30 attempts', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    let now = T0;
    let attempts = 1;
    for (;;) {
      const decision = nextAttempt({ attempts, firstAttemptAt: T0, now, random });
      if ('giveUp' in decision) break;
      expect(decision.retryAt).to.be.above(now).and.at.most(T0 + 4 * HOUR);
      now = decision.retryAt;
      attempts += 1;
    }
    expect(now - T0).to.be.at.most(4 * HOUR);
    expect(attempts).to.be.within(15, 30);
  });

  it('treats a broken random source as 0 rather than scheduling NaN', () => {
    expect(nextAttempt(input({ random: fixed(Number.NaN) }))).to.deep.equal({ retryAt: T0 + SECOND });
  });
});
