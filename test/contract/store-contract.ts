import { expect } from 'chai';
import type { Store } from '../../engine/store/store.ts';
import { spaceStoreContract } from './space-store-contract.ts';
import { eventStoreContract } from './event-store-contract.ts';
import { profileStoreContract } from './profile-store-contract.ts';
import { audienceStoreContract } from './audience-store-contract.ts';
import { catalogStoreContract } from './catalog-store-contract.ts';
import { journeyStoreContract } from './journey-store-contract.ts';
import { instanceStoreContract } from './instance-store-contract.ts';
import { activityStoreContract } from './activity-store-contract.ts';
import { figureStoreContract } from './figure-store-contract.ts';
import { deliveryStoreContract } from './delivery-store-contract.ts';
import { destinationStoreContract } from './destination-store-contract.ts';
import { functionStoreContract } from './function-store-contract.ts';
import { leaseStoreContract } from './lease-store-contract.ts';
import {
  SPACE_A, T0, iso, makeAudience, makeCatalogEntry, makeCredential, makeEvent, makeProfile, makeSpace, nextVersion,
  useFreshStore, type MakeStore, type StoreUnderTest,
} from './store-fixtures.ts';

export type { MakeStore, StoreUnderTest };

/**
 * The storage port's contract, to run against every adapter. `makeStore` must give each test an
 * empty store; its `reopen` knob (omit it when the data cannot outlive the store) enables the
 * durability cases.
 */
export function storeContract(name: string, makeStore: () => Promise<{ store: Store; reopen?: () => Promise<Store>; cleanup: () => Promise<void> }>): void {
  describe(`storage contract: ${name}`, () => {
    spaceStoreContract(makeStore);
    eventStoreContract(makeStore);
    profileStoreContract(makeStore);
    audienceStoreContract(makeStore);
    catalogStoreContract(makeStore);
    journeyStoreContract(makeStore);
    instanceStoreContract(makeStore);
    activityStoreContract(makeStore);
    figureStoreContract(makeStore);
    deliveryStoreContract(makeStore);
    destinationStoreContract(makeStore);
    functionStoreContract(makeStore);
    leaseStoreContract(makeStore);
    durabilityContract(makeStore);
  });
}

/** Everything a resolved write stored is there after the store is closed and opened again. */
function durabilityContract(makeStore: MakeStore): void {
  describe('durability', () => {
    const s = useFreshStore(makeStore);

    it('keeps every kind of record across close and reopen (skipped where the store cannot outlive a close, e.g. :memory:)', async function () {
      if (!s.canReopen) this.skip();
      const space = makeSpace({ id: SPACE_A });
      const credential = makeCredential({ kind: 'admin_token', label: 'ops' });
      const event = makeEvent();
      const profile = makeProfile({ userId: 'u1', userIds: ['u1'], anonymousIds: ['a1'], email: 'ann@example.com', traits: { plan: 'pro' } });
      const audience = makeAudience({ name: 'VIP' });
      const entry = makeCatalogEntry({ propertyKeys: ['currency', 'total'] });
      await s.store.spaces.createSpace(space);
      await s.store.spaces.addCredential(credential);
      await s.store.events.append([event], { dedupeWindowMs: 60_000, now: T0 });
      await s.store.profiles.insert(profile);
      const v2 = nextVersion(profile, { traits: { plan: 'enterprise' } });
      await s.store.profiles.update(v2, 1);
      await s.store.audiences.insert(audience);
      await s.store.audiences.setByRule(SPACE_A, audience.id, profile.id, true, 2, iso(1000));
      await s.store.catalog.record([entry]);

      const store = await s.reopen();
      expect(await store.spaces.getSpace(SPACE_A)).to.deep.equal(space);
      expect(await store.spaces.findCredentialByHash(credential.hash)).to.deep.equal(credential);
      expect((await store.events.list(SPACE_A, { limit: 10 })).items).to.deep.equal([event]);
      expect(await store.events.pending(10)).to.deep.equal([event]);
      expect(await store.profiles.get(SPACE_A, profile.id)).to.deep.equal(v2);
      expect(await store.profiles.findOwner(SPACE_A, 'anonymousId', 'a1')).to.deep.equal(v2);
      expect(await store.profiles.insert(makeProfile({ userIds: ['u1'] })), 'claims survive').to.equal('identity_conflict');
      expect(await store.profiles.update(nextVersion(profile), 1), 'versions survive').to.equal('version_conflict');
      expect(await store.audiences.get(SPACE_A, audience.id)).to.deep.equal(audience);
      expect(await store.audiences.members(SPACE_A, audience.id, { after: null, limit: 10 })).to.deep.equal([profile.id]);
      await store.audiences.setByRule(SPACE_A, audience.id, profile.id, false, 1, iso(2000));
      expect(await store.audiences.members(SPACE_A, audience.id, { after: null, limit: 10 }), 'membership versions survive').to.deep.equal([profile.id]);
      expect(await store.catalog.get(SPACE_A, entry.name)).to.deep.equal(entry);
    });
  });
}
