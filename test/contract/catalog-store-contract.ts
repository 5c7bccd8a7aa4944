import { expect } from 'chai';
import { SPACE_A, SPACE_B, iso, makeCatalogEntry, useFreshStore, type MakeStore } from './store-fixtures.ts';

/** CatalogStore: merging sightings of event names per space. */
export function catalogStoreContract(makeStore: MakeStore): void {
  describe('catalog store', () => {
    const s = useFreshStore(makeStore);

    it('stores a first sighting with its keys sorted', async () => {
      await s.store.catalog.record([makeCatalogEntry({ propertyKeys: ['total', 'currency', 'items'], firstSeenAt: iso(1000), lastSeenAt: iso(1000) })]);
      expect(await s.store.catalog.get(SPACE_A, 'Order Completed')).to.deep.equal(
        makeCatalogEntry({ propertyKeys: ['currency', 'items', 'total'], firstSeenAt: iso(1000), lastSeenAt: iso(1000) }));
      expect(await s.store.catalog.get(SPACE_A, 'Never Seen')).to.equal(null);
    });

    it('unions keys and widens first and last seen', async () => {
      await s.store.catalog.record([makeCatalogEntry({ propertyKeys: ['total', 'items'], firstSeenAt: iso(5000), lastSeenAt: iso(6000) })]);
      await s.store.catalog.record([makeCatalogEntry({ propertyKeys: ['currency', 'total', 'shipping.city'], firstSeenAt: iso(1000), lastSeenAt: iso(9000) })]);
      const widened = makeCatalogEntry({ propertyKeys: ['currency', 'items', 'shipping.city', 'total'], firstSeenAt: iso(1000), lastSeenAt: iso(9000) });
      expect(await s.store.catalog.get(SPACE_A, 'Order Completed')).to.deep.equal(widened);

      await s.store.catalog.record([makeCatalogEntry({ propertyKeys: [], firstSeenAt: iso(7000), lastSeenAt: iso(7000) })]);
      expect(await s.store.catalog.get(SPACE_A, 'Order Completed'), 'a sighting inside the range narrows nothing').to.deep.equal(widened);
    });

    it('is idempotent: recording the same sighting again changes nothing', async () => {
      const sighting = makeCatalogEntry({ name: 'Signed Up', propertyKeys: ['plan', 'source'], firstSeenAt: iso(1000), lastSeenAt: iso(2000) });
      await s.store.catalog.record([sighting]);
      await s.store.catalog.record([sighting]);
      await s.store.catalog.record([sighting, sighting]);
      expect(await s.store.catalog.list(SPACE_A)).to.deep.equal([sighting]);
    });

    it('merges several sightings of one name in one call', async () => {
      await s.store.catalog.record([
        makeCatalogEntry({ propertyKeys: ['b'], firstSeenAt: iso(2000), lastSeenAt: iso(2000) }),
        makeCatalogEntry({ propertyKeys: ['a'], firstSeenAt: iso(1000), lastSeenAt: iso(1000) }),
        makeCatalogEntry({ propertyKeys: ['c'], firstSeenAt: iso(3000), lastSeenAt: iso(3000) }),
      ]);
      expect(await s.store.catalog.get(SPACE_A, 'Order Completed')).to.deep.equal(
        makeCatalogEntry({ propertyKeys: ['a', 'b', 'c'], firstSeenAt: iso(1000), lastSeenAt: iso(3000) }));
    });

    it('lists every name of the space, and keeps spaces apart', async () => {
      await s.store.catalog.record([
        makeCatalogEntry({ spaceId: SPACE_A, name: 'Signed Up', propertyKeys: ['plan'] }),
        makeCatalogEntry({ spaceId: SPACE_A, name: 'Order Completed', propertyKeys: ['total'] }),
        makeCatalogEntry({ spaceId: SPACE_B, name: 'Order Completed', propertyKeys: ['sku'], lastSeenAt: iso(5000) }),
      ]);
      const names = (await s.store.catalog.list(SPACE_A)).map((e) => e.name).sort();
      expect(names).to.deep.equal(['Order Completed', 'Signed Up']);
      expect(await s.store.catalog.get(SPACE_A, 'Order Completed')).to.deep.equal(makeCatalogEntry({ propertyKeys: ['total'] }));
      expect(await s.store.catalog.list(SPACE_B)).to.deep.equal([
        makeCatalogEntry({ spaceId: SPACE_B, propertyKeys: ['sku'], lastSeenAt: iso(5000) }),
      ]);
      expect(await s.store.catalog.get(SPACE_B, 'Signed Up')).to.equal(null);
      expect(await s.store.catalog.list('no-such-space')).to.deep.equal([]);
    });

    it('loses no key when concurrent records merge into one entry', async () => {
      await Promise.all(Array.from({ length: 6 }, (_x, i) => s.store.catalog.record([
        makeCatalogEntry({ propertyKeys: [`k${i}`, 'shared'], firstSeenAt: iso(i * 1000), lastSeenAt: iso(i * 1000) }),
      ])));
      expect(await s.store.catalog.get(SPACE_A, 'Order Completed')).to.deep.equal(
        makeCatalogEntry({ propertyKeys: ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'shared'], firstSeenAt: iso(0), lastSeenAt: iso(5000) }));
    });
  });
}
