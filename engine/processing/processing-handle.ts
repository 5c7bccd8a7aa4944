import type { MetricsSnapshot } from '../metrics/metrics-snapshot.ts';

/** Whether processing is alive, as readiness reports it. */
export interface ProcessingStatus {
  /** Processing has started and is not stopping. */
  running: boolean;
  /** This process holds the processing lease (with several processes on MongoDB, only one does: information, not a fault). */
  processor: boolean;
}

/** How the engine's HTTP side talks to processing, wherever it runs (same thread or a worker). */
export interface ProcessingHandle {
  /** New events were stored. */
  wake(): void;
  invalidateJourneys(): void;
  invalidateAudiences(): void;
  invalidateDestinations(): void;
  /** Deliveries became due now (re-driven): claim them. */
  wakeDeliveries(): void;
  /** Exit every active instance of an archived version (durable: resumed after a restart). */
  exitVersion(spaceId: string, journeyId: string, version: number, reason: string): void;
  /** The test clock moved forward by `ms` (no-op when processing shares the engine's clock). */
  advanceClock(ms: number): void;
  /** Resolves once stored events are processed, due timers fired and background work done; answers timers fired. */
  settle(): Promise<number>;
  /** Whether processing is running; rejects when it does not answer within `timeoutMs`. */
  status(timeoutMs: number): Promise<ProcessingStatus>;
  /**
   * Metrics processing recorded in a registry of its own (a worker's); empty when it records into
   * the engine's. Rejects when it does not answer within `timeoutMs`.
   */
  metrics(timeoutMs: number): Promise<MetricsSnapshot>;
  /** Stops processing events and timers (the engine keeps accepting them). */
  stopProcessing(): Promise<void>;
  /** Stops processing and releases its resources. */
  close(): Promise<void>;
}
