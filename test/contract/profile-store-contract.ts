import { expect } from 'chai';
import { SPACE_A, SPACE_B, idsOf, iso, makeProfile, nextVersion, useFreshStore, type MakeStore } from './store-fixtures.ts';

/** ProfileStore: identity claims, compare-and-set updates, merges, lookups. */
export function profileStoreContract(makeStore: MakeStore): void {
  describe('profile store', () => {
    const s = useFreshStore(makeStore);

    describe('insert', () => {
      it('stores the profile and claims its user ids and anonymous ids', async () => {
        const p = makeProfile({
          userId: 'u1', userIds: ['u0', 'u1'], anonymousIds: ['a1', 'a2'], email: 'ann@example.com',
          traits: { name: 'Ann', plan: 'pro', address: { city: 'Oslo' }, tags: ['x', 'y'], score: 3.5, vip: false, nothing: null },
        });
        expect(await s.store.profiles.insert(p)).to.equal('ok');
        expect(await s.store.profiles.get(SPACE_A, p.id)).to.deep.equal(p);
        for (const value of ['u0', 'u1']) expect(await s.store.profiles.findOwner(SPACE_A, 'userId', value)).to.deep.equal(p);
        for (const value of ['a1', 'a2']) expect(await s.store.profiles.findOwner(SPACE_A, 'anonymousId', value)).to.deep.equal(p);
        expect(await s.store.profiles.findOwner(SPACE_A, 'userId', 'a1'), 'kinds are separate').to.equal(null);
        expect(await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'u1'), 'kinds are separate').to.equal(null);
        expect(await s.store.profiles.get(SPACE_A, 'no-such-profile')).to.equal(null);
      });

      it('refuses an identity owned by another profile and stores nothing of it', async () => {
        const owner = makeProfile({ userIds: ['u1'], anonymousIds: ['a1'] });
        await s.store.profiles.insert(owner);
        const byAnon = makeProfile({ userIds: ['u2'], anonymousIds: ['a2', 'a1'] });
        expect(await s.store.profiles.insert(byAnon)).to.equal('identity_conflict');
        const byUser = makeProfile({ userIds: ['u3', 'u1'], anonymousIds: ['a3'] });
        expect(await s.store.profiles.insert(byUser)).to.equal('identity_conflict');

        expect(await s.store.profiles.get(SPACE_A, byAnon.id)).to.equal(null);
        expect(await s.store.profiles.get(SPACE_A, byUser.id)).to.equal(null);
        for (const [kind, value] of [['userId', 'u2'], ['anonymousId', 'a2'], ['userId', 'u3'], ['anonymousId', 'a3']] as const) {
          expect(await s.store.profiles.findOwner(SPACE_A, kind, value), `${kind} ${value} left unclaimed`).to.equal(null);
        }
        expect((await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a1'))?.id).to.equal(owner.id);
        expect(idsOf(await s.store.profiles.list(SPACE_A, { after: null, limit: 10 }))).to.deep.equal([owner.id]);
        expect(await s.store.profiles.insert(makeProfile({ anonymousIds: ['a2'] })), 'the refused claims are free').to.equal('ok');
      });

      it('lets exactly one of concurrent inserts claim the same identity', async () => {
        const racers = Array.from({ length: 5 }, () => makeProfile({ userId: 'u-race', userIds: ['u-race'] }));
        const results = await Promise.all(racers.map((p) => s.store.profiles.insert(p)));
        expect(results.filter((r) => r === 'ok'), 'exactly one ok').to.have.length(1);
        expect(results.filter((r) => r !== 'ok').every((r) => r === 'identity_conflict'), 'the others conflict').to.equal(true);
        const winner = racers[results.indexOf('ok')]!;
        expect(await s.store.profiles.findOwner(SPACE_A, 'userId', 'u-race')).to.deep.equal(winner);
        expect(await s.store.profiles.liveProfileId(SPACE_A, 'userId', 'u-race')).to.equal(winner.id);
        expect(idsOf(await s.store.profiles.list(SPACE_A, { after: null, limit: 10 })), 'no loser stored').to.deep.equal([winner.id]);
      });

      it('never lets concurrent inserts with overlapping identities both own them', async () => {
        const racers = Array.from({ length: 4 }, (_x, i) => makeProfile({ userIds: ['u-shared', `u-own-${i}`], anonymousIds: ['a-shared'] }));
        const results = await Promise.all(racers.map((p) => s.store.profiles.insert(p)));
        expect(results.every((r) => r === 'ok' || r === 'identity_conflict')).to.equal(true);
        const winners = racers.filter((_p, i) => results[i] === 'ok');
        expect(winners.length, 'at most one ok').to.be.at.most(1);
        expect(idsOf(await s.store.profiles.list(SPACE_A, { after: null, limit: 10 })), 'no loser stored').to.deep.equal(idsOf(winners));
        for (const [i, p] of racers.entries()) {
          const owner = await s.store.profiles.findOwner(SPACE_A, 'userId', `u-own-${i}`);
          expect(owner?.id ?? null, `u-own-${i}`).to.equal(results[i] === 'ok' ? p.id : null);
        }
        const sharedOwner = winners[0]?.id ?? null;
        expect((await s.store.profiles.findOwner(SPACE_A, 'userId', 'u-shared'))?.id ?? null).to.equal(sharedOwner);
        expect((await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a-shared'))?.id ?? null).to.equal(sharedOwner);
        expect(await s.store.profiles.insert(makeProfile({ userIds: ['u-shared'], anonymousIds: ['a-shared'] })), 'free unless won')
          .to.equal(sharedOwner === null ? 'ok' : 'identity_conflict');
      });
    });

    describe('update', () => {
      it('replaces the profile when the expected version matches', async () => {
        const p = makeProfile({ userIds: ['u1'] });
        await s.store.profiles.insert(p);
        const v2 = nextVersion(p, { traits: { plan: 'pro' }, email: 'ann@example.com', lastSeenAt: iso(5000), lastEventId: 'evt-1' });
        expect(await s.store.profiles.update(v2, 1)).to.equal('ok');
        expect(await s.store.profiles.get(SPACE_A, p.id)).to.deep.equal(v2);
        expect(await s.store.profiles.findOwner(SPACE_A, 'userId', 'u1')).to.deep.equal(v2);
        expect(await s.store.profiles.findByEmail(SPACE_A, 'ann@example.com')).to.deep.equal(v2);
      });

      it('refuses a stale expected version and changes nothing, identities included', async () => {
        const p = makeProfile({ userIds: ['u1'] });
        await s.store.profiles.insert(p);
        const v2 = nextVersion(p, { traits: { plan: 'pro' } });
        await s.store.profiles.update(v2, 1);
        const stale = nextVersion(p, { traits: { plan: 'free' }, anonymousIds: ['a9'], email: 'stale@example.com' });
        expect(await s.store.profiles.update(stale, 1)).to.equal('version_conflict');
        expect(await s.store.profiles.update({ ...stale, version: 4 }, 3)).to.equal('version_conflict');
        expect(await s.store.profiles.get(SPACE_A, p.id)).to.deep.equal(v2);
        expect(await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a9')).to.equal(null);
        expect(await s.store.profiles.findByEmail(SPACE_A, 'stale@example.com')).to.equal(null);
      });

      it('claims new identities', async () => {
        const p = makeProfile({ userIds: ['u1'], anonymousIds: ['a1'] });
        await s.store.profiles.insert(p);
        const v2 = nextVersion(p, { anonymousIds: ['a1', 'a2'], userIds: ['u1', 'u2'], userId: 'u2' });
        expect(await s.store.profiles.update(v2, 1)).to.equal('ok');
        expect((await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a2'))?.id).to.equal(p.id);
        expect((await s.store.profiles.findOwner(SPACE_A, 'userId', 'u2'))?.id).to.equal(p.id);
        expect(await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a1')).to.deep.equal(v2);
      });

      it('refuses to claim an identity of an unrelated profile and changes nothing', async () => {
        const p = makeProfile({ userIds: ['u1'] });
        const other = makeProfile({ anonymousIds: ['a-other'] });
        await s.store.profiles.insert(p);
        await s.store.profiles.insert(other);
        const grab = nextVersion(p, { anonymousIds: ['a-new', 'a-other'], traits: { grabbed: true } });
        expect(await s.store.profiles.update(grab, 1)).to.equal('identity_conflict');
        expect(await s.store.profiles.get(SPACE_A, p.id)).to.deep.equal(p);
        expect((await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a-other'))?.id).to.equal(other.id);
        expect(await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a-new')).to.equal(null);
        expect(await s.store.profiles.update(nextVersion(p, { traits: { ok: true } }), 1), 'version unchanged by the refusal').to.equal('ok');
      });

      it('accepts claiming identities of a profile merged into this one; findOwner does not follow the merge', async () => {
        const survivor = makeProfile({ userId: 'u1', userIds: ['u1'] });
        const absorbed = makeProfile({ anonymousIds: ['a1'] });
        await s.store.profiles.insert(survivor);
        await s.store.profiles.insert(absorbed);
        const redirected = nextVersion(absorbed, { mergedInto: survivor.id });
        expect(await s.store.profiles.update(redirected, 1)).to.equal('ok');
        const joined = nextVersion(survivor, { anonymousIds: ['a1'], mergedFrom: [absorbed.id] });
        expect(await s.store.profiles.update(joined, 1)).to.equal('ok');

        expect(await s.store.profiles.get(SPACE_A, survivor.id)).to.deep.equal(joined);
        const owner = await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a1');
        expect(owner, 'the first claim stands').to.deep.equal(redirected);
        expect(owner?.mergedInto).to.equal(survivor.id);
      });

      it('liveProfileId follows merges to the live profile; unknown identities give null', async () => {
        const survivor = makeProfile({ userId: 'u1', userIds: ['u1'] });
        const absorbed = makeProfile({ anonymousIds: ['a1'] });
        await s.store.profiles.insert(survivor);
        await s.store.profiles.insert(absorbed);
        expect(await s.store.profiles.liveProfileId(SPACE_A, 'anonymousId', 'a1')).to.equal(absorbed.id);
        await s.store.profiles.update(nextVersion(absorbed, { mergedInto: survivor.id }), 1);
        expect(await s.store.profiles.liveProfileId(SPACE_A, 'anonymousId', 'a1')).to.equal(survivor.id);
        expect(await s.store.profiles.liveProfileId(SPACE_A, 'userId', 'u1')).to.equal(survivor.id);
        expect(await s.store.profiles.liveProfileId(SPACE_A, 'userId', 'nobody')).to.equal(null);
      });

      it('still refuses an identity of a profile merged into a different one', async () => {
        const p = makeProfile();
        const elsewhere = makeProfile();
        const absorbed = makeProfile({ anonymousIds: ['a1'] });
        for (const x of [p, elsewhere, absorbed]) await s.store.profiles.insert(x);
        await s.store.profiles.update(nextVersion(absorbed, { mergedInto: elsewhere.id }), 1);
        expect(await s.store.profiles.update(nextVersion(p, { anonymousIds: ['a1'] }), 1)).to.equal('identity_conflict');
        expect(await s.store.profiles.get(SPACE_A, p.id)).to.deep.equal(p);
      });

      it('lets exactly one of concurrent updates from the same version win', async () => {
        const p = makeProfile({ userIds: ['u1'] });
        await s.store.profiles.insert(p);
        const racers = Array.from({ length: 4 }, (_x, i) => nextVersion(p, { traits: { n: i }, anonymousIds: [`a-${i}`] }));
        const results = await Promise.all(racers.map((r) => s.store.profiles.update(r, 1)));
        expect(results.filter((r) => r === 'ok'), 'exactly one ok').to.have.length(1);
        expect(results.filter((r) => r !== 'ok').every((r) => r === 'version_conflict'), 'the others lose the version').to.equal(true);
        const winner = racers[results.indexOf('ok')]!;
        expect(await s.store.profiles.get(SPACE_A, p.id)).to.deep.equal(winner);
        expect(await s.store.profiles.findOwner(SPACE_A, 'anonymousId', winner.anonymousIds[0]!)).to.deep.equal(winner);
        expect(await s.store.profiles.update(nextVersion(winner), 2)).to.equal('ok');
      });
    });

    describe('findByEmail', () => {
      it('returns the most recently seen unmerged profile with the email', async () => {
        const older = makeProfile({ email: 'x@example.com', lastSeenAt: iso(1000) });
        const newer = makeProfile({ email: 'x@example.com', lastSeenAt: iso(9000) });
        const middle = makeProfile({ email: 'x@example.com', lastSeenAt: iso(5000) });
        for (const p of [older, newer, middle]) await s.store.profiles.insert(p);
        await s.store.profiles.insert(makeProfile({ email: 'y@example.com', lastSeenAt: iso(99000) }));
        expect(await s.store.profiles.findByEmail(SPACE_A, 'x@example.com')).to.deep.equal(newer);

        await s.store.profiles.update(nextVersion(newer, { mergedInto: older.id }), 1);
        expect(await s.store.profiles.findByEmail(SPACE_A, 'x@example.com'), 'merged profiles are skipped').to.deep.equal(middle);

        const seenAgain = nextVersion(older, { lastSeenAt: iso(20000) });
        await s.store.profiles.update(seenAgain, 1);
        expect(await s.store.profiles.findByEmail(SPACE_A, 'x@example.com'), 'follows lastSeenAt updates').to.deep.equal(seenAgain);
        expect(await s.store.profiles.findByEmail(SPACE_A, 'nobody@example.com')).to.equal(null);
        expect(await s.store.profiles.findByEmail(SPACE_B, 'x@example.com')).to.equal(null);
      });

      it('finds a profile by an email an update set or changed, and no longer by the one it replaced', async () => {
        const p = makeProfile({ email: null });
        await s.store.profiles.insert(p);
        const withEmail = nextVersion(p, { email: 'first@example.com' });
        expect(await s.store.profiles.update(withEmail, 1)).to.equal('ok');
        expect(await s.store.profiles.findByEmail(SPACE_A, 'first@example.com')).to.deep.equal(withEmail);
        const changed = nextVersion(withEmail, { email: 'second@example.com' });
        expect(await s.store.profiles.update(changed, 2)).to.equal('ok');
        expect(await s.store.profiles.findByEmail(SPACE_A, 'second@example.com')).to.deep.equal(changed);
        expect(await s.store.profiles.findByEmail(SPACE_A, 'first@example.com')).to.equal(null);
        expect(await s.store.profiles.update(nextVersion(withEmail, { email: 'third@example.com' }), 2), 'a stale version').to.equal('version_conflict');
        const cleared = nextVersion(changed, { email: null });
        expect(await s.store.profiles.update(cleared, 3)).to.equal('ok');
        expect(await s.store.profiles.findByEmail(SPACE_A, 'second@example.com')).to.equal(null);
        expect(await s.store.profiles.get(SPACE_A, p.id)).to.deep.equal(cleared);
      });
    });

    describe('list', () => {
      it('pages unmerged profiles of the space in id order', async () => {
        const ids = ['p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6'];
        const inserted = ids.map((id) => makeProfile({ id, traits: { n: id } }));
        for (const p of [...inserted].reverse()) await s.store.profiles.insert(p);
        await s.store.profiles.insert(makeProfile({ id: 'p-0-other-space', spaceId: SPACE_B }));
        const merged = await s.store.profiles.get(SPACE_A, 'p-4');
        await s.store.profiles.update(nextVersion(merged!, { mergedInto: 'p-1' }), 1);

        const page1 = await s.store.profiles.list(SPACE_A, { after: null, limit: 2 });
        expect(page1).to.deep.equal(inserted.slice(0, 2));
        const page2 = await s.store.profiles.list(SPACE_A, { after: 'p-2', limit: 2 });
        expect(idsOf(page2)).to.deep.equal(['p-3', 'p-5']);
        const page3 = await s.store.profiles.list(SPACE_A, { after: 'p-5', limit: 2 });
        expect(idsOf(page3)).to.deep.equal(['p-6']);
        expect(await s.store.profiles.list(SPACE_A, { after: 'p-6', limit: 2 })).to.deep.equal([]);
        expect(idsOf(await s.store.profiles.list(SPACE_B, { after: null, limit: 10 }))).to.deep.equal(['p-0-other-space']);
      });
    });

    describe('spaces', () => {
      it('keeps identities, profiles and lookups apart per space', async () => {
        const inA = makeProfile({ spaceId: SPACE_A, userId: 'u1', userIds: ['u1'], anonymousIds: ['a1'], email: 'x@example.com' });
        const inB = makeProfile({ spaceId: SPACE_B, userId: 'u1', userIds: ['u1'], anonymousIds: ['a1'], email: 'x@example.com' });
        expect(await s.store.profiles.insert(inA)).to.equal('ok');
        expect(await s.store.profiles.insert(inB), 'the same ids are free in another space').to.equal('ok');
        expect(await s.store.profiles.findOwner(SPACE_A, 'userId', 'u1')).to.deep.equal(inA);
        expect(await s.store.profiles.findOwner(SPACE_B, 'userId', 'u1')).to.deep.equal(inB);
        expect(await s.store.profiles.findOwner(SPACE_B, 'anonymousId', 'a1')).to.deep.equal(inB);
        expect(await s.store.profiles.findByEmail(SPACE_B, 'x@example.com')).to.deep.equal(inB);
        expect(await s.store.profiles.get(SPACE_B, inA.id), 'no reading across spaces').to.equal(null);
        expect(await s.store.profiles.update({ ...nextVersion(inA), spaceId: SPACE_B }, 1), 'no writing across spaces').to.not.equal('ok');
        expect(await s.store.profiles.get(SPACE_A, inA.id)).to.deep.equal(inA);
      });
    });
  });
}
