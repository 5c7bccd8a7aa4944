import { expect } from 'chai';
import { SPACE_A, SPACE_B, idsOf, iso, useFreshStore, type MakeStore } from './store-fixtures.ts';
import { makeDestination } from './config-fixtures.ts';
import type { DestinationRecord } from '../../engine/store/destination-store.ts';

/** The next version of a destination, as a compare-and-set caller builds it. */
function nextDestination(d: DestinationRecord, changes: Partial<DestinationRecord> = {}): DestinationRecord {
  return { ...d, ...changes, version: d.version + 1, updatedAt: iso(d.version * 1000) };
}

/** DestinationStore: names unique per space, compare-and-set on version, isolation between spaces. */
export function destinationStoreContract(makeStore: MakeStore): void {
  describe('destination store', () => {
    const s = useFreshStore(makeStore);

    it('stores a destination with its settings verbatim (keys with dots and $ included)', async () => {
      const d = makeDestination({ enabled: false, delivery: { concurrency: 2, ratePerSecond: 5, timeoutMs: 3000, batchSize: 50, batchWaitMs: 250 } });
      expect(await s.store.destinations.insert(d)).to.equal('ok');
      expect(await s.store.destinations.get(SPACE_A, d.id)).to.deep.equal(d);
      expect(await s.store.destinations.get(SPACE_A, 'no-such-destination')).to.equal(null);
      expect(await s.store.destinations.get(SPACE_B, d.id), 'no reading across spaces').to.equal(null);
    });

    it('refuses a name taken in the space; the same name in another space is fine', async () => {
      const first = makeDestination({ name: 'Slack' });
      await s.store.destinations.insert(first);
      const again = makeDestination({ name: 'Slack' });
      expect(await s.store.destinations.insert(again)).to.equal('conflict');
      expect(await s.store.destinations.get(SPACE_A, again.id)).to.equal(null);
      const inB = makeDestination({ name: 'Slack', spaceId: SPACE_B });
      expect(await s.store.destinations.insert(inB)).to.equal('ok');
      expect(await s.store.destinations.list(SPACE_A)).to.deep.equal([first]);
      expect(await s.store.destinations.list(SPACE_B)).to.deep.equal([inB]);
    });

    it('lists the destinations of the space by name', async () => {
      const c = makeDestination({ name: 'c-dest' });
      const a = makeDestination({ name: 'a-dest' });
      const b = makeDestination({ name: 'b-dest' });
      for (const d of [c, a, b]) await s.store.destinations.insert(d);
      await s.store.destinations.insert(makeDestination({ name: 'a-other', spaceId: SPACE_B }));
      expect(await s.store.destinations.list(SPACE_A)).to.deep.equal([a, b, c]);
      expect(await s.store.destinations.list('space-empty')).to.deep.equal([]);
    });

    it('updates on the expected version and refuses a stale one', async () => {
      const d = makeDestination();
      await s.store.destinations.insert(d);
      const v2 = nextDestination(d, { settings: { webhookUrl: 'https://new.example.com', 'a.b': { $c: 1 } }, enabled: false });
      expect(await s.store.destinations.update(v2, 1)).to.equal('ok');
      expect(await s.store.destinations.get(SPACE_A, d.id)).to.deep.equal(v2);
      expect(await s.store.destinations.update(nextDestination(d, { plugin: 'webhook' }), 1)).to.equal('version_conflict');
      expect(await s.store.destinations.update({ ...v2, version: 5 }, 4)).to.equal('version_conflict');
      expect(await s.store.destinations.get(SPACE_A, d.id)).to.deep.equal(v2);
      expect(await s.store.destinations.update(makeDestination({ version: 2 }), 1), 'unknown destination').to.equal('version_conflict');
    });

    it('refuses a rename to a taken name and frees the old name on a rename', async () => {
      const taken = makeDestination({ name: 'Taken' });
      const d = makeDestination({ name: 'Mine' });
      await s.store.destinations.insert(taken);
      await s.store.destinations.insert(d);
      await s.store.destinations.insert(makeDestination({ name: 'Other space', spaceId: SPACE_B }));
      expect(await s.store.destinations.update(nextDestination(d, { name: 'Taken' }), 1)).to.equal('conflict');
      expect(await s.store.destinations.get(SPACE_A, d.id)).to.deep.equal(d);
      const renamed = nextDestination(d, { name: 'Other space' });
      expect(await s.store.destinations.update(renamed, 1)).to.equal('ok');
      expect(await s.store.destinations.insert(makeDestination({ name: 'Mine' })), 'the old name is free').to.equal('ok');
      expect(await s.store.destinations.insert(makeDestination({ name: 'Other space' })), 'the new name is held').to.equal('conflict');
    });

    it('does not write or delete across spaces', async () => {
      const d = makeDestination();
      await s.store.destinations.insert(d);
      expect(await s.store.destinations.update({ ...nextDestination(d), spaceId: SPACE_B }, 1)).to.not.equal('ok');
      expect(await s.store.destinations.delete(SPACE_B, d.id)).to.equal(false);
      expect(await s.store.destinations.get(SPACE_A, d.id)).to.deep.equal(d);
      expect(await s.store.destinations.get(SPACE_B, d.id)).to.equal(null);
    });

    it('deletes one destination and frees its name', async () => {
      const d = makeDestination({ name: 'Doomed' });
      const kept = makeDestination();
      await s.store.destinations.insert(d);
      await s.store.destinations.insert(kept);
      expect(await s.store.destinations.delete(SPACE_A, d.id)).to.equal(true);
      expect(await s.store.destinations.get(SPACE_A, d.id)).to.equal(null);
      expect(idsOf(await s.store.destinations.list(SPACE_A))).to.deep.equal([kept.id]);
      expect(await s.store.destinations.delete(SPACE_A, d.id), 'already gone').to.equal(false);
      expect(await s.store.destinations.insert(makeDestination({ name: 'Doomed' }))).to.equal('ok');
    });
  });
}
