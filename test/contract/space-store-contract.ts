import { expect } from 'chai';
import {
  SPACE_A, SPACE_B, T0, byId, iso, makeAudience, makeCatalogEntry, makeCredential, makeEvent, makeProfile, makeSpace,
  useFreshStore, type MakeStore,
} from './store-fixtures.ts';
import { makeDestination, makeFunction, makeFunctionVersion } from './config-fixtures.ts';

const WINDOW_MS = 24 * 3600_000;

/** SpaceStore: spaces, credentials, and deleting a space with everything in it. */
export function spaceStoreContract(makeStore: MakeStore): void {
  describe('space store', () => {
    const s = useFreshStore(makeStore);

    describe('spaces', () => {
      it('creates, gets and lists spaces', async () => {
        const a = makeSpace({ id: SPACE_A, name: 'Alpha' });
        const b = makeSpace({ id: SPACE_B, name: 'Beta', createdAt: iso(1000) });
        expect(await s.store.spaces.createSpace(a)).to.equal('ok');
        expect(await s.store.spaces.createSpace(b)).to.equal('ok');
        expect(await s.store.spaces.getSpace(SPACE_A)).to.deep.equal(a);
        expect(await s.store.spaces.getSpace('no-such-space')).to.equal(null);
        expect(byId(await s.store.spaces.listSpaces())).to.deep.equal([a, b]);
      });

      it('refuses a duplicate id and keeps the first space', async () => {
        const a = makeSpace({ id: SPACE_A, name: 'Alpha' });
        expect(await s.store.spaces.createSpace(a)).to.equal('ok');
        expect(await s.store.spaces.createSpace({ ...a, name: 'Impostor' })).to.equal('conflict');
        expect(await s.store.spaces.getSpace(SPACE_A)).to.deep.equal(a);
        expect(await s.store.spaces.listSpaces()).to.have.length(1);
      });

      it('deleteSpace answers false for an unknown space', async () => {
        expect(await s.store.spaces.deleteSpace('no-such-space')).to.equal(false);
      });
    });

    describe('credentials', () => {
      it('adds, finds by hash (revoked or not) and lists per space', async () => {
        const key = makeCredential({ spaceId: SPACE_A, kind: 'write_key', label: 'web' });
        const token = makeCredential({ spaceId: SPACE_A, kind: 'admin_token' });
        const other = makeCredential({ spaceId: SPACE_B });
        for (const c of [key, token, other]) expect(await s.store.spaces.addCredential(c)).to.equal('ok');
        expect(await s.store.spaces.findCredentialByHash(key.hash)).to.deep.equal(key);
        expect(await s.store.spaces.findCredentialByHash(token.hash)).to.deep.equal(token);
        expect(await s.store.spaces.findCredentialByHash('0'.repeat(64))).to.equal(null);
        expect(byId(await s.store.spaces.listCredentials(SPACE_A))).to.deep.equal(byId([key, token]));
        expect(await s.store.spaces.listCredentials(SPACE_B)).to.deep.equal([other]);
        expect(await s.store.spaces.listCredentials('no-such-space')).to.deep.equal([]);
      });

      it('refuses a hash that is already stored, in any space', async () => {
        const key = makeCredential({ spaceId: SPACE_A });
        expect(await s.store.spaces.addCredential(key)).to.equal('ok');
        expect(await s.store.spaces.addCredential(makeCredential({ spaceId: SPACE_A, hash: key.hash }))).to.equal('conflict');
        expect(await s.store.spaces.addCredential(makeCredential({ spaceId: SPACE_B, hash: key.hash }))).to.equal('conflict');
        expect(await s.store.spaces.findCredentialByHash(key.hash)).to.deep.equal(key);
        expect(await s.store.spaces.listCredentials(SPACE_B)).to.deep.equal([]);
      });

      it('revokes once, only in the credential\'s own space', async () => {
        const key = makeCredential({ spaceId: SPACE_A });
        await s.store.spaces.addCredential(key);
        expect(await s.store.spaces.revokeCredential(SPACE_B, key.id, iso(5000))).to.equal(false);
        expect((await s.store.spaces.findCredentialByHash(key.hash))?.revokedAt).to.equal(null);
        expect(await s.store.spaces.revokeCredential(SPACE_A, 'no-such-credential', iso(5000))).to.equal(false);

        expect(await s.store.spaces.revokeCredential(SPACE_A, key.id, iso(6000))).to.equal(true);
        expect(await s.store.spaces.findCredentialByHash(key.hash)).to.deep.equal({ ...key, revokedAt: iso(6000) });
        expect(await s.store.spaces.revokeCredential(SPACE_A, key.id, iso(7000))).to.equal(false);
        expect((await s.store.spaces.findCredentialByHash(key.hash))?.revokedAt, 'first revocation time kept').to.equal(iso(6000));
        expect(await s.store.spaces.listCredentials(SPACE_A)).to.deep.equal([{ ...key, revokedAt: iso(6000) }]);
      });

      it('lets exactly one of concurrent writers store a hash or revoke a credential', async () => {
        const key = makeCredential({ spaceId: SPACE_A });
        const racers = [key, ...Array.from({ length: 3 }, () => makeCredential({ spaceId: SPACE_A, hash: key.hash }))];
        const added = await Promise.all(racers.map((c) => s.store.spaces.addCredential(c)));
        expect(added.filter((r) => r === 'ok'), 'one hash stored').to.have.length(1);
        const stored = racers[added.indexOf('ok')]!;
        expect(await s.store.spaces.listCredentials(SPACE_A)).to.deep.equal([stored]);
        const revoked = await Promise.all([1, 2, 3, 4].map((n) => s.store.spaces.revokeCredential(SPACE_A, stored.id, iso(n * 1000))));
        expect(revoked.filter(Boolean), 'revoked once').to.have.length(1);
        expect((await s.store.spaces.findCredentialByHash(key.hash))?.revokedAt).to.equal(iso((revoked.indexOf(true) + 1) * 1000));
      });
    });

    describe('deleteSpace', () => {
      /** Writes one of everything into a space and returns what to look for afterwards. */
      async function populate(spaceId: string) {
        await s.store.spaces.createSpace(makeSpace({ id: spaceId }));
        const credential = makeCredential({ spaceId });
        await s.store.spaces.addCredential(credential);
        const event = makeEvent({ spaceId, messageId: 'shared-message', userId: 'shared-user' });
        expect(await s.store.events.append([event], { dedupeWindowMs: WINDOW_MS, now: T0 })).to.deep.equal(['stored']);
        const profile = makeProfile({ spaceId, userId: 'shared-user', userIds: ['shared-user'], anonymousIds: ['shared-anon'], email: 'x@example.com' });
        expect(await s.store.profiles.insert(profile)).to.equal('ok');
        const audience = makeAudience({ spaceId, name: 'VIP' });
        expect(await s.store.audiences.insert(audience)).to.equal('ok');
        await s.store.audiences.setManual(spaceId, audience.id, profile.id, 'added', iso());
        await s.store.catalog.record([makeCatalogEntry({ spaceId })]);
        return { credential, event, profile, audience };
      }

      it('removes the space and everything in it, and nothing of another space', async () => {
        const a = await populate(SPACE_A);
        const b = await populate(SPACE_B);

        expect(await s.store.spaces.deleteSpace(SPACE_A)).to.equal(true);

        expect(await s.store.spaces.getSpace(SPACE_A)).to.equal(null);
        expect((await s.store.spaces.listSpaces()).map((x) => x.id)).to.deep.equal([SPACE_B]);
        expect(await s.store.spaces.listCredentials(SPACE_A)).to.deep.equal([]);
        expect(await s.store.spaces.findCredentialByHash(a.credential.hash)).to.equal(null);
        expect((await s.store.events.list(SPACE_A, { limit: 10 })).items).to.deep.equal([]);
        expect(await s.store.events.pending(10), 'pending holds only the other space').to.deep.equal([b.event]);
        expect(await s.store.profiles.get(SPACE_A, a.profile.id)).to.equal(null);
        expect(await s.store.profiles.findOwner(SPACE_A, 'userId', 'shared-user')).to.equal(null);
        expect(await s.store.profiles.findOwner(SPACE_A, 'anonymousId', 'shared-anon')).to.equal(null);
        expect(await s.store.profiles.findByEmail(SPACE_A, 'x@example.com')).to.equal(null);
        expect(await s.store.profiles.list(SPACE_A, { after: null, limit: 10 })).to.deep.equal([]);
        expect(await s.store.audiences.list(SPACE_A)).to.deep.equal([]);
        expect(await s.store.audiences.get(SPACE_A, a.audience.id)).to.equal(null);
        expect(await s.store.audiences.membershipsOfProfile(SPACE_A, a.profile.id)).to.deep.equal([]);
        expect(await s.store.audiences.members(SPACE_A, a.audience.id, { after: null, limit: 10 })).to.deep.equal([]);
        expect(await s.store.catalog.list(SPACE_A)).to.deep.equal([]);

        expect(await s.store.spaces.getSpace(SPACE_B)).to.not.equal(null);
        expect(await s.store.spaces.listCredentials(SPACE_B)).to.deep.equal([b.credential]);
        expect((await s.store.events.list(SPACE_B, { limit: 10 })).items).to.deep.equal([b.event]);
        expect(await s.store.profiles.get(SPACE_B, b.profile.id)).to.deep.equal(b.profile);
        expect((await s.store.profiles.findOwner(SPACE_B, 'userId', 'shared-user'))?.id).to.equal(b.profile.id);
        expect(await s.store.audiences.list(SPACE_B)).to.deep.equal([b.audience]);
        expect(await s.store.audiences.members(SPACE_B, b.audience.id, { after: null, limit: 10 })).to.deep.equal([b.profile.id]);
        expect(await s.store.catalog.list(SPACE_B)).to.deep.equal([makeCatalogEntry({ spaceId: SPACE_B })]);

        expect(await s.store.spaces.deleteSpace(SPACE_A), 'second delete').to.equal(false);
      });

      it('frees the deleted space\'s identities, names and messageIds for a space created with the same id', async () => {
        await populate(SPACE_A);
        await s.store.spaces.deleteSpace(SPACE_A);
        expect(await s.store.spaces.createSpace(makeSpace({ id: SPACE_A }))).to.equal('ok');
        const again = makeEvent({ spaceId: SPACE_A, messageId: 'shared-message' });
        expect(await s.store.events.append([again], { dedupeWindowMs: WINDOW_MS, now: T0 + 1000 })).to.deep.equal(['stored']);
        expect(await s.store.profiles.insert(makeProfile({ spaceId: SPACE_A, userIds: ['shared-user'], anonymousIds: ['shared-anon'] })))
          .to.equal('ok');
        expect(await s.store.audiences.insert(makeAudience({ spaceId: SPACE_A, name: 'VIP' }))).to.equal('ok');
      });

      it('removes the space\'s destinations and functions (with their versions) too', async () => {
        const inA = { destination: makeDestination({ spaceId: SPACE_A, name: 'Slack' }), fn: makeFunction({ spaceId: SPACE_A, name: 'Enrich' }) };
        const inB = { destination: makeDestination({ spaceId: SPACE_B, name: 'Slack' }), fn: makeFunction({ spaceId: SPACE_B, name: 'Enrich' }) };
        await s.store.spaces.createSpace(makeSpace({ id: SPACE_A }));
        for (const x of [inA, inB]) {
          expect(await s.store.destinations.insert(x.destination)).to.equal('ok');
          expect(await s.store.functions.insert(x.fn)).to.equal('ok');
          expect(await s.store.functions.putVersion(makeFunctionVersion(x.fn, 1))).to.equal('ok');
        }
        expect(await s.store.spaces.deleteSpace(SPACE_A)).to.equal(true);
        expect(await s.store.destinations.list(SPACE_A)).to.deep.equal([]);
        expect(await s.store.functions.list(SPACE_A)).to.deep.equal([]);
        expect(await s.store.functions.getVersion(SPACE_A, inA.fn.id, 1)).to.equal(null);
        expect(await s.store.destinations.list(SPACE_B)).to.deep.equal([inB.destination]);
        expect(await s.store.functions.list(SPACE_B)).to.deep.equal([inB.fn]);
        expect(await s.store.functions.getVersion(SPACE_B, inB.fn.id, 1)).to.deep.equal(makeFunctionVersion(inB.fn, 1));
        expect(await s.store.destinations.insert(makeDestination({ spaceId: SPACE_A, name: 'Slack' })), 'the name is free again').to.equal('ok');
        expect(await s.store.functions.insert(makeFunction({ spaceId: SPACE_A, name: 'Enrich' })), 'the name is free again').to.equal('ok');
      });
    });
  });
}
