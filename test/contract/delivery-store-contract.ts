import { expect } from 'chai';
import type { DeliveryRecord } from '../../engine/store/delivery-store.ts';
import { SPACE_A, SPACE_B, T0, byId, idsOf, iso, useFreshStore, type MakeStore } from './store-fixtures.ts';
import { makeDelivery, nextRev } from './runtime-fixtures.ts';

/** How long the test claims lease a delivery (ms). */
const LEASE = 30_000;

/** A delivery as a claim answers it: leased until `until`, one revision on. */
function leased(d: DeliveryRecord, until: number): DeliveryRecord {
  return { ...d, nextAttemptAt: until, rev: d.rev + 1 };
}

/** DeliveryStore: idempotency keys, compare-and-set, claims (racing ones included), the due time, listings, spaces. */
export function deliveryStoreContract(makeStore: MakeStore): void {
  describe('delivery store', () => {
    const s = useFreshStore(makeStore);

    describe('insertIfAbsent, get and update', () => {
      it('stores a delivery whole once per idempotency key and space', async () => {
        const d = makeDelivery({ attemptLog: [{ at: iso(), durationMs: 12, outcome: 'retry', status: 503, reason: 'busy', response: '{"a.b":1}' }] });
        expect(await s.store.deliveries.insertIfAbsent(d)).to.equal('inserted');
        expect(await s.store.deliveries.get(SPACE_A, d.id)).to.deep.equal(d);
        const sameKey = makeDelivery({ idempotencyKey: d.idempotencyKey, eventName: 'Other' });
        expect(await s.store.deliveries.insertIfAbsent(sameKey)).to.equal('exists');
        expect(await s.store.deliveries.insertIfAbsent({ ...d }), 'a replay').to.equal('exists');
        expect(await s.store.deliveries.get(SPACE_A, sameKey.id)).to.equal(null);
        expect(await s.store.deliveries.get(SPACE_A, d.id)).to.deep.equal(d);

        const inB = makeDelivery({ spaceId: SPACE_B, idempotencyKey: d.idempotencyKey, target: null });
        expect(await s.store.deliveries.insertIfAbsent(inB), 'the key is free in another space').to.equal('inserted');
        expect(await s.store.deliveries.get(SPACE_B, inB.id)).to.deep.equal(inB);
        expect(await s.store.deliveries.get(SPACE_B, d.id), 'no reading across spaces').to.equal(null);
        expect(await s.store.deliveries.get(SPACE_A, 'no-such-delivery')).to.equal(null);
      });

      it('writes over the expected revision only', async () => {
        const d = makeDelivery();
        await s.store.deliveries.insertIfAbsent(d);
        const retrying = nextRev(d, { status: 'retrying', nextAttemptAt: T0 + 5000, attempts: 1, windowAttempts: 1, firstAttemptAt: iso(), reason: 'HTTP 503' });
        expect(await s.store.deliveries.update(retrying, 0)).to.equal('ok');
        expect(await s.store.deliveries.get(SPACE_A, d.id)).to.deep.equal(retrying);
        expect(await s.store.deliveries.update(nextRev(d, { status: 'failed' }), 0), 'stale revision').to.equal('version_conflict');
        expect(await s.store.deliveries.update({ ...nextRev(retrying), spaceId: SPACE_B }, 1), 'another space').to.equal('version_conflict');
        expect(await s.store.deliveries.update(makeDelivery({ rev: 1 }), 0), 'not stored').to.equal('version_conflict');
        expect(await s.store.deliveries.get(SPACE_A, d.id)).to.deep.equal(retrying);

        const delivered = nextRev(retrying, { status: 'delivered', nextAttemptAt: null, attempts: 2, deliveredAt: iso(6000), reason: null });
        expect(await s.store.deliveries.update(delivered, 1)).to.equal('ok');
        expect(await s.store.deliveries.get(SPACE_A, d.id)).to.deep.equal(delivered);
      });
    });

    describe('claimDue and nextDueAt', () => {
      it('claims open due deliveries across spaces, earliest first, up to the limit, by leasing them', async () => {
        const late = makeDelivery({ nextAttemptAt: T0 });
        const early = makeDelivery({ spaceId: SPACE_B, status: 'retrying', nextAttemptAt: T0 - 2000, attempts: 1, rev: 3 });
        const middle = makeDelivery({ nextAttemptAt: T0 - 1000 });
        const future = makeDelivery({ nextAttemptAt: T0 + 1 });
        const closed = [
          makeDelivery({ status: 'delivered', nextAttemptAt: null }), makeDelivery({ status: 'skipped', nextAttemptAt: null }),
          makeDelivery({ status: 'failed', nextAttemptAt: T0 - 5000 }), makeDelivery({ nextAttemptAt: null }),
        ];
        for (const d of [late, early, middle, future, ...closed]) await s.store.deliveries.insertIfAbsent(d);
        expect(await s.store.deliveries.nextDueAt()).to.equal(T0 - 2000);

        const first = await s.store.deliveries.claimDue(T0, T0 + LEASE, 2);
        expect(first).to.deep.equal([leased(early, T0 + LEASE), leased(middle, T0 + LEASE)]);
        expect(await s.store.deliveries.get(SPACE_B, early.id), 'the claim is stored').to.deep.equal(leased(early, T0 + LEASE));
        expect(await s.store.deliveries.nextDueAt()).to.equal(T0);
        expect(await s.store.deliveries.claimDue(T0, T0 + LEASE, 10)).to.deep.equal([leased(late, T0 + LEASE)]);
        expect(await s.store.deliveries.claimDue(T0, T0 + LEASE, 10), 'leased ones are skipped, future ones not due').to.deep.equal([]);
        expect(await s.store.deliveries.nextDueAt()).to.equal(T0 + 1);
        for (const d of closed) expect(await s.store.deliveries.get(SPACE_A, d.id), 'closed ones untouched').to.deep.equal(d);
      });

      it('with onlyLeased, claims hand-offs and retries under a claim, and leaves retries waiting out their backoff', async () => {
        const handOff = makeDelivery({ nextAttemptAt: T0 + 500 });
        const backoff = makeDelivery({ status: 'retrying', nextAttemptAt: T0 + 100, attempts: 1 });
        const inFlight = makeDelivery({ status: 'retrying', nextAttemptAt: T0 - 100, attempts: 1 });
        for (const d of [handOff, backoff, inFlight]) await s.store.deliveries.insertIfAbsent(d);
        // A claim leases the retry being sent (its process then dies, say).
        const [claimed] = await s.store.deliveries.claimDue(T0, T0 + 200, 1);
        expect(claimed).to.deep.equal(leased(inFlight, T0 + 200));
        const recovered = await s.store.deliveries.claimDue(T0 + 1000, T0 + LEASE, 10, { onlyLeased: true });
        expect(byId(recovered)).to.deep.equal(byId([leased(handOff, T0 + LEASE), leased(claimed!, T0 + LEASE)]));
        expect(await s.store.deliveries.get(SPACE_A, backoff.id), 'the retry keeps its time').to.deep.equal(backoff);
        expect(await s.store.deliveries.claimDue(T0 + 1000, T0 + LEASE, 10), 'without the option, the retry is due').to.deep.equal([leased(backoff, T0 + LEASE)]);
        // Once an outcome is written, the delivery is no longer under a lease.
        const reclaimed = recovered.find((d) => d.id === inFlight.id)!;
        expect(await s.store.deliveries.update(nextRev(reclaimed, { nextAttemptAt: T0 + 500 }), reclaimed.rev)).to.equal('ok');
        expect(await s.store.deliveries.claimDue(T0 + 1000, T0 + LEASE, 10, { onlyLeased: true })).to.deep.equal([]);
      });

      it('claims a leased delivery again once its lease has ended; the claim moves the revision on', async () => {
        const d = makeDelivery({ nextAttemptAt: T0 });
        await s.store.deliveries.insertIfAbsent(d);
        const [claim] = await s.store.deliveries.claimDue(T0, T0 + LEASE, 5);
        expect(claim).to.deep.equal(leased(d, T0 + LEASE));
        expect(await s.store.deliveries.claimDue(T0 + LEASE - 1, T0 + 2 * LEASE, 5)).to.deep.equal([]);
        expect(await s.store.deliveries.update(nextRev(d, { status: 'delivered', nextAttemptAt: null }), 0), 'the claim bumped the revision').to.equal('version_conflict');

        const [reclaim] = await s.store.deliveries.claimDue(T0 + LEASE, T0 + 2 * LEASE, 5);
        expect(reclaim, 'claimable at its lease end').to.deep.equal(leased(claim!, T0 + 2 * LEASE));
        expect(await s.store.deliveries.update(nextRev(claim!, { status: 'delivered', nextAttemptAt: null }), claim!.rev), 'the first claimer lost it').to.equal('version_conflict');
        const delivered = nextRev(reclaim!, { status: 'delivered', nextAttemptAt: null, deliveredAt: iso(LEASE) });
        expect(await s.store.deliveries.update(delivered, reclaim!.rev)).to.equal('ok');
        expect(await s.store.deliveries.claimDue(T0 + 10 * LEASE, T0 + 11 * LEASE, 5)).to.deep.equal([]);
        expect(await s.store.deliveries.nextDueAt()).to.equal(null);
      });

      it('never hands the same delivery to two claims racing each other', async () => {
        const all: DeliveryRecord[] = [];
        for (let n = 0; n < 24; n += 1) all.push(makeDelivery({ spaceId: n % 2 === 0 ? SPACE_A : SPACE_B, nextAttemptAt: T0 - n }));
        for (const d of all) await s.store.deliveries.insertIfAbsent(d);

        for (let round = 0; round < 3; round += 1) {
          const now = T0 + round * LEASE;
          const claims = await Promise.all([1, 2, 3, 4].map(() => s.store.deliveries.claimDue(now, now + LEASE, 9)));
          const ids = claims.flatMap(idsOf);
          expect(new Set(ids).size, `round ${round}: no delivery claimed twice`).to.equal(ids.length);
          for (const claim of claims) {
            expect(claim.length).to.be.at.most(9);
            for (const d of claim) {
              const stored = await s.store.deliveries.get(d.spaceId, d.id);
              expect(d, 'what a claim answers is what is stored').to.deep.equal(stored);
              expect(d.nextAttemptAt).to.equal(now + LEASE);
            }
          }
          const rest = await s.store.deliveries.claimDue(now, now + LEASE, 100);
          expect(byId([...claims.flat(), ...rest]).map((d) => d.id), 'every due delivery claimed exactly once').to.deep.equal(idsOf(byId(all)));
        }
      });
    });

    describe('listings', () => {
      it('list pages a space\'s deliveries in id order, by status and journey', async () => {
        const r = [
          makeDelivery({ journeyId: 'j1', status: 'pending' }), makeDelivery({ journeyId: 'j2', status: 'failed', nextAttemptAt: null }),
          makeDelivery({ journeyId: 'j1', status: 'failed', nextAttemptAt: null }), makeDelivery({ journeyId: 'j2', status: 'pending' }),
          makeDelivery({ journeyId: 'j1', status: 'delivered', nextAttemptAt: null }),
        ];
        for (const d of [...r].reverse()) await s.store.deliveries.insertIfAbsent(d);
        await s.store.deliveries.insertIfAbsent(makeDelivery({ spaceId: SPACE_B, journeyId: 'j1' }));
        const ids = (...n: number[]) => n.map((k) => r[k]!.id);

        expect(await s.store.deliveries.list(SPACE_A, { limit: 10 })).to.deep.equal(r);
        expect(idsOf(await s.store.deliveries.list(SPACE_A, { after: null, limit: 2 }))).to.deep.equal(ids(0, 1));
        expect(idsOf(await s.store.deliveries.list(SPACE_A, { after: r[1]!.id, limit: 2 }))).to.deep.equal(ids(2, 3));
        expect(idsOf(await s.store.deliveries.list(SPACE_A, { after: r[4]!.id, limit: 2 }))).to.deep.equal([]);
        expect(idsOf(await s.store.deliveries.list(SPACE_A, { status: 'failed', limit: 10 }))).to.deep.equal(ids(1, 2));
        expect(idsOf(await s.store.deliveries.list(SPACE_A, { journeyId: 'j1', limit: 10 }))).to.deep.equal(ids(0, 2, 4));
        expect(idsOf(await s.store.deliveries.list(SPACE_A, { journeyId: 'j1', status: 'failed', limit: 10 }))).to.deep.equal(ids(2));
        expect(idsOf(await s.store.deliveries.list(SPACE_A, { journeyId: 'j2', after: r[1]!.id, limit: 10 }))).to.deep.equal(ids(3));
        expect(await s.store.deliveries.list(SPACE_A, { status: 'retrying', limit: 10 })).to.deep.equal([]);
        expect(await s.store.deliveries.list(SPACE_B, { limit: 10 })).to.have.length(1);
      });

      it('listByInstance answers one instance\'s deliveries in id order, and no other instance\'s', async () => {
        const mine = [makeDelivery({ instanceId: 'inst-1', stepId: 's1' }), makeDelivery({ instanceId: 'inst-1', stepId: 'exit:r1' })];
        const others = [
          makeDelivery({ instanceId: 'inst-10', stepId: 's1' }), makeDelivery({ instanceId: 'inst-2', idempotencyKey: 'inst-1:forged:0' }),
          makeDelivery({ instanceId: 'inst-2' }), makeDelivery({ spaceId: SPACE_B, instanceId: 'inst-1' }),
        ];
        for (const d of [...others, ...[...mine].reverse()]) await s.store.deliveries.insertIfAbsent(d);
        expect(await s.store.deliveries.listByInstance(SPACE_A, 'inst-1')).to.deep.equal(mine);
        expect(idsOf(await s.store.deliveries.listByInstance(SPACE_B, 'inst-1'))).to.deep.equal([others[3]!.id]);
        expect(await s.store.deliveries.listByInstance(SPACE_A, 'inst-9')).to.deep.equal([]);
      });

      it('listByJourney pages a journey\'s deliveries in id order', async () => {
        const j1 = [makeDelivery({ journeyId: 'j1' }), makeDelivery({ journeyId: 'j1', status: 'delivered', nextAttemptAt: null }), makeDelivery({ journeyId: 'j1' })];
        for (const d of [...j1, makeDelivery({ journeyId: 'j2' }), makeDelivery({ spaceId: SPACE_B, journeyId: 'j1' })]) await s.store.deliveries.insertIfAbsent(d);
        expect(await s.store.deliveries.listByJourney(SPACE_A, 'j1', { limit: 10 })).to.deep.equal(j1);
        expect(idsOf(await s.store.deliveries.listByJourney(SPACE_A, 'j1', { after: null, limit: 2 }))).to.deep.equal(idsOf(j1.slice(0, 2)));
        expect(idsOf(await s.store.deliveries.listByJourney(SPACE_A, 'j1', { after: j1[1]!.id, limit: 2 }))).to.deep.equal([j1[2]!.id]);
        expect(await s.store.deliveries.listByJourney(SPACE_A, 'j1', { after: j1[2]!.id, limit: 2 })).to.deep.equal([]);
        expect(await s.store.deliveries.listByJourney(SPACE_A, 'j3', { limit: 10 })).to.deep.equal([]);
        expect(await s.store.deliveries.listByJourney(SPACE_B, 'j1', { limit: 10 })).to.have.length(1);
      });
    });
  });
}
