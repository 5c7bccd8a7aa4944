import type { CatalogEntry } from '../store/catalog-store.ts';
import type { EventRecord } from '../store/event-store.ts';
import { MAX_CATALOG_KEYS, propertyPaths } from './merge-catalog-entry.ts';

/** A sighting being gathered: its keys in a set, pruned to the smallest MAX_CATALOG_KEYS when it grows. */
interface Gathering {
  spaceId: string;
  name: string;
  keys: Set<string>;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** A set twice the cap is cut back to it: the result is the same, the memory stays bounded. */
const PRUNE_AT = 2 * MAX_CATALOG_KEYS;

/**
 * One catalog sighting per (space, event name) in a round of track events: the same entries as
 * folding each event's sighting in with mergeCatalogEntry (keys unioned, sorted, the smallest
 * MAX_CATALOG_KEYS kept; seen-times widened). Why not that fold: it built a set, an array and a
 * sort per event, ~15% of what the processing thread allocated during batch ingest (bench/RESULTS.md,
 * nineteenth session); here each name's keys gather in one set and are sorted once.
 */
export function catalogSightings(events: readonly EventRecord[]): CatalogEntry[] {
  const byName = new Map<string, Gathering>();
  for (const e of events) {
    if (e.type !== 'track' || e.name === null) continue;
    const key = `${e.spaceId}\u0000${e.name}`;
    let g = byName.get(key);
    if (!g) {
      g = { spaceId: e.spaceId, name: e.name, keys: new Set(), firstSeenAt: e.receivedAt, lastSeenAt: e.receivedAt };
      byName.set(key, g);
    } else {
      if (e.receivedAt < g.firstSeenAt) g.firstSeenAt = e.receivedAt;
      if (e.receivedAt > g.lastSeenAt) g.lastSeenAt = e.receivedAt;
    }
    for (const path of propertyPaths(e.message['properties'])) g.keys.add(path);
    if (g.keys.size >= PRUNE_AT) g.keys = new Set(smallest(g.keys));
  }
  return [...byName.values()].map((g) => ({
    spaceId: g.spaceId, name: g.name, propertyKeys: smallest(g.keys), firstSeenAt: g.firstSeenAt, lastSeenAt: g.lastSeenAt,
  }));
}

/** The MAX_CATALOG_KEYS smallest keys, sorted as mergeCatalogEntry sorts them. */
function smallest(keys: ReadonlySet<string>): string[] {
  return [...keys].sort().slice(0, MAX_CATALOG_KEYS);
}
