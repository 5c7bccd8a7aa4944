import { Counter, Histogram, type Registry } from 'prom-client';

/** Lateness buckets (seconds): on time is a few ms; a backlog after a restart can be minutes. */
const LATENESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Journey timers fired and how late. */
export class TimerMetrics {
  readonly #fired: Counter;
  readonly #lateness: Histogram;

  constructor(registry: Registry) {
    this.#fired = new Counter({
      name: 'journey_engine_timers_fired_total',
      help: 'Journey timers (delays, hold timeouts) that came due and were fired.', registers: [registry],
    });
    this.#lateness = new Histogram({
      name: 'journey_engine_timer_lateness_seconds',
      help: 'Fire time minus due time of the earliest timer of each firing round (the round\'s other timers were due later, so were at most this late).',
      buckets: LATENESS_BUCKETS, registers: [registry],
    });
  }

  /** A round fired `count` timers; `latenessMs` of its earliest one, when its due time is known. */
  fired(count: number, latenessMs: number | null): void {
    this.#fired.inc(count);
    if (latenessMs !== null) this.#lateness.observe(Math.max(0, latenessMs) / 1000);
  }
}
