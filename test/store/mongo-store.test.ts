import { openMongoStore } from '../../engine/store/mongodb/open-mongo-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { storeContract } from '../contract/store-contract.ts';
import { dropDatabase, freshDbName, requireMongoUri } from '../support/mongo-server.ts';

storeContract('mongodb', async () => {
  const uri = requireMongoUri();
  const dbName = freshDbName('store');
  let store: Store = await openMongoStore({ uri, dbName });
  return {
    store,
    async reopen() {
      await store.close();
      store = await openMongoStore({ uri, dbName });
      return store;
    },
    async cleanup() {
      await store.close();
      await dropDatabase(dbName);
    },
  };
});
