import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { TimerMetrics } from '../metrics/timer-metrics.ts';

/** How soon a round that fired nothing looks again at timers that are due but held back. */
const HELD_BACK_RETRY_MS = 5;

/** What the timer loop drives: the journey runtime's due-timer operations. */
export interface TimerSource {
  /** Fires up to `limit` due timers; answers how many were due. */
  fireDue(limit: number): Promise<number>;
  /** The earliest pending timer, or null. */
  nextWakeAt(): Promise<number | null>;
}

/** Options of the timer loop. */
export interface TimerLoopOptions {
  source: TimerSource;
  clock: Clock;
  logger: Logger;
  /** Timers claimed per round (default 1000). */
  batchSize?: number;
  /** Longest sleep between looks at the store, for timers written by other processes (default 1000 ms). */
  maxSleepMs?: number;
  /** Counts what fires and how late (journey timers only). */
  metrics?: TimerMetrics;
}

/**
 * Fires journey timers on time. Timers live on the instances themselves (an indexed `wakeAt`),
 * so the loop claims them in batches straight from the store and sleeps exactly until the next
 * one is due — instead of one Agenda job per timer, which would cost several database round
 * trips each and poll only every few seconds. The runtime tells the loop about new timers so it
 * can wake earlier.
 */
export class TimerLoop {
  readonly #o: Required<Omit<TimerLoopOptions, 'metrics'>>;
  readonly #metrics: TimerMetrics | null;
  /**
   * Due time of the earliest pending timer as far as the loop knows (from nextWakeAt and notify),
   * or null once a round consumed it: what a round's lateness is measured against, since the
   * source answers only how many timers it fired.
   */
  #earliestDue: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #wakeAt = Number.POSITIVE_INFINITY;
  #running = false;
  #round: Promise<void> | null = null;
  #again = false;

  constructor(options: TimerLoopOptions) {
    const { metrics, ...rest } = options;
    this.#o = { batchSize: 1000, maxSleepMs: 1000, ...rest };
    this.#metrics = metrics ?? null;
  }

  start(): void {
    this.#running = true;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#round;
  }

  /** Looks for due timers now (without waiting for the current sleep to end). */
  kick(): void {
    if (this.#running) this.#schedule(0);
  }

  /** A timer was set for `at`: wake by then. */
  notify(at: number): void {
    if (this.#earliestDue === null || at < this.#earliestDue) this.#earliestDue = at;
    if (this.#running && at < this.#wakeAt) this.#schedule(at - this.#o.clock.now());
  }

  /** Fires everything due now, repeatedly, until nothing is due (the test clock uses this). */
  async drain(): Promise<number> {
    // A round already in flight must finish first, or its effects could land after we answer.
    await this.#round;
    let fired = 0;
    for (;;) {
      const n = await this.#fire();
      fired += n;
      if (n === 0) return fired;
    }
  }

  /** Fires one batch of due timers and records it. */
  async #fire(): Promise<number> {
    const startedAt = this.#o.clock.now();
    const fired = await this.#o.source.fireDue(this.#o.batchSize);
    if (fired > 0 && this.#metrics !== null) {
      const due = this.#earliestDue;
      this.#metrics.fired(fired, due !== null && due <= startedAt ? startedAt - due : null);
      this.#earliestDue = null;
    }
    return fired;
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    const delay = Math.max(0, Math.min(delayMs, this.#o.maxSleepMs));
    if (this.#timer) clearTimeout(this.#timer);
    this.#wakeAt = this.#o.clock.now() + delay;
    this.#timer = setTimeout(() => this.#tick(), delay);
  }

  #tick(): void {
    this.#timer = null;
    this.#wakeAt = Number.POSITIVE_INFINITY;
    if (this.#round) {
      this.#again = true;
      return;
    }
    this.#round = this.#runRound().finally(() => {
      this.#round = null;
      if (this.#again) {
        this.#again = false;
        this.#schedule(0);
      }
    });
  }

  async #runRound(): Promise<void> {
    try {
      const fired = await this.#fire();
      if (fired >= this.#o.batchSize) return this.#schedule(0);
      // What the store answers replaces what the loop knew (a notified timer may be gone), but
      // timers notified while it was asked are newer than its answer.
      this.#earliestDue = null;
      const next = await this.#o.source.nextWakeAt();
      if (next !== null && (this.#earliestDue === null || next < this.#earliestDue)) this.#earliestDue = next;
      // A due timer held back (an earlier event still being stored or processed): look again
      // shortly rather than at once, which would spin on the store until it is through.
      this.#schedule(next === null ? this.#o.maxSleepMs : Math.max(fired === 0 ? HELD_BACK_RETRY_MS : 0, next - this.#o.clock.now()));
    } catch (error) {
      this.#o.logger.error('timer round failed', { error });
      this.#schedule(this.#o.maxSleepMs);
    }
  }
}
