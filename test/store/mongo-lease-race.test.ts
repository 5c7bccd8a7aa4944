/**
 * The MongoDB lease store under the race a renewal used to lose: the holder's renewal is asked
 * just before its term expires, while another process, having read that term as expired, is
 * inserting the next one. At most one of them may come away holding the lease.
 */
import { expect } from 'chai';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { MongoLeaseStore } from '../../engine/store/mongodb/mongo-lease-store.ts';
import { dropDatabase, freshDbName, requireMongoUri } from '../support/mongo-server.ts';

/** `db` whose leases collection holds each insertOne until `gate` resolves. */
function gatedInserts(db: Db, gate: Promise<void>, reached: () => void): Db {
  return new Proxy(db, {
    get(target, key) {
      if (key !== 'collection') return Reflect.get(target, key);
      return (name: string) => {
        const collection = target.collection(name);
        return new Proxy(collection, {
          get(c, k) {
            if (k === 'insertOne') {
              return async (doc: Document) => { reached(); await gate; return (c as Collection).insertOne(doc); };
            }
            const value: unknown = Reflect.get(c, k);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(c) : value;
          },
        });
      };
    },
  });
}

describe('MongoDB lease store: a renewal racing a take-over', () => {
  const TTL = 20_000;
  let dbName: string;
  let clients: MongoClient[] = [];
  beforeEach(async () => {
    dbName = freshDbName('lease');
    clients = [new MongoClient(requireMongoUri()), new MongoClient(requireMongoUri())];
    await Promise.all(clients.map((c) => c.connect()));
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await dropDatabase(dbName);
  });

  it('never leaves both the renewing holder and the process taking over holding the lease', async () => {
    const a = new MongoLeaseStore(clients[0]!.db(dbName));
    await a.ensureIndexes();
    const t0 = 1_000_000;
    expect(await a.acquire('processing', 'A', t0, t0 + TTL)).to.equal(true);

    // B reads the term as expired (its clock is past it) and is held at its insert.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let bReached!: () => void;
    const bAtInsert = new Promise<void>((resolve) => { bReached = resolve; });
    const b = new MongoLeaseStore(gatedInserts(clients[1]!.db(dbName), gate, () => bReached()));
    const bTakes = b.acquire('processing', 'B', t0 + TTL + 1, t0 + 2 * TTL + 1);
    await bAtInsert;

    // A renews, asked just before its term ends; then B's insert lands.
    const aRenews = await a.acquire('processing', 'A', t0 + TTL - 1, t0 + 2 * TTL - 1);
    release();
    const bGot = await bTakes;
    expect([aRenews, bGot].filter(Boolean), `A renewed: ${aRenews}, B took over: ${bGot}`).to.have.length(1);
  });
});
