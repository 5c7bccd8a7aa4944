import { openSqliteStore } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { storeContract } from '../contract/store-contract.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

storeContract('sqlite (file)', async () => {
  const dataDir = tempDataDir();
  let store: Store = openSqliteStore({ dataDir });
  return {
    store,
    async reopen() {
      await store.close();
      store = openSqliteStore({ dataDir });
      return store;
    },
    async cleanup() {
      await store.close();
      removeDir(dataDir);
    },
  };
});

storeContract('sqlite (:memory:)', async () => {
  const store = openSqliteStore({ dataDir: ':memory:', synchronous: 'normal' });
  return { store, cleanup: () => store.close() };
});
