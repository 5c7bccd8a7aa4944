import { Gauge, Registry, type Aggregator } from 'prom-client';
import type { Logger } from '../logger.ts';
import { HttpMetrics } from './http-metrics.ts';
import { IngestMetrics } from './ingest-metrics.ts';
import { ProcessingMetrics } from './processing-metrics.ts';
import { TimerMetrics } from './timer-metrics.ts';
import { DeliveryMetrics } from './delivery-metrics.ts';
import { FunctionMetrics } from './function-metrics.ts';
import { toSnapshot, type MetricsSnapshot } from './metrics-snapshot.ts';
import { startThreadMetrics } from './thread-metrics.ts';

/** A gauge whose values are read when metrics are scraped. */
export interface CollectedGaugeOptions<L extends string> {
  /** `journey_engine_*`. */
  name: string;
  help: string;
  /** Bounded label names (never a user id or event name). */
  labelNames?: readonly L[];
  /**
   * How values with the same labels combine when the engine thread's and the processing thread's
   * metrics are merged (default 'sum'). Register a figure on one thread only, or use 'max'.
   */
  aggregator?: Aggregator;
  /** Sets the gauge's values at every scrape (may await one cheap query); a throw keeps the last values. */
  collect: (gauge: Gauge<L>) => void | Promise<void>;
}

/**
 * The metrics of one engine on one thread: a prom-client registry of its own (never the global
 * one, so engines started side by side in one process never share counters) and the engine's
 * metric groups. The engine thread and the processing worker each have one; /metrics merges them.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly http: HttpMetrics;
  readonly ingest: IngestMetrics;
  readonly processing: ProcessingMetrics;
  readonly timers: TimerMetrics;
  readonly deliveries: DeliveryMetrics;
  readonly functions: FunctionMetrics;
  /** 1 when the last scrape included the processing worker's metrics (or processing shares this thread), else 0. */
  readonly processingScrape: Gauge;
  readonly #logger: Logger | undefined;

  constructor(options: { logger?: Logger } = {}) {
    this.#logger = options.logger;
    startThreadMetrics();
    this.http = new HttpMetrics(this.registry);
    this.ingest = new IngestMetrics(this.registry);
    this.processing = new ProcessingMetrics(this.registry, options.logger);
    this.timers = new TimerMetrics(this.registry);
    this.deliveries = new DeliveryMetrics(this.registry);
    this.functions = new FunctionMetrics(this.registry);
    this.processingScrape = new Gauge({
      name: 'journey_engine_processing_metrics_up',
      help: '1 when the processing thread answered the last scrape in time (its metrics are included), else 0.',
      registers: [this.registry], aggregator: 'max',
    });
  }

  /**
   * Adds a gauge read at scrape time, e.g. instances by state:
   * `metrics.addGauge({ name: 'journey_engine_instances', help: '…', labelNames: ['state'], collect: async (g) => { … g.set({ state }, n) } })`.
   */
  addGauge<L extends string = string>(options: CollectedGaugeOptions<L>): Gauge<L> {
    const gauge: Gauge<L> = new Gauge<L>({
      name: options.name, help: options.help, labelNames: options.labelNames ?? [], registers: [this.registry],
      ...(options.aggregator ? { aggregator: options.aggregator } : {}),
      collect: async () => {
        try {
          await options.collect(gauge);
        } catch (error) {
          this.#logger?.warn('a metric could not be collected', { metric: options.name, error });
        }
      },
    });
    return gauge;
  }

  /** This registry's metrics as plain data. */
  async snapshot(): Promise<MetricsSnapshot> {
    return toSnapshot(await this.registry.getMetricsAsJSON());
  }
}
