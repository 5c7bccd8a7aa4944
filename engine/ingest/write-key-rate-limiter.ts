/** How often buckets that have filled up again are forgotten. */
const SWEEP_EVERY_MS = 60_000;

/** Options of the per-write-key token buckets. */
export interface WriteKeyRateLimiterOptions {
  /** Events per second each key earns; 0 turns the limiter off. */
  ratePerSecond: number;
  /** Most events a key can hold in reserve (what it may send at once after a quiet spell). */
  burst: number;
  /** Monotonic time in ms (default performance.now). */
  now?: () => number;
}

/** One key's bucket: its tokens when last touched, and when that was. */
interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per write key, counting events (a batch of 100 takes 100 tokens). A request is
 * let through when the bucket holds as many tokens as it has events, or a full bucket's worth for
 * a request larger than the burst (so that no batch is refused for ever); it may then leave the
 * bucket in debt, which later requests wait out. The long-run rate stays `ratePerSecond` either
 * way.
 *
 * Memory: one small record per write key that sent recently. A bucket that has filled up again is
 * the same as no bucket, so a sweep every minute forgets those; and only authenticated keys get a
 * bucket, so their number is bounded by the credentials issued.
 */
export class WriteKeyRateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  #sweeper: NodeJS.Timeout | null = null;

  constructor(options: WriteKeyRateLimiterOptions) {
    this.#rate = options.ratePerSecond;
    this.#burst = Math.max(1, options.burst);
    this.#now = options.now ?? (() => performance.now());
  }

  /** Events per second each key earns (0: no limit). */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** Keys with a bucket now (tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes `events` tokens from `key`'s bucket: 0 when the request may go on, else the seconds until
   * the bucket holds enough (the request's `Retry-After`; nothing was taken).
   */
  take(key: string, events: number): number {
    if (this.#rate <= 0) return 0;
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
      this.#startSweeping();
    } else {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
      bucket.at = now;
    }
    const needed = Math.min(events, this.#burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= events;
      return 0;
    }
    return Math.max(1, Math.ceil((needed - bucket.tokens) / this.#rate));
  }

  /** Forgets every bucket and stops sweeping. */
  stop(): void {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.#buckets.clear();
  }

  /** Forgets the buckets that are full again (the same as having none). */
  sweep(): void {
    const now = this.#now();
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.#rate >= this.#burst) this.#buckets.delete(key);
    }
  }

  #startSweeping(): void {
    if (this.#sweeper !== null) return;
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.#sweeper.unref();
  }
}
