import { expect } from 'chai';
import { SPACE_A, SPACE_B, idsOf, useFreshStore, type MakeStore } from './store-fixtures.ts';
import { makeFunction, makeFunctionVersion, nextRev } from './config-fixtures.ts';

/** FunctionStore: names unique per space, compare-and-set on rev, immutable versions, cascading delete. */
export function functionStoreContract(makeStore: MakeStore): void {
  describe('function store', () => {
    const s = useFreshStore(makeStore);

    it('stores a function with its settings verbatim (keys with dots and $ included)', async () => {
      const fn = makeFunction({ description: 'Posts to the CRM', deployedVersion: 1 });
      expect(await s.store.functions.insert(fn)).to.equal('ok');
      expect(await s.store.functions.get(SPACE_A, fn.id)).to.deep.equal(fn);
      expect(await s.store.functions.get(SPACE_A, 'no-such-function')).to.equal(null);
      expect(await s.store.functions.get(SPACE_B, fn.id), 'no reading across spaces').to.equal(null);
    });

    it('refuses a name taken in the space; the same name in another space is fine', async () => {
      const first = makeFunction({ name: 'crm-sync' });
      await s.store.functions.insert(first);
      const again = makeFunction({ name: 'crm-sync' });
      expect(await s.store.functions.insert(again)).to.equal('conflict');
      expect(await s.store.functions.get(SPACE_A, again.id)).to.equal(null);
      const inB = makeFunction({ name: 'crm-sync', spaceId: SPACE_B });
      expect(await s.store.functions.insert(inB)).to.equal('ok');
      expect(await s.store.functions.list(SPACE_A)).to.deep.equal([first]);
      expect(await s.store.functions.list(SPACE_B)).to.deep.equal([inB]);
    });

    it('lists the functions of the space by name', async () => {
      const b = makeFunction({ name: 'b-fn' });
      const c = makeFunction({ name: 'c-fn' });
      const a = makeFunction({ name: 'a-fn' });
      for (const fn of [b, c, a]) await s.store.functions.insert(fn);
      await s.store.functions.insert(makeFunction({ name: 'a-other', spaceId: SPACE_B }));
      expect(await s.store.functions.list(SPACE_A)).to.deep.equal([a, b, c]);
      expect(await s.store.functions.list('space-empty')).to.deep.equal([]);
    });

    it('updates on the expected rev and refuses a stale one', async () => {
      const fn = makeFunction();
      await s.store.functions.insert(fn);
      const v2 = nextRev(fn, { latestVersion: 2, deployedVersion: 2, settings: { apiKey: 'k-456', 'x.y': { $z: true } } });
      expect(await s.store.functions.update(v2, 1)).to.equal('ok');
      expect(await s.store.functions.get(SPACE_A, fn.id)).to.deep.equal(v2);
      expect(await s.store.functions.update(nextRev(fn, { deployedVersion: 1 }), 1)).to.equal('version_conflict');
      expect(await s.store.functions.update({ ...v2, rev: 5 }, 4)).to.equal('version_conflict');
      expect(await s.store.functions.get(SPACE_A, fn.id)).to.deep.equal(v2);
      expect(await s.store.functions.update(makeFunction({ rev: 2 }), 1), 'unknown function').to.equal('version_conflict');
    });

    it('refuses a rename to a taken name and frees the old name on a rename', async () => {
      const taken = makeFunction({ name: 'taken' });
      const fn = makeFunction({ name: 'mine' });
      await s.store.functions.insert(taken);
      await s.store.functions.insert(fn);
      await s.store.functions.insert(makeFunction({ name: 'other-space', spaceId: SPACE_B }));
      expect(await s.store.functions.update(nextRev(fn, { name: 'taken' }), 1)).to.equal('conflict');
      expect(await s.store.functions.get(SPACE_A, fn.id)).to.deep.equal(fn);
      expect(await s.store.functions.update(nextRev(fn, { name: 'other-space' }), 1)).to.equal('ok');
      expect(await s.store.functions.insert(makeFunction({ name: 'mine' })), 'the old name is free').to.equal('ok');
      expect(await s.store.functions.insert(makeFunction({ name: 'other-space' })), 'the new name is held').to.equal('conflict');
    });

    it('does not write across spaces', async () => {
      const fn = makeFunction();
      await s.store.functions.insert(fn);
      expect(await s.store.functions.update({ ...nextRev(fn), spaceId: SPACE_B }, 1)).to.not.equal('ok');
      expect(await s.store.functions.get(SPACE_A, fn.id)).to.deep.equal(fn);
      expect(await s.store.functions.get(SPACE_B, fn.id)).to.equal(null);
    });

    describe('versions', () => {
      it('stores a version number once: `exists` afterwards, and the first code stands', async () => {
        const fn = makeFunction();
        const v1 = makeFunctionVersion(fn, 1);
        expect(await s.store.functions.putVersion(v1)).to.equal('ok');
        expect(await s.store.functions.putVersion({ ...v1, code: 'overwritten', createdAt: 'later' })).to.equal('exists');
        expect(await s.store.functions.getVersion(SPACE_A, fn.id, 1)).to.deep.equal(v1);
        expect(await s.store.functions.getVersion(SPACE_A, fn.id, 2)).to.equal(null);
        expect(await s.store.functions.getVersion(SPACE_B, fn.id, 1), 'no reading across spaces').to.equal(null);
        expect(await s.store.functions.putVersion(makeFunctionVersion(makeFunction(), 1)), 'numbers are per function').to.equal('ok');
      });

      it('lists the versions of one function newest first, without their code', async () => {
        const fn = makeFunction();
        const other = makeFunction();
        const versions = [2, 10, 1].map((n) => makeFunctionVersion(fn, n));
        for (const v of versions) await s.store.functions.putVersion(v);
        await s.store.functions.putVersion(makeFunctionVersion(other, 3));
        const listed = await s.store.functions.listVersions(SPACE_A, fn.id);
        expect(listed).to.deep.equal([10, 2, 1].map((n) => {
          const { code: _code, ...rest } = makeFunctionVersion(fn, n);
          return rest;
        }));
        for (const v of listed) expect(v).to.not.have.property('code');
        expect(await s.store.functions.listVersions(SPACE_B, fn.id), 'no reading across spaces').to.deep.equal([]);
        expect(await s.store.functions.listVersions(SPACE_A, 'no-such-function')).to.deep.equal([]);
      });
    });

    describe('delete', () => {
      it('deletes the function and its versions, and nothing of other functions', async () => {
        const fn = makeFunction({ name: 'doomed' });
        const kept = makeFunction();
        for (const x of [fn, kept]) {
          await s.store.functions.insert(x);
          await s.store.functions.putVersion(makeFunctionVersion(x, 1));
          await s.store.functions.putVersion(makeFunctionVersion(x, 2));
        }
        expect(await s.store.functions.delete(SPACE_A, fn.id)).to.equal(true);
        expect(await s.store.functions.get(SPACE_A, fn.id)).to.equal(null);
        expect(await s.store.functions.listVersions(SPACE_A, fn.id)).to.deep.equal([]);
        expect(await s.store.functions.getVersion(SPACE_A, fn.id, 1)).to.equal(null);
        expect(await s.store.functions.delete(SPACE_A, fn.id), 'already gone').to.equal(false);
        expect(await s.store.functions.insert(makeFunction({ name: 'doomed' })), 'its name is free').to.equal('ok');

        expect(idsOf(await s.store.functions.list(SPACE_A)).includes(kept.id)).to.equal(true);
        expect((await s.store.functions.listVersions(SPACE_A, kept.id)).map((v) => v.version)).to.deep.equal([2, 1]);
        expect(await s.store.functions.getVersion(SPACE_A, kept.id, 1)).to.deep.equal(makeFunctionVersion(kept, 1));
      });

      it('deletes nothing when the function is not in the space', async () => {
        const fn = makeFunction();
        await s.store.functions.insert(fn);
        await s.store.functions.putVersion(makeFunctionVersion(fn, 1));
        expect(await s.store.functions.delete(SPACE_B, fn.id)).to.equal(false);
        expect(await s.store.functions.delete(SPACE_A, 'no-such-function')).to.equal(false);
        expect(await s.store.functions.get(SPACE_A, fn.id)).to.deep.equal(fn);
        expect(await s.store.functions.getVersion(SPACE_A, fn.id, 1)).to.deep.equal(makeFunctionVersion(fn, 1));
      });
    });
  });
}
