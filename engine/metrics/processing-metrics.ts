import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';

/** What the processing gauges read at scrape time (ProcessingCore provides it). */
export interface ProcessingProbe {
  /** Engine time now (epoch ms). */
  now(): number;
  /** When the oldest stored event not yet processed was received (epoch ms), or null when caught up: one indexed query. */
  oldestPendingAt(): Promise<number | null>;
  /** When the earliest pending journey timer is due (epoch ms), or null: one indexed query. */
  nextTimerAt(): Promise<number | null>;
  /** Whether this process holds the processing lease and does the processor's work. */
  isProcessor(): boolean;
}

/**
 * Events processed, and how far behind processing and journey timers are. The two lag gauges are
 * read at scrape time (one indexed query each), so nothing is added to the processing loop; they
 * describe the shared database, so every engine process on it reports the same figures.
 */
export class ProcessingMetrics {
  readonly #processed: Counter;
  #probe: ProcessingProbe | null = null;

  constructor(registry: Registry, logger?: Logger) {
    this.#processed = new Counter({
      name: 'journey_engine_events_processed_total',
      help: 'Stored events applied to profiles, audiences, the catalog and journeys.', registers: [registry],
    });
    // Threads that do not process report 0; 'max' keeps the processing thread's figure when merged.
    const gauge = (name: string, help: string, read: (probe: ProcessingProbe) => Promise<number> | number) => {
      const g: Gauge = new Gauge({
        name, help, registers: [registry], aggregator: 'max',
        collect: async () => {
          if (this.#probe === null) return;
          try {
            g.set(await read(this.#probe));
          } catch (error) {
            // A failing store must not fail the scrape: the last value stays.
            logger?.warn('a processing metric could not be read', { metric: name, error });
          }
        },
      });
    };
    gauge('journey_engine_processing_lag_seconds',
      'Seconds between now and the receipt of the oldest stored event not yet processed (0 when caught up).',
      async (p) => secondsSince(p.now(), await p.oldestPendingAt()));
    gauge('journey_engine_timer_lag_seconds',
      'Seconds the earliest pending journey timer is overdue (0 when none is due).',
      async (p) => secondsSince(p.now(), await p.nextTimerAt()));
    gauge('journey_engine_processing_lease_held',
      '1 when this process holds the processing lease (applies events, fires timers, sends deliveries), else 0.',
      (p) => (p.isProcessor() ? 1 : 0));
  }

  /** Where the gauges read from (called once by the processing core). */
  watch(probe: ProcessingProbe): void {
    this.#probe = probe;
  }

  /** `n` events were applied and marked processed. */
  processed(n: number): void {
    this.#processed.inc(n);
  }
}

function secondsSince(now: number, at: number | null): number {
  return at === null ? 0 : Math.max(0, now - at) / 1000;
}
