import { AggregatorRegistry, type Aggregator } from 'prom-client';

/** One metric family as prom-client's `getMetricsAsJSON` gives it: plain data that can cross threads. */
export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  aggregator: Aggregator;
  values: Array<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }>;
}

/** A registry's metrics as plain data (what the processing thread sends the engine thread at scrape time). */
export type MetricsSnapshot = MetricFamily[];

/** Copies a registry's `getMetricsAsJSON()` answer to plain families (nothing that structured clone refuses). */
export function toSnapshot(json: ReadonlyArray<object>): MetricsSnapshot {
  return json.map((metric) => {
    const { name, help, type, aggregator, values } = metric as MetricFamily;
    return { name, help, type: String(type), aggregator, values };
  });
}

/** The Prometheus text-format content type of `renderSnapshots`' text. */
export const METRICS_CONTENT_TYPE = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE;

/**
 * Merges the snapshots of several registries (the engine thread's, the processing thread's, the
 * thread's runtime metrics) into one Prometheus text exposition: a family present in several is
 * combined by its aggregator (counters and histograms summed, gauges as each declares).
 */
export async function renderSnapshots(snapshots: readonly MetricsSnapshot[]): Promise<string> {
  // prom-client drops families whose aggregator is 'omit' (process_start_time_seconds) even when
  // only one snapshot has them; here every snapshot is a different thread, never a copy.
  const families = snapshots.map((snapshot) => snapshot.map((f) => (f.aggregator === 'omit' ? { ...f, aggregator: 'first' as const } : f)));
  return AggregatorRegistry.aggregate(families).metrics();
}
