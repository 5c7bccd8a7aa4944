/**
 * When to try a retryable delivery again, or when to stop. Pure: time and randomness come in.
 *
 * Backoff is exponential with full jitter, floored at the base delay: after the n-th failed
 * attempt the next one waits a uniformly random time in [base, min(max, base·2ⁿ)]. Why full
 * jitter: when a destination goes down, many deliveries fail together; spreading each wave over
 * the whole interval keeps the retries from arriving in synchronized bursts (the AWS
 * "Exponential Backoff and Jitter" analysis found it does the least total work), and unlike
 * decorrelated jitter it needs no state beyond the attempt count the delivery record already
 * keeps. The floor keeps a flapping endpoint from being hit again within milliseconds.
 *
 * Bounds: at most `maxAttempts` attempts, and no attempt later than `maxTotalMs` after the first
 * (Segment retries for up to 4 hours). A server's Retry-After is honoured as a lower bound on the
 * delay; if it points past the total bound the delivery gives up rather than retry early.
 */

/** Tunables of the retry schedule; every one has a default in DEFAULT_RETRY_POLICY. */
export interface RetryPolicy {
  /** Smallest delay between attempts, and the unit of the exponential growth. */
  baseDelayMs: number;
  /** Largest backoff delay (Retry-After may ask for longer). */
  maxDelayMs: number;
  /** No attempt starts later than this after the first attempt. */
  maxTotalMs: number;
  /** Most attempts in all, the first one included. */
  maxAttempts: number;
}

/**
 * Defaults: 1 s base, 30 min cap, 4 h total (as Segment), 30 attempts. The backoff ceiling
 * reaches the cap at the 11th attempt (~17 min in on average); after that attempts come every
 * ~15 min on average, so a 4-hour outage uses about 25 attempts and the window is what ends it.
 * The attempt cap is a safety net for destinations that keep answering with short Retry-Afters.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseDelayMs: 1_000,
  maxDelayMs: 30 * 60 * 1000,
  maxTotalMs: 4 * 60 * 60 * 1000,
  maxAttempts: 30,
});

/** What is known about a delivery after a retryable failure. */
export interface RetryInput {
  /** Attempts made so far, the one that just failed included (≥ 1). */
  attempts: number;
  /** Engine time (epoch ms) of the first attempt. */
  firstAttemptAt: number;
  /** Engine time (epoch ms) now. */
  now: number;
  /** The server's Retry-After, already parsed and capped by classifyOutcome. */
  retryAfterMs?: number;
  /** Uniform random number in [0, 1): Math.random in production, fixed in tests. */
  random: () => number;
}

/** The next attempt's time, or why there will be none. */
export type RetryDecision = { retryAt: number } | { giveUp: string };

/** Schedules the next attempt of a retryable delivery under `policy` (defaults filled in). */
export function nextAttempt(input: RetryInput, policy: Partial<RetryPolicy> = {}): RetryDecision {
  const { baseDelayMs, maxDelayMs, maxTotalMs, maxAttempts } = { ...DEFAULT_RETRY_POLICY, ...policy };
  const { attempts, firstAttemptAt, now, retryAfterMs } = input;
  if (attempts >= maxAttempts) return { giveUp: `gave up after ${attempts} attempts (at most ${maxAttempts})` };
  const deadline = firstAttemptAt + maxTotalMs;
  if (now >= deadline) return { giveUp: `gave up after ${attempts} attempts: the ${formatDuration(maxTotalMs)} retry window has passed` };

  const ceiling = Math.max(baseDelayMs, Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempts)));
  const backoff = baseDelayMs + clampUnit(input.random()) * (ceiling - baseDelayMs);
  const wanted = Math.max(backoff, retryAfterMs ?? 0);
  if (retryAfterMs !== undefined && now + retryAfterMs > deadline) {
    return { giveUp: `gave up after ${attempts} attempts: Retry-After ${formatDuration(retryAfterMs)} goes past the ${formatDuration(maxTotalMs)} retry window` };
  }
  // A backoff that would overshoot the window is shortened to land on its end: one last try.
  return { retryAt: Math.round(Math.min(now + wanted, deadline)) };
}

function clampUnit(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}

/** "4h", "90s", "1h 30m": durations in give-up reasons. */
function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].filter(Boolean);
  return parts.join(' ');
}
