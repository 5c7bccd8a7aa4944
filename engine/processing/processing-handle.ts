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
  /** Stops processing events and timers (the engine keeps accepting them). */
  stopProcessing(): Promise<void>;
  /** Stops processing and releases its resources. */
  close(): Promise<void>;
}
