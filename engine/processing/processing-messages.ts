import type { EngineConfig } from '../config.ts';

/** What the engine thread hands the processing worker at start. */
export interface ProcessingWorkerData {
  config: EngineConfig;
  /** Log quietly (tests). */
  silent: boolean;
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
  | { type: 'stop'; id: number };

/** Processing worker → engine thread. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'start-failed'; message: string }
  | { type: 'settled'; id: number; fired: number }
  | { type: 'stopped'; id: number };
