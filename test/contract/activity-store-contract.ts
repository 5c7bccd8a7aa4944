import { expect } from 'chai';
import { ACTIVITY_TYPES, type ActivityPosition, type ActivityQuery, type ActivityRecord } from '../../engine/store/activity-store.ts';
import { firstIdAt } from '../../engine/ids.ts';
import { SPACE_A, SPACE_B, T0, idsOf, iso, useFreshStore, type MakeStore } from './store-fixtures.ts';
import { JOURNEY_1, makeActivity, makeInstance } from './runtime-fixtures.ts';

/** ActivityStore: append-only (ids stored once), a journey's log in time order, filters, cursors, spaces. */
export function activityStoreContract(makeStore: MakeStore): void {
  describe('activity store', () => {
    const s = useFreshStore(makeStore);
    const list = (query: Omit<ActivityQuery, 'limit'> & { limit?: number }, spaceId = SPACE_A, journeyId = JOURNEY_1): Promise<ActivityRecord[]> =>
      s.store.activities.list(spaceId, journeyId, { limit: 100, ...query });

    it('stores records whole, user-shaped data and nulls included', async () => {
      const started = makeActivity({ type: 'entered', at: iso(0) });
      const ignored = makeActivity({
        type: 'trigger_ignored', instanceId: null, stepId: null, eventId: null, reason: null, data: null, version: 4, at: iso(1),
      });
      await s.store.activities.append([started, ignored]);
      await s.store.activities.append([]);
      expect(await list({})).to.deep.equal([started, ignored]);
    });

    it('skips records whose id is stored already, in later appends and within one append', async () => {
      const a = makeActivity({ at: iso(0) });
      const b = makeActivity({ at: iso(1) });
      await s.store.activities.append([a, b]);
      const c = makeActivity({ at: iso(2) });
      await s.store.activities.append([{ ...b, reason: 'replayed with other content' }, c, { ...c }]);
      expect(await list({})).to.deep.equal([a, b, c]);
      await s.store.activities.append([a, b, c]);
      expect(await list({}), 'a whole replay adds nothing').to.deep.equal([a, b, c]);
    });

    it('lists in time order, id order within a time, whatever the order of ids and appends', async () => {
      // Ids deliberately out of time order: journey time is not the wall clock that made the ids.
      const r = [
        makeActivity({ id: 'act-e', at: iso(1000) }), makeActivity({ id: 'act-a', at: iso(3000) }),
        makeActivity({ id: 'act-d', at: iso(2000) }), makeActivity({ id: 'act-b', at: iso(2000) }),
        makeActivity({ id: 'act-c', at: iso(5000) }), makeActivity({ id: 'act-f', at: iso(500) }),
      ];
      await s.store.activities.append([r[2]!, r[0]!, r[4]!]);
      await s.store.activities.append([r[1]!, r[5]!, r[3]!]);
      const expected = ['act-f', 'act-e', 'act-b', 'act-d', 'act-a', 'act-c'];
      expect(idsOf(await list({}))).to.deep.equal(expected);

      const position = (id: string) => ({ id, at: r.find((a) => a.id === id)!.at });
      for (const order of ['asc', 'desc'] as const) {
        const pages: string[][] = [];
        let after: ActivityPosition | null = null;
        for (;;) {
          const page: ActivityRecord[] = await list({ after, order, limit: 2 });
          if (page.length === 0) break;
          pages.push(idsOf(page));
          after = page[page.length - 1]!;
        }
        const inOrder = order === 'asc' ? expected : [...expected].reverse();
        expect(pages.flat(), `${order}: every record once, across equal times`).to.deep.equal(inOrder);
        expect(pages.map((p) => p.length), order).to.deep.equal([2, 2, 2]);
      }
      expect(idsOf(await list({ after: position('act-d'), limit: 10 }))).to.deep.equal(['act-a', 'act-c']);
      expect(idsOf(await list({ after: position('act-b'), limit: 1 })), 'same time, later id').to.deep.equal(['act-d']);
      expect(idsOf(await list({ after: position('act-d'), order: 'desc', limit: 1 })), 'same time, earlier id').to.deep.equal(['act-b']);
      expect(await list({ after: position('act-c') })).to.deep.equal([]);
      expect(await list({ after: position('act-f'), order: 'desc' })).to.deep.equal([]);
      expect(idsOf(await list({ after: { at: iso(2500), id: 'zzz' }, limit: 10 })), 'a position needs no stored record').to.deep.equal(['act-a', 'act-c']);
    });

    it('lists the whole log across every type in one order, page by page, in both directions and within a time range', async () => {
      // Three records of each type, their times interleaved across types, two pairs sharing a time.
      const records = ACTIVITY_TYPES.flatMap((type, t) => [0, 1, 2].map((k) => makeActivity({
        id: `act-${String(t).padStart(2, '0')}-${k}`, type, at: iso((k * ACTIVITY_TYPES.length + ((t * 7) % ACTIVITY_TYPES.length)) * 1000 + (t % 2 === 0 ? 0 : 1)),
      })));
      records.push(makeActivity({ id: 'act-same-1', type: 'exited', at: iso(4000) }), makeActivity({ id: 'act-same-0', type: 'entered', at: iso(4000) }));
      await s.store.activities.append(records);
      const ordered = [...records].sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1)).map((a) => a.id);
      for (const order of ['asc', 'desc'] as const) {
        for (const limit of [1, 7, 100]) {
          const ids: string[] = [];
          let after: ActivityPosition | null = null;
          for (;;) {
            const page: ActivityRecord[] = await list({ after, order, limit });
            ids.push(...idsOf(page));
            if (page.length < limit) break;
            after = page[page.length - 1]!;
          }
          expect(ids, `${order} by ${limit}`).to.deep.equal(order === 'asc' ? ordered : [...ordered].reverse());
        }
      }
      const from = iso(10_000);
      const to = iso(30_000);
      expect(idsOf(await list({ from, to, order: 'desc', limit: 5 }))).to.deep.equal(
        [...records].filter((a) => a.at >= from && a.at < to).sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1)).slice(0, 5).map((a) => a.id));
    });

    it('filters by instance, profile, type, step and time range, combined', async () => {
      const r = [
        makeActivity({ instanceId: 'i1', profileId: 'p1', type: 'entered', stepId: 's1', at: iso(0) }),
        makeActivity({ instanceId: 'i1', profileId: 'p1', type: 'step_reached', stepId: 's2', at: iso(1000) }),
        makeActivity({ instanceId: 'i2', profileId: 'p2', type: 'entered', stepId: 's1', at: iso(1000) }),
        makeActivity({ instanceId: 'i2', profileId: 'p2', type: 'waiting', stepId: 's2', at: iso(2000) }),
        makeActivity({ instanceId: null, profileId: 'p3', type: 'trigger_ignored', stepId: null, at: iso(3000) }),
        makeActivity({ instanceId: 'i1', profileId: 'p1', type: 'completed', stepId: null, at: iso(4000) }),
      ];
      // As in the engine, records with an instance belong to a stored instance (of their profile).
      for (const [id, profileId] of [['i1', 'p1'], ['i2', 'p2']] as const) {
        expect(await s.store.instances.insert(makeInstance({ id, profileId }))).to.equal('ok');
      }
      await s.store.activities.append(r);
      const ids = (...n: number[]) => n.map((k) => r[k]!.id);
      expect(idsOf(await list({ instanceId: 'i1' }))).to.deep.equal(ids(0, 1, 5));
      expect(idsOf(await list({ profileIds: ['p2'] }))).to.deep.equal(ids(2, 3));
      expect(idsOf(await list({ type: 'entered' }))).to.deep.equal(ids(0, 2));
      expect(idsOf(await list({ stepId: 's2' }))).to.deep.equal(ids(1, 3));
      expect(idsOf(await list({ from: iso(1000) })), 'from is inclusive').to.deep.equal(ids(1, 2, 3, 4, 5));
      expect(idsOf(await list({ to: iso(2000) })), 'to is exclusive').to.deep.equal(ids(0, 1, 2));
      expect(idsOf(await list({ from: iso(1000), to: iso(3001) }))).to.deep.equal(ids(1, 2, 3, 4));
      expect(idsOf(await list({ instanceId: 'i2', type: 'waiting', stepId: 's2', profileIds: ['p2'] }))).to.deep.equal(ids(3));
      expect(await list({ instanceId: 'i1', profileIds: ['p2'] })).to.deep.equal([]);
      expect(idsOf(await list({ profileIds: ['p1', 'p3'] })), 'any of several profiles').to.deep.equal(ids(0, 1, 4, 5));
      expect(await list({ profileIds: [] }), 'no profile, no records').to.deep.equal([]);
      expect(idsOf(await list({ type: 'entered', order: 'desc' }))).to.deep.equal(ids(2, 0));
      expect(idsOf(await list({ stepId: 's2', from: iso(1500), order: 'desc' }))).to.deep.equal(ids(3));
      expect(idsOf(await list({ instanceId: 'i1', limit: 2 }))).to.deep.equal(ids(0, 1));
      expect(idsOf(await list({ instanceId: 'i1', after: r[1]! }))).to.deep.equal(ids(5));
    });

    it('purges records created before an id, in chunks, across spaces and journeys', async () => {
      const old = [makeActivity({ id: firstIdAt(T0 - 2000) }), makeActivity({ id: firstIdAt(T0 - 1000), spaceId: SPACE_B, journeyId: 'journey-2' })];
      const kept = makeActivity({ id: firstIdAt(T0) });
      await s.store.activities.append([...old, kept]);
      expect(await s.store.activities.purgeBefore(firstIdAt(T0), 1)).to.equal(1);
      expect(await s.store.activities.purgeBefore(firstIdAt(T0), 10)).to.equal(1);
      expect(await s.store.activities.purgeBefore(firstIdAt(T0), 10)).to.equal(0);
      expect(await list({})).to.deep.equal([kept]);
      expect(await list({}, SPACE_B, 'journey-2')).to.deep.equal([]);
    });

    it('keeps journeys and spaces apart', async () => {
      const inA = makeActivity();
      const otherJourney = makeActivity({ journeyId: 'journey-2' });
      const inB = makeActivity({ spaceId: SPACE_B, instanceId: inA.instanceId });
      await s.store.activities.append([inA, otherJourney, inB]);
      expect(await list({})).to.deep.equal([inA]);
      expect(await list({ instanceId: inA.instanceId! })).to.deep.equal([inA]);
      expect(await list({}, SPACE_A, 'journey-2')).to.deep.equal([otherJourney]);
      expect(await list({}, SPACE_B)).to.deep.equal([inB]);
      expect(await list({}, SPACE_B, 'journey-2')).to.deep.equal([]);
    });
  });
}
