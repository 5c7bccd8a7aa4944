import { expect } from 'chai';
import type { JourneyVersionRecord } from '../../engine/store/journey-store.ts';
import { SPACE_A, SPACE_B, idsOf, useFreshStore, type MakeStore } from './store-fixtures.ts';
import { makeDefinition, makeJourney, makeJourneyVersion, nextRev } from './config-fixtures.ts';

/** Versions in a stable order, for comparisons where the port promises none. */
function byJourneyAndVersion(versions: readonly JourneyVersionRecord[]): JourneyVersionRecord[] {
  return [...versions].sort((a, b) => (a.journeyId < b.journeyId ? -1 : a.journeyId > b.journeyId ? 1 : a.version - b.version));
}

/** JourneyStore: names unique per space, compare-and-set, versions, activation keys, cascading delete. */
export function journeyStoreContract(makeStore: MakeStore): void {
  describe('journey store', () => {
    const s = useFreshStore(makeStore);

    describe('insert and get', () => {
      it('stores the journey with its draft verbatim (keys with dots and $ included)', async () => {
        const j = makeJourney({ description: 'First steps' });
        expect(await s.store.journeys.insert(j)).to.equal('ok');
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(j);
        const published = makeJourney({ status: 'published', draft: null, draftVersion: null, liveVersion: 3, retiring: { version: 2, state: 'exiting' }, rev: 7 });
        expect(await s.store.journeys.insert(published)).to.equal('ok');
        expect(await s.store.journeys.get(SPACE_A, published.id)).to.deep.equal(published);
        expect(await s.store.journeys.get(SPACE_A, 'no-such-journey')).to.equal(null);
      });

      it('refuses a name taken in the space and stores nothing of the refused journey', async () => {
        const first = makeJourney({ name: 'Onboarding' });
        await s.store.journeys.insert(first);
        const second = makeJourney({ name: 'Onboarding' });
        expect(await s.store.journeys.insert(second)).to.equal('conflict');
        expect(await s.store.journeys.get(SPACE_A, second.id)).to.equal(null);
        expect(idsOf(await s.store.journeys.list(SPACE_A, {}))).to.deep.equal([first.id]);
      });

      it('accepts the same name in another space; each space reads only its own', async () => {
        const inA = makeJourney({ name: 'Onboarding' });
        const inB = makeJourney({ name: 'Onboarding', spaceId: SPACE_B });
        expect(await s.store.journeys.insert(inA)).to.equal('ok');
        expect(await s.store.journeys.insert(inB)).to.equal('ok');
        expect(await s.store.journeys.get(SPACE_B, inB.id)).to.deep.equal(inB);
        expect(await s.store.journeys.get(SPACE_B, inA.id), 'no reading across spaces').to.equal(null);
        expect(await s.store.journeys.get(SPACE_A, inB.id), 'no reading across spaces').to.equal(null);
      });
    });

    describe('update', () => {
      it('replaces the journey when the expected rev matches', async () => {
        const j = makeJourney();
        await s.store.journeys.insert(j);
        const v2 = nextRev(j, { status: 'published', draft: null, draftVersion: null, liveVersion: 1, description: 'live now' });
        expect(await s.store.journeys.update(v2, 1)).to.equal('ok');
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(v2);
        const v3 = nextRev(v2, { draft: makeDefinition('edited'), draftVersion: 2 });
        expect(await s.store.journeys.update(v3, 2)).to.equal('ok');
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(v3);
      });

      it('refuses a stale or unknown rev with version_conflict and changes nothing', async () => {
        const j = makeJourney();
        await s.store.journeys.insert(j);
        const v2 = nextRev(j, { status: 'paused' });
        await s.store.journeys.update(v2, 1);
        expect(await s.store.journeys.update(nextRev(j, { status: 'archived' }), 1)).to.equal('version_conflict');
        expect(await s.store.journeys.update({ ...v2, rev: 9, status: 'archived' }, 8)).to.equal('version_conflict');
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(v2);
        expect(await s.store.journeys.update(makeJourney({ rev: 2 }), 1), 'unknown journey').to.equal('version_conflict');
      });

      it('lets exactly one of two updates racing on the same rev through', async () => {
        const j = makeJourney();
        await s.store.journeys.insert(j);
        const paused = nextRev(j, { status: 'paused' });
        const archived = nextRev(j, { status: 'archived' });
        const results = await Promise.all([s.store.journeys.update(paused, 1), s.store.journeys.update(archived, 1)]);
        expect([...results].sort()).to.deep.equal(['ok', 'version_conflict']);
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(results[0] === 'ok' ? paused : archived);
      });

      it('refuses a rename to a name taken in the space; the same name in another space is fine', async () => {
        const taken = makeJourney({ name: 'Taken' });
        const j = makeJourney({ name: 'Mine' });
        await s.store.journeys.insert(taken);
        await s.store.journeys.insert(j);
        await s.store.journeys.insert(makeJourney({ name: 'Elsewhere', spaceId: SPACE_B }));
        expect(await s.store.journeys.update(nextRev(j, { name: 'Taken' }), 1)).to.equal('conflict');
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(j);

        const renamed = nextRev(j, { name: 'Elsewhere' });
        expect(await s.store.journeys.update(renamed, 1), 'the rev is unchanged by the refusal').to.equal('ok');
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(renamed);
        expect(await s.store.journeys.insert(makeJourney({ name: 'Mine' })), 'the old name is free').to.equal('ok');
        expect(await s.store.journeys.insert(makeJourney({ name: 'Elsewhere' })), 'the new name is held').to.equal('conflict');
      });

      it('does not write across spaces', async () => {
        const j = makeJourney();
        await s.store.journeys.insert(j);
        expect(await s.store.journeys.update({ ...nextRev(j, { status: 'archived' }), spaceId: SPACE_B }, 1)).to.not.equal('ok');
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(j);
        expect(await s.store.journeys.get(SPACE_B, j.id)).to.equal(null);
      });
    });

    describe('list', () => {
      it('lists the journeys of the space by name, optionally of one status', async () => {
        const b = makeJourney({ name: 'b-journey', status: 'published', draft: null, liveVersion: 1 });
        const c = makeJourney({ name: 'c-journey' });
        const a = makeJourney({ name: 'a-journey' });
        for (const j of [b, c, a]) await s.store.journeys.insert(j);
        await s.store.journeys.insert(makeJourney({ name: 'a-other-space', spaceId: SPACE_B }));
        expect(await s.store.journeys.list(SPACE_A, {})).to.deep.equal([a, b, c]);
        expect(await s.store.journeys.list(SPACE_A, { status: 'draft' })).to.deep.equal([a, c]);
        expect(await s.store.journeys.list(SPACE_A, { status: 'published' })).to.deep.equal([b]);
        expect(await s.store.journeys.list(SPACE_A, { status: 'archived' })).to.deep.equal([]);
        expect((await s.store.journeys.list(SPACE_B, {})).map((j) => j.name)).to.deep.equal(['a-other-space']);
        expect(await s.store.journeys.list('space-empty', {})).to.deep.equal([]);
      });
    });

    describe('versions', () => {
      it('stores a version; putting it again replaces it (a publish after one interrupted freezes the current draft)', async () => {
        const j = makeJourney();
        const v1 = makeJourneyVersion(j, 1);
        await s.store.journeys.putVersion(v1);
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 1)).to.deep.equal(v1);
        const again = { ...v1, definition: makeDefinition('changed'), publishedAt: 'later' };
        await s.store.journeys.putVersion(again);
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 1)).to.deep.equal(again);
        expect(await s.store.journeys.listVersions(SPACE_A, j.id)).to.deep.equal([again]);
        await s.store.journeys.putVersion({ ...v1, spaceId: SPACE_B, definition: makeDefinition('elsewhere') });
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 1), 'never over another space').to.deep.equal(again);
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 2)).to.equal(null);
        expect(await s.store.journeys.getVersion(SPACE_B, j.id, 1), 'no reading across spaces').to.equal(null);
      });

      it('lists the versions of one journey in version order', async () => {
        const j = makeJourney();
        const other = makeJourney();
        const versions = [10, 2, 1].map((n) => makeJourneyVersion(j, n, { state: n === 10 ? 'live' : 'retired' }));
        for (const v of versions) await s.store.journeys.putVersion(v);
        await s.store.journeys.putVersion(makeJourneyVersion(other, 3));
        expect((await s.store.journeys.listVersions(SPACE_A, j.id)).map((v) => v.version)).to.deep.equal([1, 2, 10]);
        expect(await s.store.journeys.listVersions(SPACE_A, j.id)).to.deep.equal([versions[2], versions[1], versions[0]]);
        expect(await s.store.journeys.listVersions(SPACE_B, j.id), 'no reading across spaces').to.deep.equal([]);
        expect(await s.store.journeys.listVersions(SPACE_A, 'no-such-journey')).to.deep.equal([]);
      });

      it('sets the state of one version only, within its space', async () => {
        const j = makeJourney();
        const v1 = makeJourneyVersion(j, 1);
        const v2 = makeJourneyVersion(j, 2);
        await s.store.journeys.putVersion(v1);
        await s.store.journeys.putVersion(v2);
        await s.store.journeys.setVersionState(SPACE_A, j.id, 1, 'draining');
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 1)).to.deep.equal({ ...v1, state: 'draining' });
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 2)).to.deep.equal(v2);
        await s.store.journeys.setVersionState(SPACE_B, j.id, 2, 'retired');
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 2), 'no writing across spaces').to.deep.equal(v2);
        await s.store.journeys.setVersionState(SPACE_A, j.id, 1, 'retired');
        expect(await s.store.journeys.listVersions(SPACE_A, j.id)).to.deep.equal([{ ...v1, state: 'retired' }, v2]);
      });

      it('lists every version not retired, across spaces', async () => {
        const a = makeJourney();
        const b = makeJourney({ spaceId: SPACE_B });
        const live = makeJourneyVersion(a, 3);
        const draining = makeJourneyVersion(a, 2, { state: 'draining' });
        const retired = makeJourneyVersion(a, 1, { state: 'retired' });
        const exiting = makeJourneyVersion(b, 1, { state: 'exiting' });
        const otherLive = makeJourneyVersion(b, 2);
        for (const v of [live, draining, retired, exiting, otherLive]) await s.store.journeys.putVersion(v);
        expect(byJourneyAndVersion(await s.store.journeys.listActiveVersions()))
          .to.deep.equal(byJourneyAndVersion([live, draining, exiting, otherLive]));

        await s.store.journeys.setVersionState(SPACE_A, a.id, 2, 'retired');
        await s.store.journeys.setVersionState(SPACE_B, b.id, 1, 'retired');
        expect(byJourneyAndVersion(await s.store.journeys.listActiveVersions())).to.deep.equal(byJourneyAndVersion([live, otherLive]));
      });
    });

    describe('activation keys', () => {
      it('claims free keys; the holder may claim them again', async () => {
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j1', ['key-one', 'key-two'])).to.deep.equal([]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j1', ['key-two', 'key-one', 'key-three'])).to.deep.equal([]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j1', [])).to.deep.equal([]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j2', ['key-three']), 'key-three was claimed').to.deep.equal(['key-three']);
      });

      it('answers the keys held by other journeys of the space and claims none of a refused set', async () => {
        await s.store.journeys.claimActivationKeys(SPACE_A, 'j1', ['key-one']);
        await s.store.journeys.claimActivationKeys(SPACE_A, 'j2', ['key-two']);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j3', ['key-new', 'key-two', 'key-one', 'key-other']))
          .to.have.members(['key-one', 'key-two']).and.to.have.length(2);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j4', ['key-new', 'key-other']), 'the refused claim took nothing').to.deep.equal([]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j1', ['key-one', 'key-new'])).to.deep.equal(['key-new']);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j2', ['key-two']), 'holders keep their keys').to.deep.equal([]);
      });

      it('keeps keys apart per space', async () => {
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j1', ['key-one'])).to.deep.equal([]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_B, 'j2', ['key-one']), 'the same key is free in another space').to.deep.equal([]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j3', ['key-one'])).to.deep.equal(['key-one']);
        expect(await s.store.journeys.claimActivationKeys(SPACE_B, 'j3', ['key-one'])).to.deep.equal(['key-one']);
      });

      it('gives a key raced for by two journeys to exactly one of them', async () => {
        const [first, second] = await Promise.all([
          s.store.journeys.claimActivationKeys(SPACE_A, 'j1', ['key-race']),
          s.store.journeys.claimActivationKeys(SPACE_A, 'j2', ['key-race']),
        ]);
        expect([first, second].filter((taken) => taken.length === 0), 'exactly one wins').to.have.length(1);
        expect([first, second].filter((taken) => taken.length === 1 && taken[0] === 'key-race')).to.have.length(1);
        const winner = first?.length === 0 ? 'j1' : 'j2';
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, winner, ['key-race'])).to.deep.equal([]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j3', ['key-race'])).to.deep.equal(['key-race']);
      });
    });

    describe('delete', () => {
      it('deletes the journey, its versions and its activation keys, and nothing of other journeys', async () => {
        const j = makeJourney({ name: 'Doomed' });
        const kept = makeJourney();
        for (const x of [j, kept]) await s.store.journeys.insert(x);
        for (const x of [j, kept]) {
          await s.store.journeys.putVersion(makeJourneyVersion(x, 1, { state: 'retired' }));
          await s.store.journeys.putVersion(makeJourneyVersion(x, 2));
        }
        await s.store.journeys.claimActivationKeys(SPACE_A, j.id, ['key-doomed']);
        await s.store.journeys.claimActivationKeys(SPACE_A, kept.id, ['key-kept']);

        expect(await s.store.journeys.delete(SPACE_A, j.id)).to.equal(true);
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.equal(null);
        expect(await s.store.journeys.listVersions(SPACE_A, j.id)).to.deep.equal([]);
        expect(await s.store.journeys.getVersion(SPACE_A, j.id, 2)).to.equal(null);
        expect((await s.store.journeys.listActiveVersions()).map((v) => v.journeyId)).to.deep.equal([kept.id]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j-new', ['key-doomed']), 'its keys are free').to.deep.equal([]);
        expect(await s.store.journeys.insert(makeJourney({ name: 'Doomed' })), 'its name is free').to.equal('ok');

        expect(await s.store.journeys.get(SPACE_A, kept.id)).to.deep.equal(kept);
        expect(await s.store.journeys.listVersions(SPACE_A, kept.id)).to.have.length(2);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j-new', ['key-kept'])).to.deep.equal(['key-kept']);
        expect(await s.store.journeys.delete(SPACE_A, j.id), 'already gone').to.equal(false);
      });

      it('deletes nothing when the journey is not in the space', async () => {
        const j = makeJourney();
        await s.store.journeys.insert(j);
        const v1 = makeJourneyVersion(j, 1);
        await s.store.journeys.putVersion(v1);
        await s.store.journeys.claimActivationKeys(SPACE_A, j.id, ['key-one']);
        expect(await s.store.journeys.delete(SPACE_B, j.id)).to.equal(false);
        expect(await s.store.journeys.delete(SPACE_A, 'no-such-journey')).to.equal(false);
        expect(await s.store.journeys.get(SPACE_A, j.id)).to.deep.equal(j);
        expect(await s.store.journeys.listVersions(SPACE_A, j.id)).to.deep.equal([v1]);
        expect(await s.store.journeys.claimActivationKeys(SPACE_A, 'j2', ['key-one'])).to.deep.equal(['key-one']);
      });
    });
  });
}
