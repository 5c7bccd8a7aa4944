import { Router } from 'express';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import type { ProcessingHandle } from '../processing/processing-handle.ts';
import type { EngineMetrics } from '../metrics/engine-metrics.ts';
import { METRICS_CONTENT_TYPE, renderSnapshots, type MetricsSnapshot } from '../metrics/metrics-snapshot.ts';
import { threadMetricsSnapshot } from '../metrics/thread-metrics.ts';

/** What the operations endpoints read. */
export interface OpsDeps {
  store: Pick<Store, 'ping'>;
  processing: Pick<ProcessingHandle, 'status' | 'metrics'>;
  metrics: EngineMetrics;
  logger: Logger;
  /** Whether the engine accepts events (false while starting or stopping). */
  isReady: () => boolean;
}

/** How long a scrape waits for the processing worker's metrics before answering without them. */
const SCRAPE_WORKER_TIMEOUT_MS = 2_000;
/** How long each readiness check may take before it counts as failed. */
const READY_CHECK_TIMEOUT_MS = 2_000;

/** One readiness check's result. */
interface Check {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/**
 * `GET /metrics` (Prometheus text: this thread's metrics merged with the processing worker's)
 * and `GET /ready` (readiness: the store answers and processing runs). No authentication, like
 * `/health`, which stays the liveness check.
 */
export function createOpsRoutes(deps: OpsDeps): Router {
  const router = Router();

  router.get('/metrics', async (_req, res) => {
    let worker: MetricsSnapshot = [];
    try {
      worker = await deps.processing.metrics(SCRAPE_WORKER_TIMEOUT_MS);
      deps.metrics.processingScrape.set(1);
    } catch (error) {
      // A stuck or dead worker must not take the engine's own metrics down with it.
      deps.logger.warn('the processing metrics are missing from this scrape', { error });
      deps.metrics.processingScrape.set(0);
    }
    const [own, runtime] = await Promise.all([deps.metrics.snapshot(), threadMetricsSnapshot('engine')]);
    res.set('content-type', METRICS_CONTENT_TYPE).send(await renderSnapshots([own, runtime, worker]));
  });

  router.get('/ready', async (_req, res) => {
    let processor = false;
    const [store, scheduler] = await Promise.all([
      timed(() => deps.store.ping()),
      timed(async () => {
        const status = await deps.processing.status(READY_CHECK_TIMEOUT_MS);
        processor = status.processor;
        if (!status.running) throw new Error('processing is not running');
      }),
    ]);
    const accepting = deps.isReady();
    const ready = accepting && store.ok && scheduler.ok;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      checks: { engine: { ok: accepting }, store, scheduler: { ...scheduler, processor } },
    });
  });

  return router;
}

/** Runs a check within READY_CHECK_TIMEOUT_MS and times it. */
async function timed(check: () => Promise<void>): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)), READY_CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true, latencyMs: elapsed(started) };
  } catch (error) {
    return { ok: false, latencyMs: elapsed(started), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
