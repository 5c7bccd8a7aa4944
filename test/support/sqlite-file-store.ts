/** A SQLite file store in a fresh temporary directory per test, for suites about the file itself. */
import path from 'node:path';
import { openSqliteStore, SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { removeDir, tempDataDir } from './test-engine.ts';

/** The current test's store and where it lives. */
export interface SqliteFileStore {
  readonly dataDir: string;
  /** The database file inside dataDir. */
  readonly file: string;
  readonly store: Store;
  /** Closes the store (a test may have closed it already), runs `between` on the closed file, and opens it again. */
  reopen(between?: () => void): Promise<Store>;
}

/** Registers mocha hooks: a store opened before each test, closed and its directory removed after. */
export function useSqliteFileStore(): SqliteFileStore {
  let dataDir = '';
  let store: Store | null = null;
  // Closing a closed store does nothing, so a test may close it itself first.
  const close = async () => { await store?.close(); };
  const open = () => {
    store = openSqliteStore({ dataDir });
    return store;
  };
  beforeEach(() => {
    dataDir = tempDataDir();
    open();
  });
  afterEach(async () => {
    await close();
    removeDir(dataDir);
  });
  return {
    get dataDir() { return dataDir; },
    get file() { return path.join(dataDir, SQLITE_FILE); },
    get store() {
      if (!store) throw new Error('the store opens in beforeEach');
      return store;
    },
    async reopen(between) {
      await close();
      between?.();
      return open();
    },
  };
}
