import { openSqliteStore, type SqliteStoreOptions } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { storeContract } from '../contract/store-contract.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';

/** A store in a fresh data directory, opened with `options` each time (reopen included). */
function fileStore(options: Omit<SqliteStoreOptions, 'dataDir'> = {}) {
  return async () => {
    const dataDir = tempDataDir();
    let store: Store = openSqliteStore({ ...options, dataDir });
    return {
      store,
      async reopen() {
        await store.close();
        store = openSqliteStore({ ...options, dataDir });
        return store;
      },
      async cleanup() {
        await store.close();
        removeDir(dataDir);
      },
    };
  };
}

storeContract('sqlite (file)', fileStore());

// SQLITE_MMAP_MB: reads go through the memory map; everything the contract checks must hold the same.
storeContract('sqlite (file, memory-mapped)', fileStore({ mmapBytes: 64 * 1024 * 1024 }));

storeContract('sqlite (:memory:)', async () => {
  const store = openSqliteStore({ dataDir: ':memory:', synchronous: 'normal' });
  return { store, cleanup: () => store.close() };
});
