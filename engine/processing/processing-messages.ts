import type { EngineConfig } from '../config.ts';
import type { MetricsSnapshot } from '../metrics/metrics-snapshot.ts';
import type { ProcessingStatus } from './processing-handle.ts';

/** What the engine thread hands the processing worker at start. */
export interface ProcessingWorkerData {
  config: EngineConfig;
  /** Log quietly (tests). */
  silent: boolean;
  /** The ingest thread's arrival fence (engine/ingest/arrival-fence.ts), shared memory. */
  arrivals: SharedArrayBuffer;
}

/** Engine thread → processing worker. */
export type ToWorker =
  | { type: 'wake' }
  | { type: 'invalidate-journeys' }
  | { type: 'invalidate-audiences' }
  | { type: 'invalidate-destinations' }
  | { type: 'wake-deliveries' }
  | { type: 'exit-version'; spaceId: string; journeyId: string; version: number; reason: string }
  | { type: 'advance-clock'; ms: number }
  | { type: 'settle'; id: number }
  | { type: 'status'; id: number }
  | { type: 'metrics'; id: number }
  | { type: 'stop'; id: number };

/** Processing worker → engine thread. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'start-failed'; message: string }
  | { type: 'settled'; id: number; fired: number }
  | { type: 'status'; id: number; status: ProcessingStatus }
  /** The worker's metrics (its registry and its thread's runtime), or null when they could not be read. */
  | { type: 'metrics'; id: number; metrics: MetricsSnapshot | null }
  | { type: 'stopped'; id: number };

/** The worker's answers to requests (those carrying the request's id). */
export type WorkerAnswer = Extract<FromWorker, { id: number }>;
