import { expect } from 'chai';
import fc from 'fast-check';
import { catalogSightings } from '../../engine/catalog/catalog-sightings.ts';
import { MAX_CATALOG_KEYS, mergeCatalogEntry, propertyPaths } from '../../engine/catalog/merge-catalog-entry.ts';
import type { CatalogEntry } from '../../engine/store/catalog-store.ts';
import type { EventRecord, MessageType } from '../../engine/store/event-store.ts';

function event(spaceId: string, type: MessageType, name: string | null, receivedAt: string, properties: unknown): EventRecord {
  return {
    id: `evt_${receivedAt}`, spaceId, messageId: receivedAt, type, name, userId: 'u', anonymousId: null, timestamp: receivedAt, receivedAt,
    message: { type, ...(name === null ? {} : { event: name }), properties },
  };
}

/**
 * What the processor did before: each event's sighting folded in with mergeCatalogEntry, as the
 * catalog store then records it (the store merges every sighting, which sorts a lone one's keys too).
 */
function folded(events: readonly EventRecord[]): CatalogEntry[] {
  const byName = new Map<string, CatalogEntry>();
  for (const e of events) {
    if (e.type !== 'track' || e.name === null) continue;
    const sighting = { spaceId: e.spaceId, name: e.name, propertyKeys: propertyPaths(e.message['properties']), firstSeenAt: e.receivedAt, lastSeenAt: e.receivedAt };
    const key = `${e.spaceId}\u0000${e.name}`;
    const seen = byName.get(key);
    byName.set(key, seen ? mergeCatalogEntry(seen, sighting) : sighting);
  }
  return [...byName.values()].map((e) => mergeCatalogEntry(e, e));
}

describe('catalog: one sighting per event name and round (engine/catalog/catalog-sightings.ts)', () => {
  it('unions nested property paths, widens the seen-times, and leaves out other types and other spaces', () => {
    const events = [
      event('s1', 'track', 'Order', '2026-01-02T00:00:00.000Z', { total: 1, cart: { id: 'c', items: [{ sku: 'x' }] } }),
      event('s1', 'track', 'Order', '2026-01-01T00:00:00.000Z', { coupon: 'A', cart: { size: 2 } }),
      event('s2', 'track', 'Order', '2026-01-03T00:00:00.000Z', { other: true }),
      event('s1', 'identify', null, '2026-01-04T00:00:00.000Z', { ignored: 1 }),
      event('s1', 'track', 'Empty', '2026-01-05T00:00:00.000Z', undefined),
    ];
    expect(catalogSightings(events)).to.deep.equal([
      { spaceId: 's1', name: 'Order', propertyKeys: ['cart', 'cart.id', 'cart.items', 'cart.size', 'coupon', 'total'], firstSeenAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-02T00:00:00.000Z' },
      { spaceId: 's2', name: 'Order', propertyKeys: ['other'], firstSeenAt: '2026-01-03T00:00:00.000Z', lastSeenAt: '2026-01-03T00:00:00.000Z' },
      { spaceId: 's1', name: 'Empty', propertyKeys: [], firstSeenAt: '2026-01-05T00:00:00.000Z', lastSeenAt: '2026-01-05T00:00:00.000Z' },
    ]);
  });

  it('keeps the smallest keys once a name has more than the cap, as the per-event merge did', () => {
    const wide = (offset: number) => Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${String(offset + i).padStart(5, '0')}`, i]));
    const events = [0, 1200, 400, 800, 50].map((offset, i) => event('s1', 'track', 'Wide', `2026-01-0${i + 1}T00:00:00.000Z`, wide(offset)));
    const [entry] = catalogSightings(events);
    expect(entry!.propertyKeys).to.have.length(MAX_CATALOG_KEYS);
    expect(entry!.propertyKeys[0]).to.equal('k00000');
    expect(entry!.propertyKeys.at(-1)).to.equal(`k${String(MAX_CATALOG_KEYS - 1).padStart(5, '0')}`);
    expect(catalogSightings(events)).to.deep.equal(folded(events));
  });

  it('gives the same entries as folding each event in with mergeCatalogEntry, for any round', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', '__proto__', '10', '2', 'ü');
    const properties = fc.oneof(
      fc.constant(undefined), fc.constant(null), fc.array(fc.integer()),
      fc.dictionary(key, fc.oneof(fc.integer(), fc.dictionary(key, fc.oneof(fc.integer(), fc.dictionary(key, fc.dictionary(key, fc.integer())))))),
    );
    const anEvent = fc.record({
      space: fc.constantFrom('s1', 's2'), type: fc.constantFrom<MessageType>('track', 'track', 'page'), name: fc.constantFrom('A', 'B', null),
      at: fc.integer({ min: 0, max: 59 }), properties,
    }).map((e) => event(e.space, e.type, e.name, `2026-01-01T00:00:${String(e.at).padStart(2, '0')}.000Z`, e.properties));
    fc.assert(fc.property(fc.array(anEvent, { maxLength: 40 }), (events) => {
      expect(catalogSightings(events)).to.deep.equal(folded(events));
    }), { numRuns: 500 });
  });
});
