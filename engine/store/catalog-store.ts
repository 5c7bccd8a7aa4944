/** One event name seen in a space. */
export interface CatalogEntry {
  spaceId: string;
  name: string;
  /** Property paths seen (dot notation, nested objects included, capped). */
  propertyKeys: string[];
  firstSeenAt: string;
  lastSeenAt: string;
}

/** The per-space catalog of event names. */
export interface CatalogStore {
  /** Merges sightings into the catalog: keys are unioned, first/last seen widened. Idempotent. */
  record(entries: CatalogEntry[]): Promise<void>;
  list(spaceId: string): Promise<CatalogEntry[]>;
  get(spaceId: string, name: string): Promise<CatalogEntry | null>;
}
