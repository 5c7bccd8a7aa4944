import type { CatalogEntry } from '../store/catalog-store.ts';

/** The most property paths kept per event name, so a noisy producer cannot grow a row without bound. */
export const MAX_CATALOG_KEYS = 500;

/** Combines two sightings of the same event name: keys unioned (sorted, capped), seen-times widened. */
export function mergeCatalogEntry(a: CatalogEntry, b: CatalogEntry): CatalogEntry {
  const keys = new Set(a.propertyKeys);
  for (const key of b.propertyKeys) keys.add(key);
  return {
    spaceId: a.spaceId,
    name: a.name,
    propertyKeys: [...keys].sort().slice(0, MAX_CATALOG_KEYS),
    firstSeenAt: a.firstSeenAt < b.firstSeenAt ? a.firstSeenAt : b.firstSeenAt,
    lastSeenAt: a.lastSeenAt > b.lastSeenAt ? a.lastSeenAt : b.lastSeenAt,
  };
}

/** Property paths of an event's properties, nested objects in dot notation, up to three levels deep. */
export function propertyPaths(properties: unknown, prefix = '', depth = 0, out: string[] = []): string[] {
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return out;
  // for…in over own keys rather than Object.entries: no array of pairs per object, on every processed event.
  for (const key in properties) {
    if (!Object.hasOwn(properties, key)) continue;
    const value = (properties as Record<string, unknown>)[key];
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path);
    if (depth < 2 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      propertyPaths(value, path, depth + 1, out);
    }
    if (out.length >= MAX_CATALOG_KEYS) break;
  }
  return out;
}
