import { Counter, Histogram, type Registry } from 'prom-client';

/** Where a delivery stands after an attempt (the classified verdict, with the retry policy applied). */
export type AttemptOutcome = 'delivered' | 'retrying' | 'failed';

const OUTCOMES: readonly AttemptOutcome[] = ['delivered', 'retrying', 'failed'];
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Delivery attempts by outcome and how long they took. */
export class DeliveryMetrics {
  readonly #attempts: Map<AttemptOutcome, Counter.Internal>;
  readonly #durations: Map<AttemptOutcome, Histogram.Internal<'outcome'>>;

  constructor(registry: Registry) {
    const attempts = new Counter({
      name: 'journey_engine_delivery_attempts_total',
      help: 'Delivery attempts by outcome: delivered, retrying (a retry is scheduled) or failed (for good).',
      labelNames: ['outcome'], registers: [registry],
    });
    const durations = new Histogram({
      name: 'journey_engine_delivery_attempt_duration_seconds',
      help: 'Time a delivery attempt took to send and get its answer (a batch send counts for each of its deliveries), by outcome.',
      labelNames: ['outcome'], buckets: DURATION_BUCKETS, registers: [registry],
    });
    this.#attempts = new Map(OUTCOMES.map((o) => [o, attempts.labels(o)]));
    this.#durations = new Map(OUTCOMES.map((o) => [o, durations.labels(o)]));
  }

  /** One attempt ended with `outcome`; `seconds` is null when nothing was sent (the target could not be resolved). */
  attempted(outcome: AttemptOutcome, seconds: number | null): void {
    this.#attempts.get(outcome)!.inc();
    if (seconds !== null) this.#durations.get(outcome)!.observe(seconds);
  }
}
