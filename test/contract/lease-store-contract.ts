import { expect } from 'chai';
import { T0, useFreshStore, type MakeStore } from './store-fixtures.ts';

/** How long the test leases last (ms). */
const TTL = 10_000;

/** LeaseStore: take, renew, refuse, take over once expired, release, races. */
export function leaseStoreContract(makeStore: MakeStore): void {
  describe('lease store', () => {
    const s = useFreshStore(makeStore);

    it('takes a free lease', async () => {
      expect(await s.store.leases.acquire('log', 'p1', T0, T0 + TTL)).to.equal(true);
      expect(await s.store.leases.acquire('log', 'p2', T0 + 1, T0 + 1 + TTL), 'now held by p1').to.equal(false);
    });

    it('renews for its owner, extending it', async () => {
      await s.store.leases.acquire('log', 'p1', T0, T0 + TTL);
      expect(await s.store.leases.acquire('log', 'p1', T0 + 5000, T0 + 5000 + TTL)).to.equal(true);
      expect(await s.store.leases.acquire('log', 'p1', T0 + 5000, T0 + 5000 + TTL), 'renewing with the same term').to.equal(true);
      expect(await s.store.leases.acquire('log', 'p2', T0 + TTL + 1, T0 + 2 * TTL), 'the renewal outlasts the first term').to.equal(false);
      expect(await s.store.leases.acquire('log', 'p2', T0 + 5000 + TTL, T0 + 5000 + 2 * TTL), 'expired at its end').to.equal(true);
    });

    it('refuses another owner while the lease is unexpired, and takes it over once expired', async () => {
      await s.store.leases.acquire('log', 'p1', T0, T0 + TTL);
      expect(await s.store.leases.acquire('log', 'p2', T0, T0 + TTL)).to.equal(false);
      expect(await s.store.leases.acquire('log', 'p2', T0 + TTL - 1, T0 + 2 * TTL)).to.equal(false);
      expect(await s.store.leases.acquire('log', 'p2', T0 + TTL + 1, T0 + 2 * TTL)).to.equal(true);
      expect(await s.store.leases.acquire('log', 'p1', T0 + TTL + 2, T0 + 2 * TTL + 2), 'the old owner lost it').to.equal(false);
      expect(await s.store.leases.acquire('log', 'p2', T0 + TTL + 3, T0 + 3 * TTL), 'the new owner renews').to.equal(true);
    });

    it('keeps leases of different names apart', async () => {
      expect(await s.store.leases.acquire('log', 'p1', T0, T0 + TTL)).to.equal(true);
      expect(await s.store.leases.acquire('timers', 'p2', T0, T0 + TTL)).to.equal(true);
      expect(await s.store.leases.acquire('timers', 'p1', T0, T0 + TTL)).to.equal(false);
      expect(await s.store.leases.acquire('log', 'p2', T0, T0 + TTL)).to.equal(false);
    });

    it('releases only for the owner', async () => {
      await s.store.leases.acquire('log', 'p1', T0, T0 + TTL);
      await s.store.leases.release('log', 'p2');
      expect(await s.store.leases.acquire('log', 'p2', T0 + 1, T0 + TTL), 'a stranger cannot release it').to.equal(false);
      await s.store.leases.release('log', 'p1');
      expect(await s.store.leases.acquire('log', 'p2', T0 + 2, T0 + TTL), 'free once released, before it expires').to.equal(true);
      await s.store.leases.release('log', 'p1');
      expect(await s.store.leases.acquire('log', 'p1', T0 + 3, T0 + TTL), 'the former owner cannot release the new holder').to.equal(false);
      await s.store.leases.release('no-such-lease', 'p1');
    });

    it('gives a free lease raced for by two owners to exactly one', async () => {
      const results = await Promise.all([
        s.store.leases.acquire('log', 'p1', T0, T0 + TTL),
        s.store.leases.acquire('log', 'p2', T0, T0 + TTL),
      ]);
      expect(results.filter(Boolean), 'exactly one wins').to.have.length(1);
      const winner = results[0] ? 'p1' : 'p2';
      const loser = winner === 'p1' ? 'p2' : 'p1';
      expect(await s.store.leases.acquire('log', winner, T0 + 1, T0 + TTL)).to.equal(true);
      expect(await s.store.leases.acquire('log', loser, T0 + 1, T0 + TTL)).to.equal(false);
    });

    it('gives an expired lease raced for by two owners to exactly one', async () => {
      await s.store.leases.acquire('log', 'p0', T0, T0 + TTL);
      const later = T0 + TTL + 1;
      const results = await Promise.all([
        s.store.leases.acquire('log', 'p1', later, later + TTL),
        s.store.leases.acquire('log', 'p2', later, later + TTL),
      ]);
      expect(results.filter(Boolean), 'exactly one wins').to.have.length(1);
    });
  });
}
