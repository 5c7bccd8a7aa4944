import { expect } from 'chai';
import type { Store } from '../../engine/store/store.ts';
import type { InstanceRecord } from '../../engine/store/instance-store.ts';
import { SPACE_A, SPACE_B, T0, byId, idsOf, iso, useFreshStore, type MakeStore } from './store-fixtures.ts';
import {
  JOURNEY_1, PROFILE_1, ended, finishWrite, makeActivity, makeDelivery, makeInstance, materialize, nextRev, outboxOf,
} from './runtime-fixtures.ts';

/** How an instance reads back once its outbox is materialized. */
function settled(i: InstanceRecord): InstanceRecord {
  return { ...i, outbox: [] };
}

/** The outbox a just-written instance reads back with: applied already, or kept until marked done. */
function pendingOutbox(store: Store, written: InstanceRecord): InstanceRecord['outbox'] {
  return store.instances.appliesOutboxAtomically ? [] : written.outbox;
}

/** Writes and finishes an instance the way the engine does (insert, then materialize if needed). */
async function insertFinished(store: Store, i: InstanceRecord): Promise<InstanceRecord> {
  expect(await store.instances.insert(i)).to.equal('ok');
  await finishWrite(store, i);
  return settled(i);
}

/** InstanceStore: one active instance per key, compare-and-set, outbox, timers, lookups, spaces. */
export function instanceStoreContract(makeStore: MakeStore): void {
  describe('instance store', () => {
    const s = useFreshStore(makeStore);

    describe('insert and get', () => {
      it('stores an instance whole, user-shaped context included', async () => {
        const i = makeInstance({ wait: { kind: 'hold', since: T0, until: T0 + 60_000 }, wakeAt: T0 + 60_000, identifier: 'order-7' });
        expect(await s.store.instances.insert(i)).to.equal('ok');
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(i);
        expect(await s.store.instances.get(SPACE_A, 'no-such-instance')).to.equal(null);
        expect(await s.store.instances.get(SPACE_B, i.id), 'no reading across spaces').to.equal(null);
      });

      it('stores empty, null, zero and repeated values exactly, through every read', async () => {
        const fresh = makeInstance({ loops: {}, conversions: {}, lastEventId: 'evt-1', updatedAt: iso(), enteredAt: iso(), wakeAt: T0, wait: { kind: 'delay', until: T0 } });
        // An empty identifier and none share the active key: another profile.
        const emptyIdentifier = makeInstance({ profileId: 'prof-2', identifier: '', lastEventId: null, context: {} });
        const endedOne = makeInstance({ ...ended('exited'), identifier: 'order-9', lastEventId: 'evt-2', consumedEventId: 'evt-2', iteration: 3 });
        for (const i of [fresh, emptyIdentifier, endedOne]) expect(await s.store.instances.insert(i)).to.equal('ok');
        for (const i of [fresh, emptyIdentifier, endedOne]) expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(i);
        expect(await s.store.instances.due(T0, 10)).to.deep.equal([fresh]);
        expect(byId(await s.store.instances.activeForProfiles(SPACE_A, [PROFILE_1, 'prof-2']))).to.deep.equal(byId([fresh, emptyIdentifier]));
        expect(await s.store.instances.listByJourney(SPACE_A, JOURNEY_1, { limit: 10 })).to.deep.equal(byId([fresh, emptyIdentifier, endedOne]));
        const moved = nextRev(fresh, { lastEventId: 'evt-5', iteration: 1 });
        expect(await s.store.instances.update(moved, fresh.rev)).to.equal('ok');
        expect(await s.store.instances.get(SPACE_A, fresh.id)).to.deep.equal(moved);
      });

      it("answers 'exists' for a stored id, whatever else the record says, and keeps the stored one", async () => {
        const i = makeInstance();
        await s.store.instances.insert(i);
        const again = makeInstance({ id: i.id, profileId: 'prof-other', journeyId: 'journey-other' });
        expect(await s.store.instances.insert(again)).to.equal('exists');
        expect(await s.store.instances.insert({ ...i }), 'the same key too: the id is reported').to.equal('exists');
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(i);
        expect(await s.store.instances.hasEntered(SPACE_A, 'journey-other', 'prof-other')).to.equal(false);
      });

      it("answers 'active_conflict' for a second active instance of the same journey, profile and identifier", async () => {
        const first = makeInstance({ identifier: 'order-1' });
        await s.store.instances.insert(first);
        const second = makeInstance({ identifier: 'order-1', version: 2 });
        expect(await s.store.instances.insert(second)).to.equal('active_conflict');
        expect(await s.store.instances.get(SPACE_A, second.id), 'nothing stored').to.equal(null);
        expect(await s.store.instances.countActive(SPACE_A, JOURNEY_1, PROFILE_1)).to.equal(1);

        const noIdentifier = makeInstance();
        expect(await s.store.instances.insert(noIdentifier)).to.equal('ok');
        expect(await s.store.instances.insert(makeInstance()), 'no identifier is a key too').to.equal('active_conflict');
        for (const other of [
          makeInstance({ identifier: 'order-2' }), makeInstance({ identifier: 'order-1', profileId: 'prof-2' }),
          makeInstance({ identifier: 'order-1', journeyId: 'journey-2' }), makeInstance({ identifier: 'order-1', ...ended() }),
        ]) expect(await s.store.instances.insert(other), `${other.journeyId}/${other.profileId}/${other.identifier}/${other.status}`).to.equal('ok');
        expect(await s.store.instances.countActive(SPACE_A, JOURNEY_1, PROFILE_1)).to.equal(3);
      });

      it('allows a new active instance once the previous one has ended', async () => {
        for (const status of ['completed', 'exited'] as const) {
          const first = makeInstance({ journeyId: `journey-${status}`, wakeAt: T0 });
          await s.store.instances.insert(first);
          expect(await s.store.instances.insert(makeInstance({ journeyId: first.journeyId }))).to.equal('active_conflict');
          expect(await s.store.instances.update(nextRev(first, ended(status)), 0)).to.equal('ok');
          const next = makeInstance({ journeyId: first.journeyId });
          expect(await s.store.instances.insert(next), status).to.equal('ok');
          expect(await s.store.instances.insert(makeInstance({ journeyId: first.journeyId })), 'and only one').to.equal('active_conflict');
          expect(await s.store.instances.countActive(SPACE_A, first.journeyId, PROFILE_1)).to.equal(1);
        }
      });
    });

    describe('update', () => {
      it('writes over the expected revision only', async () => {
        const i = makeInstance();
        await s.store.instances.insert(i);
        const v1 = nextRev(i, { stepId: 'step-2', wait: { kind: 'delay', until: T0 + 5000 }, wakeAt: T0 + 5000, lastEventId: 'evt-2', context: { ...i.context, 'Clicked - yes': { a: 1 } } });
        expect(await s.store.instances.update(v1, 0)).to.equal('ok');
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(v1);

        expect(await s.store.instances.update(nextRev(i, { stepId: 'stale' }), 0), 'stale revision').to.equal('version_conflict');
        expect(await s.store.instances.update({ ...nextRev(v1), spaceId: SPACE_B }, 1), 'another space').to.equal('version_conflict');
        expect(await s.store.instances.update(makeInstance({ rev: 1 }), 0), 'not stored').to.equal('version_conflict');
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(v1);
        const v2 = nextRev(v1, ended());
        expect(await s.store.instances.update(v2, 1)).to.equal('ok');
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(v2);
      });

      it('lets exactly one of concurrent updates over the same revision win', async () => {
        const i = makeInstance();
        await s.store.instances.insert(i);
        const racers = Array.from({ length: 5 }, (_x, n) => nextRev(i, { stepId: `racer-${n}` }));
        const results = await Promise.all(racers.map((r) => s.store.instances.update(r, 0)));
        expect(results.filter((r) => r === 'ok'), 'exactly one ok').to.have.length(1);
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(racers[results.indexOf('ok')]);
      });

      it('never makes a second active instance of a key: such an update fails and changes nothing', async () => {
        const first = makeInstance();
        await s.store.instances.insert(first);
        const firstEnded = nextRev(first, ended());
        await s.store.instances.update(firstEnded, 0);
        const second = makeInstance();
        expect(await s.store.instances.insert(second)).to.equal('ok');
        const revived = nextRev(firstEnded, { status: 'active', endedAt: null, endReason: null, stepId: 'step-1' });
        const outcome = await s.store.instances.update(revived, 1).then((r) => r, (error: unknown) => error);
        expect(outcome, 'refused (a rejection or a conflict)').to.not.equal('ok');
        expect(await s.store.instances.get(SPACE_A, first.id)).to.deep.equal(firstEnded);
        expect(await s.store.instances.countActive(SPACE_A, JOURNEY_1, PROFILE_1)).to.equal(1);
      });
    });

    describe('update with what the instance was before (a hint)', () => {
      /** Status, timer and profile-index view of an instance as the store answers them. */
      async function seen(i: InstanceRecord) {
        const active = await s.store.instances.activeForProfiles(SPACE_A, [i.profileId]);
        return {
          stored: await s.store.instances.get(SPACE_A, i.id),
          due: idsOf(await s.store.instances.due(T0 + 1_000_000, 10)),
          active: idsOf(active),
          count: await s.store.instances.countActive(SPACE_A, i.journeyId, i.profileId),
        };
      }

      it('writes the same thing with a right hint or a wrong one: status, timer, and every lookup by them', async () => {
        const waiting = await insertFinished(s.store, makeInstance({ wakeAt: T0 + 100 }));
        // Right: still active, a new timer; then only the document changes.
        const moved = nextRev(waiting, { stepId: 'step-2', wakeAt: T0 + 500 });
        expect(await s.store.instances.update(moved, 0, waiting)).to.equal('ok');
        expect(await seen(moved)).to.deep.equal({ stored: settled(moved), due: [moved.id], active: [moved.id], count: 1 });
        const same = nextRev(moved, { context: { ...moved.context, 'Reply - yes': { a: 1 } } });
        expect(await s.store.instances.update(same, 1, moved)).to.equal('ok');
        expect(await seen(same)).to.deep.equal({ stored: settled(same), due: [same.id], active: [same.id], count: 1 });
        // Wrong: says the timer did not change when it did, then that the status did not when it did.
        const later = nextRev(same, { wakeAt: T0 + 900 });
        expect(await s.store.instances.update(later, 2, { status: 'active', wakeAt: T0 + 900 })).to.equal('ok');
        expect((await s.store.instances.due(T0 + 800, 10)), 'no longer due at the old time').to.deep.equal([]);
        expect(await seen(later)).to.deep.equal({ stored: settled(later), due: [later.id], active: [later.id], count: 1 });
        const done = nextRev(later, ended());
        expect(await s.store.instances.update(done, 3, { status: 'completed', wakeAt: null })).to.equal('ok');
        expect(await seen(done)).to.deep.equal({ stored: settled(done), due: [], active: [], count: 0 });
        // A stale revision loses whatever the hint.
        expect(await s.store.instances.update(nextRev(later, { stepId: 'stale' }), 3, later)).to.equal('version_conflict');
        expect(await s.store.instances.update(nextRev(done, { stepId: 'stale' }), 3, done)).to.equal('version_conflict');
        expect(await s.store.instances.get(SPACE_A, waiting.id)).to.deep.equal(settled(done));
      });
    });

    describe('outbox', () => {
      it("keeps an insert's outbox until marked done (or applies it with the write); its effects are stored exactly once", async () => {
        const i = makeInstance();
        const activity = makeActivity({ instanceId: i.id, type: 'entered' });
        const delivery = makeDelivery({ instanceId: i.id });
        const written = { ...i, outbox: outboxOf([activity], [delivery]) };
        expect(await s.store.instances.insert(written)).to.equal('ok');
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal({ ...i, outbox: pendingOutbox(s.store, written) });
        expect(idsOf(await s.store.instances.withOutbox(10))).to.deep.equal(s.store.instances.appliesOutboxAtomically ? [] : [i.id]);

        await finishWrite(s.store, written);
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(i);
        expect(await s.store.instances.withOutbox(10)).to.deep.equal([]);
        await materialize(s.store, written);
        expect(await s.store.activities.list(SPACE_A, JOURNEY_1, { instanceId: i.id, limit: 10 }), 'materialized again after a crash: still once').to.deep.equal([activity]);
        expect(await s.store.deliveries.listByInstance(SPACE_A, i.id)).to.deep.equal([delivery]);
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(i);
      });

      it("keeps an update's outbox until that revision is marked done; effects land once", async () => {
        const i = await insertFinished(s.store, makeInstance());
        const a1 = makeActivity({ instanceId: i.id, type: 'waiting' });
        const a2 = makeActivity({ instanceId: i.id, type: 'completed' });
        const d1 = makeDelivery({ instanceId: i.id });
        const v1 = nextRev(i, { stepId: 'step-2', outbox: outboxOf([a1], [d1]) });
        expect(await s.store.instances.update(v1, 0)).to.equal('ok');
        expect((await s.store.instances.get(SPACE_A, i.id))?.outbox).to.deep.equal(pendingOutbox(s.store, v1));

        // Not materialized yet, and already replaced by the next revision's outbox.
        const v2 = nextRev(v1, { ...ended(), outbox: outboxOf([a2], []) });
        expect(await s.store.instances.update(v2, 1)).to.equal('ok');
        await s.store.instances.markOutboxDone(SPACE_A, i.id, 1);
        await s.store.instances.markOutboxDone(SPACE_B, i.id, 2);
        expect(await s.store.instances.get(SPACE_A, i.id), 'an older revision or another space marks nothing').to.deep.equal({ ...v2, outbox: pendingOutbox(s.store, v2) });
        expect(idsOf(await s.store.instances.withOutbox(10))).to.deep.equal(s.store.instances.appliesOutboxAtomically ? [] : [i.id]);

        // v1's outbox was never materialized here: the recovery job does it (a replay where it was applied).
        await materialize(s.store, v1);
        await finishWrite(s.store, v2);
        await finishWrite(s.store, v2);
        expect(await s.store.instances.get(SPACE_A, i.id)).to.deep.equal(settled(v2));
        expect(await s.store.instances.withOutbox(10)).to.deep.equal([]);
        expect(await s.store.activities.list(SPACE_A, JOURNEY_1, { instanceId: i.id, limit: 10 })).to.deep.equal([a1, a2]);
        expect(await s.store.deliveries.listByInstance(SPACE_A, i.id)).to.deep.equal([d1]);
      });

      it('withOutbox lists unfinished outboxes across spaces, up to the limit', async () => {
        const written = [makeInstance(), makeInstance({ profileId: 'prof-2' }), makeInstance({ spaceId: SPACE_B, journeyId: 'journey-b' })]
          .map((i) => ({ ...i, outbox: outboxOf([makeActivity({ instanceId: i.id, spaceId: i.spaceId })], []) }));
        for (const i of written) await s.store.instances.insert(i);
        await insertFinished(s.store, makeInstance({ profileId: 'prof-3' }));
        const atomic = s.store.instances.appliesOutboxAtomically;
        expect(byId(await s.store.instances.withOutbox(10))).to.deep.equal(atomic ? [] : written);
        expect((await s.store.instances.withOutbox(2)).length).to.equal(atomic ? 0 : 2);
        for (const i of written) await finishWrite(s.store, i);
        expect(await s.store.instances.withOutbox(10)).to.deep.equal([]);
      });
    });

    describe('timers', () => {
      it('due answers active instances whose timer is due, earliest first, across spaces, up to the limit', async () => {
        const late = makeInstance({ wakeAt: T0 + 300 });
        const early = makeInstance({ spaceId: SPACE_B, journeyId: 'journey-b', wakeAt: T0 - 100 });
        const middle = makeInstance({ profileId: 'prof-2', wakeAt: T0 });
        const future = makeInstance({ profileId: 'prof-3', wakeAt: T0 + 10_000 });
        const noTimer = makeInstance({ profileId: 'prof-4' });
        const endedWithTimer = makeInstance({ profileId: 'prof-5', ...ended(), wakeAt: T0 - 500 });
        for (const i of [late, early, middle, future, noTimer, endedWithTimer]) await insertFinished(s.store, i);

        expect(await s.store.instances.due(T0 + 300, 10)).to.deep.equal([early, middle, late]);
        expect(idsOf(await s.store.instances.due(T0 + 300, 2))).to.deep.equal([early.id, middle.id]);
        expect(idsOf(await s.store.instances.due(T0, 10)), 'due at its time').to.deep.equal([early.id, middle.id]);
        expect(await s.store.instances.due(T0 - 101, 10)).to.deep.equal([]);
        expect(await s.store.instances.nextWakeAt()).to.equal(T0 - 100);
      });

      it('follows timer changes: moved, cleared, ended', async () => {
        expect(await s.store.instances.nextWakeAt(), 'no timers').to.equal(null);
        const a = await insertFinished(s.store, makeInstance({ wakeAt: T0 + 100 }));
        const b = await insertFinished(s.store, makeInstance({ profileId: 'prof-2', wakeAt: T0 + 200 }));
        expect(await s.store.instances.nextWakeAt()).to.equal(T0 + 100);

        const aLater = nextRev(a, { wakeAt: T0 + 1000 });
        await s.store.instances.update(aLater, 0);
        expect(idsOf(await s.store.instances.due(T0 + 5000, 10))).to.deep.equal([b.id, a.id]);
        expect(await s.store.instances.nextWakeAt()).to.equal(T0 + 200);

        await s.store.instances.update(nextRev(b, { wakeAt: null, wait: null }), 0);
        expect(idsOf(await s.store.instances.due(T0 + 5000, 10))).to.deep.equal([a.id]);
        await s.store.instances.update(nextRev(aLater, ended()), 1);
        expect(await s.store.instances.due(T0 + 5000, 10)).to.deep.equal([]);
        expect(await s.store.instances.nextWakeAt()).to.equal(null);
      });
    });

    describe('lookups', () => {
      it('activeForProfiles and activeRefsForProfiles answer the active instances of these profiles in the space', async () => {
        const p1j1 = await insertFinished(s.store, makeInstance());
        const p1j2 = await insertFinished(s.store, makeInstance({ journeyId: 'journey-2', version: 3 }));
        const p2 = await insertFinished(s.store, makeInstance({ profileId: 'prof-2', identifier: 'x' }));
        await insertFinished(s.store, makeInstance({ profileId: 'prof-2', ...ended() }));
        await insertFinished(s.store, makeInstance({ profileId: 'prof-3' }));
        await insertFinished(s.store, makeInstance({ spaceId: SPACE_B, journeyId: 'journey-b' }));

        expect(byId(await s.store.instances.activeForProfiles(SPACE_A, [PROFILE_1, 'prof-2']))).to.deep.equal([p1j1, p1j2, p2]);
        expect(byId(await s.store.instances.activeRefsForProfiles(SPACE_A, [PROFILE_1, 'prof-2']))).to.deep.equal(
          [p1j1, p1j2, p2].map((i) => ({ id: i.id, journeyId: i.journeyId, version: i.version })));
        expect(await s.store.instances.activeForProfiles(SPACE_A, [])).to.deep.equal([]);
        expect(await s.store.instances.activeRefsForProfiles(SPACE_A, [])).to.deep.equal([]);
        expect(await s.store.instances.activeForProfiles(SPACE_A, ['nobody'])).to.deep.equal([]);
        expect(idsOf(await s.store.instances.activeRefsForProfiles(SPACE_B, [PROFILE_1]))).to.have.length(1);
      });

      it('hasEntered counts any version and status; countActive only active ones', async () => {
        expect(await s.store.instances.hasEntered(SPACE_A, JOURNEY_1, PROFILE_1)).to.equal(false);
        const first = await insertFinished(s.store, makeInstance({ version: 1 }));
        await s.store.instances.update(nextRev(first, ended('exited')), 0);
        expect(await s.store.instances.hasEntered(SPACE_A, JOURNEY_1, PROFILE_1), 'ended').to.equal(true);
        expect(await s.store.instances.countActive(SPACE_A, JOURNEY_1, PROFILE_1)).to.equal(0);
        await insertFinished(s.store, makeInstance({ version: 2, identifier: 'a' }));
        await insertFinished(s.store, makeInstance({ version: 3, identifier: 'b' }));
        expect(await s.store.instances.countActive(SPACE_A, JOURNEY_1, PROFILE_1)).to.equal(2);
        expect(await s.store.instances.hasEntered(SPACE_A, 'journey-2', PROFILE_1)).to.equal(false);
        expect(await s.store.instances.hasEntered(SPACE_A, JOURNEY_1, 'prof-2')).to.equal(false);
      });

      it('listByJourney pages a journey\'s instances in id order, filtered', async () => {
        const all: InstanceRecord[] = [];
        for (let n = 0; n < 6; n += 1) {
          const i = makeInstance({ profileId: `prof-${n % 3}`, version: n < 3 ? 1 : 2, identifier: String(n) });
          all.push(await insertFinished(s.store, n === 4 ? { ...i, ...ended() } : i));
        }
        await insertFinished(s.store, makeInstance({ journeyId: 'journey-2' }));
        await insertFinished(s.store, makeInstance({ spaceId: SPACE_B, journeyId: 'journey-b' }));
        const list = (options: Parameters<Store['instances']['listByJourney']>[2]) => s.store.instances.listByJourney(SPACE_A, JOURNEY_1, options);

        expect(await list({ limit: 10 })).to.deep.equal(all);
        expect(idsOf(await list({ after: null, limit: 4 }))).to.deep.equal(idsOf(all.slice(0, 4)));
        expect(idsOf(await list({ after: all[3]!.id, limit: 4 }))).to.deep.equal(idsOf(all.slice(4)));
        expect(await list({ after: all[5]!.id, limit: 4 })).to.deep.equal([]);
        expect(idsOf(await list({ profileIds: ['prof-1', 'prof-2'], limit: 10 }))).to.deep.equal(idsOf([all[1]!, all[2]!, all[4]!, all[5]!]));
        expect(await list({ profileIds: [], limit: 10 })).to.deep.equal([]);
        expect(idsOf(await list({ status: 'completed', limit: 10 }))).to.deep.equal([all[4]!.id]);
        expect(idsOf(await list({ status: 'active', version: 2, limit: 10 }))).to.deep.equal([all[3]!.id, all[5]!.id]);
        expect(idsOf(await list({ status: 'active', version: 2, profileIds: ['prof-0'], after: all[0]!.id, limit: 10 }))).to.deep.equal([all[3]!.id]);
        expect(await s.store.instances.listByJourney(SPACE_A, 'journey-b', { limit: 10 }), 'another space').to.deep.equal([]);
      });
    });

    describe('spaces', () => {
      it("never reads, counts or writes another space's instances", async () => {
        const inB = makeInstance({ spaceId: SPACE_B, journeyId: 'journey-b', wakeAt: T0 });
        const written = { ...inB, outbox: outboxOf([makeActivity({ spaceId: SPACE_B, journeyId: 'journey-b', instanceId: inB.id })], []) };
        await s.store.instances.insert(written);
        expect(await s.store.instances.get(SPACE_A, inB.id)).to.equal(null);
        expect(await s.store.instances.hasEntered(SPACE_A, 'journey-b', PROFILE_1)).to.equal(false);
        expect(await s.store.instances.countActive(SPACE_A, 'journey-b', PROFILE_1)).to.equal(0);
        expect(await s.store.instances.activeForProfiles(SPACE_A, [PROFILE_1])).to.deep.equal([]);
        expect(await s.store.instances.activeRefsForProfiles(SPACE_A, [PROFILE_1])).to.deep.equal([]);
        expect(await s.store.instances.listByJourney(SPACE_A, 'journey-b', { limit: 10 })).to.deep.equal([]);
        expect(await s.store.instances.update({ ...nextRev(inB, ended()), spaceId: SPACE_A }, 0)).to.equal('version_conflict');
        await s.store.instances.markOutboxDone(SPACE_A, inB.id, 0);
        expect(await s.store.instances.get(SPACE_B, inB.id)).to.deep.equal({ ...inB, outbox: pendingOutbox(s.store, written) });

        expect(await s.store.instances.hasEntered(SPACE_B, 'journey-b', PROFILE_1)).to.equal(true);
        expect(await s.store.instances.countActive(SPACE_B, 'journey-b', PROFILE_1)).to.equal(1);
        expect(idsOf(await s.store.instances.listByJourney(SPACE_B, 'journey-b', { limit: 10 }))).to.deep.equal([inB.id]);
        expect(idsOf(await s.store.instances.activeForProfiles(SPACE_B, [PROFILE_1]))).to.deep.equal([inB.id]);
      });
    });
  });
}
