import type { MetricsSnapshot } from '../metrics/metrics-snapshot.ts';
import type { ProcessingCore } from './processing-core.ts';
import type { ProcessingHandle, ProcessingStatus } from './processing-handle.ts';

/** Processing in the engine's own thread (in-memory store: nothing else can open it). */
export class LocalProcessing implements ProcessingHandle {
  readonly #core: ProcessingCore;

  constructor(core: ProcessingCore) {
    this.#core = core;
  }

  wake(): void { this.#core.wake(); }
  invalidateJourneys(): void { this.#core.invalidateJourneys(); }
  invalidateAudiences(): void { this.#core.invalidateAudiences(); }
  invalidateDestinations(): void { this.#core.invalidateDestinations(); }
  wakeDeliveries(): void { this.#core.deliveryLoop.kick(); }
  exitVersion(spaceId: string, journeyId: string, version: number, reason: string): void {
    this.#core.exitVersion(spaceId, journeyId, version, reason);
  }
  // The core reads the same clock object as the engine.
  advanceClock(): void {}
  settle(): Promise<number> { return this.#core.settle(); }
  status(): Promise<ProcessingStatus> { return Promise.resolve(this.#core.status()); }
  // The core records into the engine's own registry.
  metrics(): Promise<MetricsSnapshot> { return Promise.resolve([]); }
  stopProcessing(): Promise<void> { return this.#core.stop(); }
  close(): Promise<void> { return this.#core.stop(); }
}
