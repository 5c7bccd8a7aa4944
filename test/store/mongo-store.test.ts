import { openMongoStore } from '../../engine/store/mongodb/open-mongo-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { storeContract } from '../contract/store-contract.ts';
import { dropDatabase, freshDbName, mongoUri } from '../support/mongo-server.ts';

storeContract('mongodb', async () => {
  const uri = mongoUri();
  if (uri === null) throw new Error('no MongoDB server (set MONGODB_URI, or install Go so that scripts/ferretdb.sh can build FerretDB)');
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
