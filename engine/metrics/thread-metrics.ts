import { Registry, collectDefaultMetrics } from 'prom-client';
import { toSnapshot, type MetricsSnapshot } from './metrics-snapshot.ts';

/** Which of an engine's threads a runtime snapshot comes from. */
export type EngineThread = 'engine' | 'processing';

/**
 * One per thread on purpose, not one per engine: heap, event-loop and GC figures belong to the
 * thread, and the GC observer and event-loop monitor that collectDefaultMetrics starts are never
 * stopped, so one per engine would pile up in a process that starts many (the test suite).
 */
let registry: Registry | null = null;

/** Starts collecting this thread's Node.js and process metrics (idempotent). */
export function startThreadMetrics(): void {
  if (registry !== null) return;
  registry = new Registry();
  collectDefaultMetrics({ register: registry });
}

/**
 * This thread's runtime metrics: the `nodejs_*` families labelled with the thread; `process_*`
 * families only from the engine thread, since a worker thread would report the same process again.
 */
export async function threadMetricsSnapshot(thread: EngineThread): Promise<MetricsSnapshot> {
  startThreadMetrics();
  const families = toSnapshot(await registry!.getMetricsAsJSON());
  const kept = thread === 'engine' ? families : families.filter((f) => f.name.startsWith('nodejs_') && f.name !== 'nodejs_version_info');
  return kept.map((f) => (f.name.startsWith('nodejs_') && f.name !== 'nodejs_version_info'
    ? { ...f, values: f.values.map((v) => ({ ...v, labels: { ...v.labels, thread } })) }
    : f));
}
