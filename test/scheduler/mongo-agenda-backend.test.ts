import { MongoClient } from 'mongodb';
import { MongoBackend } from '@agendajs/mongo-backend';
import { agendaBackendContract } from '../contract/agenda-backend-contract.ts';
import { dropDatabase, freshDbName, requireMongoUri } from '../support/mongo-server.ts';
import { MONGO_AGENDA_COLLECTION } from '../../engine/open-storage.ts';

/** Whether the server is FerretDB (its buildInfo says so), whose conditional updates are not atomic. */
async function isFerretDb(client: MongoClient): Promise<boolean> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

// As the engine runs it: Agenda's MongoDB backend on a connection the engine owns. The second
// backend has its own client, as a second engine process would.
agendaBackendContract('mongodb (@agendajs/mongo-backend, second client for the second instance)', async () => {
  const uri = requireMongoUri();
  const dbName = freshDbName('agenda');
  const clients: MongoClient[] = [];
  const open = async (): Promise<MongoBackend> => {
    const client = new MongoClient(uri);
    clients.push(client);
    await client.connect();
    const backend = new MongoBackend({ mongo: client.db(dbName), collection: MONGO_AGENDA_COLLECTION });
    // Agenda connects its backend when it starts; the repository cases call it directly.
    await backend.connect();
    return backend;
  };
  const backend = await open();
  return {
    backend,
    openSameData: open,
    atomicUpdates: !(await isFerretDb(clients[0]!)),
    async cleanup() {
      await dropDatabase(dbName);
      for (const client of clients) await client.close();
    },
  };
});
