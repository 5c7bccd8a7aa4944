/** How the dispatcher treats one destination instance's deliveries. */
export interface DeliveryOptions {
  /** Most sends in flight at once to this destination (default 10). */
  concurrency: number;
  /** Most sends started per second (default 0: unlimited). */
  ratePerSecond: number;
  /** Wall-clock limit of one send, requests included (default 10,000 ms). */
  timeoutMs: number;
  /** Batching, for actions with `performBatch`: 0 or 1 sends one event per call (default 0). */
  batchSize: number;
  /** Longest wait for a batch to fill (default 100 ms). */
  batchWaitMs: number;
}

/** A configured destination of a space: which plugin, its settings (secrets included) and limits. */
export interface DestinationRecord {
  id: string;
  spaceId: string;
  /** Unique in the space. */
  name: string;
  /** Plugin slug in the registry. */
  plugin: string;
  settings: Record<string, unknown>;
  enabled: boolean;
  delivery: DeliveryOptions;
  createdAt: string;
  updatedAt: string;
  /** Compare-and-set counter. */
  version: number;
}

/** Configured destinations; names are unique per space. Does not check plugin slugs or settings. */
export interface DestinationStore {
  /** `conflict` when the name is taken in the space. */
  insert(destination: DestinationRecord): Promise<'ok' | 'conflict'>;
  get(spaceId: string, id: string): Promise<DestinationRecord | null>;
  list(spaceId: string): Promise<DestinationRecord[]>;
  update(destination: DestinationRecord, expectedVersion: number): Promise<'ok' | 'conflict' | 'version_conflict'>;
  delete(spaceId: string, id: string): Promise<boolean>;
}
