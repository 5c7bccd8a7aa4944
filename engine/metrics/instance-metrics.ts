import type { FigureStore } from '../store/journey-counters.ts';
import { counterKeys } from '../store/journey-counters.ts';
import type { EngineMetrics } from './engine-metrics.ts';

/**
 * Registers the engine-wide figures read from the journey counters at scrape time: instances by
 * state (active now; completed and exited since the start of records) and deliveries retrying
 * now. One small query per scrape, nothing on the processing path; on the engine thread only, so
 * the worker's registry does not count them a second time.
 */
export function registerInstanceMetrics(metrics: EngineMetrics, figures: FigureStore): void {
  metrics.addGauge({
    name: 'journey_engine_instances', help: 'Journey instances by state (active: now; completed, exited: all time)', labelNames: ['state'],
    collect: async (gauge) => {
      const totals = await figures.gaugeTotals([counterKeys.active, counterKeys.totalCompleted, counterKeys.totalExited]);
      gauge.set({ state: 'active' }, totals[counterKeys.active] ?? 0);
      gauge.set({ state: 'completed' }, totals[counterKeys.totalCompleted] ?? 0);
      gauge.set({ state: 'exited' }, totals[counterKeys.totalExited] ?? 0);
    },
  });
  metrics.addGauge({
    name: 'journey_engine_deliveries_retrying', help: 'Deliveries waiting for their next attempt after a retryable failure',
    collect: async (gauge) => {
      gauge.set((await figures.gaugeTotals([counterKeys.deliveriesRetrying]))[counterKeys.deliveriesRetrying] ?? 0);
    },
  });
}
