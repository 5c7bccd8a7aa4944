import { expect } from 'chai';
import type { EventQuery, EventRecord } from '../../engine/store/event-store.ts';
import { firstIdAt } from '../../engine/ids.ts';
import { SPACE_A, SPACE_B, T0, idsOf, makeEvent, useFreshStore, type FreshStore, type MakeStore } from './store-fixtures.ts';

const WINDOW_MS = 24 * 3600_000;

/** Append options at `now` with a one-day dedupe window. */
function at(now: number) {
  return { dedupeWindowMs: WINDOW_MS, now };
}

/** Follows nextCursor to the end; fails rather than loop forever. */
async function allPages(s: FreshStore, spaceId: string, query: Omit<EventQuery, 'cursor'>): Promise<EventRecord[][]> {
  const pages: EventRecord[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await s.store.events.list(spaceId, cursor === undefined ? query : { ...query, cursor });
    expect(page.items.length, 'page size').to.be.at.most(query.limit);
    pages.push(page.items);
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('list() never returned a null nextCursor');
}

/** EventStore: dedupe on append, the processing position, the newest-first log. */
export function eventStoreContract(makeStore: MakeStore): void {
  describe('event store', () => {
    const s = useFreshStore(makeStore);

    describe('append', () => {
      it('stores every new message and answers one outcome per message, in order', async () => {
        const events = [makeEvent(), makeEvent({ type: 'identify', name: null, anonymousId: 'anon-1' }), makeEvent({ type: 'page', name: 'Home' })];
        expect(await s.store.events.append(events, at(T0))).to.deep.equal(['stored', 'stored', 'stored']);
        expect(await s.store.events.append([], at(T0))).to.deep.equal([]);
        const page = await s.store.events.list(SPACE_A, { limit: 10 });
        expect(page.items, 'records round-trip unchanged').to.deep.equal([...events].reverse());
        expect(page.nextCursor).to.equal(null);
      });

      it('does not store a messageId repeated within one call', async () => {
        const first = makeEvent({ messageId: 'm-1' });
        const other = makeEvent({ messageId: 'm-2' });
        const repeat = makeEvent({ messageId: 'm-1', name: 'Repeat' });
        expect(await s.store.events.append([first, other, repeat], at(T0))).to.deep.equal(['stored', 'stored', 'duplicate']);
        expect(idsOf((await s.store.events.list(SPACE_A, { limit: 10 })).items)).to.deep.equal([other.id, first.id]);
        expect(idsOf(await s.store.events.pending(10))).to.deep.equal([first.id, other.id]);
      });

      it('stores a large call whole and in order, repeats anywhere in it left out (SQLite writes rows several per statement)', async () => {
        const events = Array.from({ length: 23 }, (_, i) => makeEvent({ messageId: `big-${i}`, name: `Event ${i}` }));
        const repeats = [3, 9, 11].map((i) => makeEvent({ messageId: `big-${i}`, name: 'Repeat' }));
        const call = [...events.slice(0, 5), repeats[0]!, ...events.slice(5, 12), repeats[1]!, repeats[2]!, ...events.slice(12)];
        const outcomes = await s.store.events.append(call, at(T0));
        expect(outcomes).to.deep.equal(call.map((e) => (e.name === 'Repeat' ? 'duplicate' : 'stored')));
        expect(await s.store.events.pending(50)).to.deep.equal(events);
      });

      it('does not store a messageId seen within the dedupe window', async () => {
        const first = makeEvent({ messageId: 'm-1' });
        await s.store.events.append([first], at(T0));
        expect(await s.store.events.append([makeEvent({ messageId: 'm-1' })], at(T0 + 1000))).to.deep.equal(['duplicate']);
        expect(await s.store.events.append([makeEvent({ messageId: 'm-1' })], at(T0 + WINDOW_MS - 1))).to.deep.equal(['duplicate']);
        expect(await s.store.events.list(SPACE_A, { limit: 10 })).to.deep.equal({ items: [first], nextCursor: null });
        expect(await s.store.events.pending(10)).to.deep.equal([first]);
      });

      it('stores the messageId again once the window has passed, and the window starts over', async () => {
        const first = makeEvent({ messageId: 'm-1' });
        const later = makeEvent({ messageId: 'm-1' });
        await s.store.events.append([first], at(T0));
        expect(await s.store.events.append([later], at(T0 + WINDOW_MS + 1))).to.deep.equal(['stored']);
        expect(await s.store.events.append([makeEvent({ messageId: 'm-1' })], at(T0 + WINDOW_MS + 2))).to.deep.equal(['duplicate']);
        expect(idsOf((await s.store.events.list(SPACE_A, { limit: 10 })).items)).to.deep.equal([later.id, first.id]);
      });

      it('dedupes per space: the same messageId in two spaces is stored in both', async () => {
        const inA = makeEvent({ spaceId: SPACE_A, messageId: 'm-1' });
        const inB = makeEvent({ spaceId: SPACE_B, messageId: 'm-1' });
        expect(await s.store.events.append([inA, inB], at(T0))).to.deep.equal(['stored', 'stored']);
        expect((await s.store.events.list(SPACE_A, { limit: 10 })).items).to.deep.equal([inA]);
        expect((await s.store.events.list(SPACE_B, { limit: 10 })).items).to.deep.equal([inB]);
      });

      it('stores a messageId once when concurrent appends race for it', async () => {
        const racers = Array.from({ length: 6 }, () => makeEvent({ messageId: 'm-race' }));
        const outcomes = (await Promise.all(racers.map((e) => s.store.events.append([e], at(T0))))).map((o) => o[0]);
        expect(outcomes.filter((o) => o === 'stored'), 'exactly one stored').to.have.length(1);
        const winner = racers[outcomes.indexOf('stored')]!;
        expect(await s.store.events.list(SPACE_A, { limit: 10 })).to.deep.equal({ items: [winner], nextCursor: null });
        expect(await s.store.events.pending(10)).to.deep.equal([winner]);
      });

      it('stores an expired messageId again only once when concurrent appends race for it', async () => {
        const first = makeEvent({ messageId: 'm-race' });
        await s.store.events.append([first], at(T0));
        const racers = Array.from({ length: 6 }, () => makeEvent({ messageId: 'm-race' }));
        const outcomes = (await Promise.all(racers.map((e) => s.store.events.append([e], at(T0 + WINDOW_MS + 1))))).map((o) => o[0]);
        expect(outcomes.filter((o) => o === 'stored'), 'exactly one stored').to.have.length(1);
        const winner = racers[outcomes.indexOf('stored')]!;
        expect(idsOf((await s.store.events.list(SPACE_A, { limit: 10 })).items)).to.deep.equal([winner.id, first.id]);
        expect(await s.store.events.append([makeEvent({ messageId: 'm-race' })], at(T0 + WINDOW_MS + 2))).to.deep.equal(['duplicate']);
      });
    });

    describe('pending and markProcessed', () => {
      it('returns stored events oldest first across spaces, duplicates left out, up to the limit', async () => {
        const a1 = makeEvent({ spaceId: SPACE_A });
        const b1 = makeEvent({ spaceId: SPACE_B });
        const a2 = makeEvent({ spaceId: SPACE_A });
        await s.store.events.append([a1], at(T0));
        await s.store.events.append([b1, makeEvent({ spaceId: SPACE_A, messageId: a1.messageId })], at(T0 + 1));
        await s.store.events.append([a2], at(T0 + 2));
        expect(await s.store.events.pending(10)).to.deep.equal([a1, b1, a2]);
        expect(idsOf(await s.store.events.pending(2))).to.deep.equal([a1.id, b1.id]);
        expect(idsOf(await s.store.events.pending(10)), 'reading does not consume').to.deep.equal([a1.id, b1.id, a2.id]);
      });

      it('markProcessed advances past the marked events only', async () => {
        const [e1, e2, e3] = [makeEvent(), makeEvent({ spaceId: SPACE_B }), makeEvent()];
        await s.store.events.append([e1!, e2!, e3!], at(T0));
        const first = await s.store.events.pending(2);
        await s.store.events.markProcessed(first);
        expect(idsOf(await s.store.events.pending(10))).to.deep.equal([e3!.id]);
        await s.store.events.markProcessed(await s.store.events.pending(10));
        expect(await s.store.events.pending(10)).to.deep.equal([]);
        await s.store.events.markProcessed([]);
        const e4 = makeEvent();
        await s.store.events.append([e4], at(T0 + 1));
        expect(idsOf(await s.store.events.pending(10))).to.deep.equal([e4.id]);
        expect((await s.store.events.list(SPACE_A, { limit: 10 })).items, 'processed events stay in the log').to.have.length(3);
      });

      it('keeps the log, the processing position and the dedupe entries across a reopen (skipped where the store cannot outlive a close, e.g. :memory:)', async function () {
        if (!s.canReopen) this.skip();
        const events = [makeEvent(), makeEvent({ spaceId: SPACE_B }), makeEvent()];
        await s.store.events.append(events, at(T0));
        await s.store.events.markProcessed(await s.store.events.pending(2));

        await s.reopen();
        expect(await s.store.events.pending(10)).to.deep.equal([events[2]]);
        expect(idsOf((await s.store.events.list(SPACE_A, { limit: 10 })).items)).to.deep.equal([events[2]!.id, events[0]!.id]);
        expect(await s.store.events.append([makeEvent({ messageId: events[0]!.messageId })], at(T0 + 1000))).to.deep.equal(['duplicate']);

        await s.store.events.markProcessed(await s.store.events.pending(10));
        await s.reopen();
        expect(await s.store.events.pending(10)).to.deep.equal([]);
      });
    });

    describe('backlog', () => {
      it('counts the events waiting to be processed, up to the limit asked, and says when the oldest arrived', async () => {
        expect(await s.store.events.backlog(100), 'an empty log').to.deep.equal({ pending: 0, oldestReceivedAt: null });
        const events = [
          makeEvent({ receivedAt: '2024-05-01T10:00:00.000Z' }),
          makeEvent({ spaceId: SPACE_B, receivedAt: '2024-05-01T10:00:01.000Z' }),
          makeEvent({ receivedAt: '2024-05-01T10:00:02.000Z' }),
        ];
        await s.store.events.append(events, at(T0));
        await s.store.events.append([makeEvent({ messageId: events[0]!.messageId })], at(T0 + 1));
        expect(await s.store.events.backlog(100), 'a duplicate does not wait').to.deep.equal({ pending: 3, oldestReceivedAt: '2024-05-01T10:00:00.000Z' });
        expect(await s.store.events.backlog(2), 'counted up to the limit').to.deep.equal({ pending: 2, oldestReceivedAt: '2024-05-01T10:00:00.000Z' });
        expect((await s.store.events.backlog(0)).pending, 'a limit of 0 counts nothing').to.equal(0);

        await s.store.events.markProcessed(await s.store.events.pending(2));
        expect(await s.store.events.backlog(100), 'after processing two').to.deep.equal({ pending: 1, oldestReceivedAt: '2024-05-01T10:00:02.000Z' });
        await s.store.events.markProcessed(await s.store.events.pending(10));
        expect(await s.store.events.backlog(100), 'caught up').to.deep.equal({ pending: 0, oldestReceivedAt: null });

        await s.store.events.append([makeEvent({ receivedAt: '2024-05-01T10:00:03.000Z' })], at(T0 + 2));
        expect(await s.store.events.backlog(100), 'a new event after catching up').to.deep.equal({ pending: 1, oldestReceivedAt: '2024-05-01T10:00:03.000Z' });
      });
    });

    describe('list', () => {
      let e: EventRecord[];
      beforeEach(async () => {
        e = [
          makeEvent({ type: 'track', name: 'Order Completed', userId: 'u1' }),
          makeEvent({ type: 'identify', name: null, userId: 'u1', anonymousId: 'a1' }),
          makeEvent({ type: 'track', name: 'Signed Up', userId: null, anonymousId: 'a2' }),
          makeEvent({ type: 'page', name: 'Home', userId: 'u2' }),
          makeEvent({ type: 'track', name: 'Order Completed', userId: 'u2' }),
          makeEvent({ type: 'track', name: 'Order Completed', userId: 'u1', anonymousId: 'a1' }),
        ];
        const other = makeEvent({ spaceId: SPACE_B, type: 'track', name: 'Order Completed', userId: 'u1', anonymousId: 'a1' });
        const outcomes = await s.store.events.append([...e.slice(0, 3), other, ...e.slice(3)], at(T0));
        expect(outcomes).to.deep.equal(Array(7).fill('stored'));
      });
      const ids = (...indexes: number[]) => indexes.map((i) => e[i]!.id);
      const listIds = async (query: EventQuery) => idsOf((await s.store.events.list(SPACE_A, query)).items);

      it('returns the space\'s events newest first', async () => {
        expect(await listIds({ limit: 100 })).to.deep.equal(ids(5, 4, 3, 2, 1, 0));
      });

      it('filters by userId, anonymousId, type and name, alone and together', async () => {
        expect(await listIds({ limit: 100, userId: 'u1' })).to.deep.equal(ids(5, 1, 0));
        expect(await listIds({ limit: 100, anonymousId: 'a1' })).to.deep.equal(ids(5, 1));
        expect(await listIds({ limit: 100, type: 'track' })).to.deep.equal(ids(5, 4, 2, 0));
        expect(await listIds({ limit: 100, name: 'Order Completed' })).to.deep.equal(ids(5, 4, 0));
        expect(await listIds({ limit: 100, userId: 'u1', name: 'Order Completed' })).to.deep.equal(ids(5, 0));
        expect(await listIds({ limit: 100, type: 'page', name: 'Home' })).to.deep.equal(ids(3));
        expect(await listIds({ limit: 100, type: 'identify', anonymousId: 'a1', userId: 'u1' })).to.deep.equal(ids(1));
        expect(await s.store.events.list(SPACE_A, { limit: 100, userId: 'nobody' })).to.deep.equal({ items: [], nextCursor: null });
      });

      it('pages with nextCursor through every event exactly once, in order', async () => {
        for (const limit of [1, 2, 4, 5, 6, 50]) {
          const pages = await allPages(s, SPACE_A, { limit });
          expect(idsOf(pages.flat()), `limit ${limit}`).to.deep.equal(ids(5, 4, 3, 2, 1, 0));
          expect(pages.filter((p) => p.length === 0).length, `limit ${limit}: only the last page may be empty`).to.be.at.most(1);
        }
        expect((await s.store.events.list(SPACE_A, { limit: 50 })).nextCursor, 'one page holds everything').to.equal(null);
      });

      it('pages a filtered list, keeping the filter', async () => {
        const pages = await allPages(s, SPACE_A, { limit: 2, type: 'track' });
        expect(idsOf(pages.flat())).to.deep.equal(ids(5, 4, 2, 0));
        expect(idsOf(pages[0]!)).to.deep.equal(ids(5, 4));
      });

      it('continues a cursor into older events even when newer ones arrive between pages', async () => {
        const first = await s.store.events.list(SPACE_A, { limit: 2 });
        expect(idsOf(first.items)).to.deep.equal(ids(5, 4));
        await s.store.events.append([makeEvent()], at(T0 + 1));
        const second = await s.store.events.list(SPACE_A, { limit: 2, cursor: first.nextCursor! });
        expect(idsOf(second.items)).to.deep.equal(ids(3, 2));
      });
    });

    describe('findByMessageId', () => {
      it('finds a stored event by its messageId in its own space only', async () => {
        const inA = makeEvent({ spaceId: SPACE_A, messageId: 'm-find' });
        const inB = makeEvent({ spaceId: SPACE_B, messageId: 'm-find' });
        await s.store.events.append([inA, inB, makeEvent({ messageId: 'm-other' })], at(T0));
        expect(await s.store.events.findByMessageId(SPACE_A, 'm-find')).to.deep.equal(inA);
        expect(await s.store.events.findByMessageId(SPACE_B, 'm-find')).to.deep.equal(inB);
        expect(await s.store.events.findByMessageId(SPACE_A, 'm-unknown')).to.equal(null);
        expect(await s.store.events.findByMessageId('space-nobody', 'm-find')).to.equal(null);
      });

      it('still finds an event after its messageId was pruned, and the newest once the messageId was stored again', async () => {
        const first = makeEvent({ messageId: 'm-1' });
        await s.store.events.append([first], at(T0));
        await s.store.events.markProcessed(await s.store.events.pending(10));
        expect(await s.store.events.pruneDedupe(T0 + 1)).to.equal(1);
        expect(await s.store.events.findByMessageId(SPACE_A, 'm-1'), 'after prune').to.deep.equal(first);
        expect(await s.store.events.findByMessageId(SPACE_A, 'm-1', { userId: 'user-1' }), 'after prune, through its user').to.deep.equal(first);
        expect(await s.store.events.findByMessageId(SPACE_A, 'm-1', { userId: 'someone-else' }), 'not another user\'s').to.equal(null);

        const again = makeEvent({ messageId: 'm-1' });
        expect(await s.store.events.append([again], at(T0 + WINDOW_MS + 1))).to.deep.equal(['stored']);
        expect(await s.store.events.findByMessageId(SPACE_A, 'm-1'), 'the newer of two').to.deep.equal(again);
        expect(await s.store.events.append([makeEvent({ messageId: 'm-1' })], at(T0 + WINDOW_MS + 2)), 'a duplicate').to.deep.equal(['duplicate']);
        expect(await s.store.events.findByMessageId(SPACE_A, 'm-1'), 'a duplicate changes nothing').to.deep.equal(again);
      });
    });

    describe('purgeProcessedBefore', () => {
      it('deletes processed events created before an id, in chunks, and never one not yet processed', async () => {
        const old = [makeEvent({ id: firstIdAt(T0 - 3000) }), makeEvent({ id: firstIdAt(T0 - 2000), spaceId: SPACE_B })];
        const oldPending = makeEvent({ id: firstIdAt(T0 - 1000) });
        const recent = makeEvent({ id: firstIdAt(T0 + 1000) });
        await s.store.events.append([...old, oldPending, recent], at(T0));
        const pending = await s.store.events.pending(10);
        expect(idsOf(pending)).to.deep.equal(idsOf([...old, oldPending, recent]));
        await s.store.events.markProcessed([pending[0]!, pending[1]!]);
        expect(await s.store.events.purgeProcessedBefore(firstIdAt(T0), 1)).to.equal(1);
        expect(await s.store.events.purgeProcessedBefore(firstIdAt(T0), 10)).to.equal(1);
        expect(await s.store.events.purgeProcessedBefore(firstIdAt(T0), 10), 'the pending one stays').to.equal(0);
        expect(await s.store.events.get(SPACE_A, old[0]!.id)).to.equal(null);
        expect(await s.store.events.get(SPACE_B, old[1]!.id)).to.equal(null);
        expect(idsOf(await s.store.events.pending(10)), 'processing goes on where it was').to.deep.equal(idsOf([oldPending, recent]));
        await s.store.events.markProcessed(await s.store.events.pending(10));
        expect(await s.store.events.purgeProcessedBefore(firstIdAt(T0), 10)).to.equal(1);
        expect(await s.store.events.get(SPACE_A, recent.id), 'a newer event stays').to.deep.equal(recent);
      });

      it('leaves the log able to go on: an event stored after everything old was purged is still processed', async () => {
        const old = [makeEvent({ id: firstIdAt(T0 - 2000) }), makeEvent({ id: firstIdAt(T0 - 1000) })];
        await s.store.events.append(old, at(T0));
        await s.store.events.markProcessed(await s.store.events.pending(10));
        await s.store.events.purgeProcessedBefore(firstIdAt(T0 + 60_000), 10);
        const next = makeEvent({ id: firstIdAt(T0 + 120_000) });
        await s.store.events.append([next], at(T0 + 120_000));
        expect(idsOf(await s.store.events.pending(10))).to.deep.equal([next.id]);
      });
    });

    describe('seq after deletes', () => {
      it('an event stored after the newest processed event went with its space is still processed', async () => {
        const other = makeEvent({ spaceId: SPACE_B });
        const newest = makeEvent({ spaceId: SPACE_A });
        await s.store.events.append([other, newest], at(T0));
        await s.store.events.markProcessed(await s.store.events.pending(10));
        await s.store.spaces.deleteSpace(SPACE_A);
        const next = makeEvent({ spaceId: SPACE_B });
        await s.store.events.append([next], at(T0 + 1000));
        expect(idsOf(await s.store.events.pending(10))).to.deep.equal([next.id]);
      });
    });

    describe('pruneDedupe', () => {
      it('forgets only messageIds older than the cutoff; the events themselves stay', async () => {
        const old = makeEvent({ messageId: 'm-old' });
        const recent = makeEvent({ messageId: 'm-recent' });
        await s.store.events.append([old], at(T0));
        await s.store.events.append([recent], at(T0 + 1000));
        expect(await s.store.events.pruneDedupe(T0 - 1), 'nothing older yet').to.equal(0);
        expect(await s.store.events.pruneDedupe(T0 + 500)).to.equal(1);

        const oldAgain = makeEvent({ messageId: 'm-old' });
        const outcomes = await s.store.events.append([oldAgain, makeEvent({ messageId: 'm-recent' })], at(T0 + 2000));
        expect(outcomes).to.deep.equal(['stored', 'duplicate']);
        expect(idsOf((await s.store.events.list(SPACE_A, { limit: 10 })).items)).to.deep.equal([oldAgain.id, recent.id, old.id]);
      });

      it('prunes across spaces', async () => {
        await s.store.events.append([makeEvent({ spaceId: SPACE_A, messageId: 'm-1' }), makeEvent({ spaceId: SPACE_B, messageId: 'm-1' })], at(T0));
        expect(await s.store.events.pruneDedupe(T0 + 1)).to.equal(2);
        const outcomes = await s.store.events.append([makeEvent({ spaceId: SPACE_A, messageId: 'm-1' }), makeEvent({ spaceId: SPACE_B, messageId: 'm-1' })], at(T0 + 2));
        expect(outcomes).to.deep.equal(['stored', 'stored']);
      });
    });
  });
}
