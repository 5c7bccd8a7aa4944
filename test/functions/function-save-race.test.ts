/**
 * A save that loses its race (another save changed the function between its read and its write)
 * answers 409 and leaves nothing behind: before, its code stayed as a version that could be
 * listed, test-run and deployed though the client was told the save failed (an audit found
 * 4 such versions after 10 parallel saves).
 */
import { expect } from 'chai';
import { openSqliteStore } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { FunctionService } from '../../engine/functions/function-service.ts';
import type { FunctionRunner } from '../../engine/functions/function-runner.ts';
import { EngineError } from '../../engine/errors.ts';

/** Checks nothing and runs nothing: saving and versioning are what is tested here. */
const runner: FunctionRunner = { checkSyntax: () => null, invoke: () => Promise.reject(new Error('not invoked in this test')) };

describe('functions: a save that loses its race', () => {
  let store: Store;
  beforeEach(() => { store = openSqliteStore({ dataDir: ':memory:' }); });
  afterEach(async () => { await store.close(); });

  it('answers version_conflict and leaves no version behind', async () => {
    const service = new FunctionService({ store, runner, onChange: () => {} });
    const input = (code: string) => ({ name: 'Racy', description: null, code, settingsSchema: [], settings: {} });
    const created = await service.create('s1', input('async function onTrack() { return 1 }'));
    // The function record changes under the save, between its read and its compare-and-set.
    const real = store.functions;
    let raced = false;
    const racing: Store = {
      ...store,
      functions: {
        get: real.get.bind(real), list: real.list.bind(real), insert: real.insert.bind(real), delete: real.delete.bind(real),
        putVersion: real.putVersion.bind(real), getVersion: real.getVersion.bind(real), listVersions: real.listVersions.bind(real),
        deleteVersion: real.deleteVersion.bind(real),
        update: async (fn, rev) => {
          if (!raced) {
            raced = true;
            return 'version_conflict';
          }
          return real.update(fn, rev);
        },
      },
    };
    const losing = new FunctionService({ store: racing, runner, onChange: () => {} });
    let error: unknown;
    try {
      await losing.update('s1', created.id, input('async function onTrack() { return 2 }'));
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(EngineError);
    expect((error as EngineError).code).to.equal('version_conflict');
    expect((await service.versions('s1', created.id)).map((v) => v.version)).to.deep.equal([1]);
    // The retry the 409 asks for saves the code once, as the next version.
    await losing.update('s1', created.id, input('async function onTrack() { return 2 }'));
    expect((await service.versions('s1', created.id)).map((v) => v.version)).to.deep.equal([2, 1]);
  });
});
