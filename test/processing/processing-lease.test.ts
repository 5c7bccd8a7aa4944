/**
 * The processing lease between engine processes: two ProcessingLease objects, each with its own
 * connection to one MongoDB database (as two processes have), are never both the processor;
 * a release hands over at the next renewal, and a holder that stops renewing (a dead process)
 * is taken over only after its lease has expired.
 */
import { expect } from 'chai';
import { openMongoStore } from '../../engine/store/mongodb/open-mongo-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { ProcessingLease } from '../../engine/processing/processing-lease.ts';
import { createLogger } from '../../engine/logger.ts';
import { dropDatabase, freshDbName, requireMongoUri } from '../support/mongo-server.ts';

// Renewals every third of it: 500 ms leaves a loaded machine room for a slow renewal round trip.
const TTL_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('processing lease: one processor among processes sharing a MongoDB database', function () {
  this.timeout(20_000);
  let dbName: string;
  const stores: Store[] = [];
  const leases: ProcessingLease[] = [];

  async function engineProcess(): Promise<{ lease: ProcessingLease; store: Store; acquired: number[] }> {
    const uri = requireMongoUri();
    const store = await openMongoStore({ uri, dbName });
    stores.push(store);
    const acquired: number[] = [];
    const lease = new ProcessingLease({ leases: store.leases, ttlMs: TTL_MS, logger: createLogger('error', true), onAcquired: () => acquired.push(Date.now()) });
    leases.push(lease);
    return { lease, store, acquired };
  }

  beforeEach(() => { dbName = freshDbName('lease'); });
  afterEach(async () => {
    for (const lease of leases.splice(0)) await lease.stop();
    for (const store of stores.splice(0)) await store.close().catch(() => {});
    await dropDatabase(dbName);
  });

  it('is held by exactly one of two processes at every moment, over many renewals', async () => {
    const a = await engineProcess();
    const b = await engineProcess();
    await Promise.all([a.lease.start(), b.lease.start()]);
    let both = 0;
    let neither = 0;
    for (let i = 0; i < 100; i++) {
      if (a.lease.held && b.lease.held) both++;
      if (!a.lease.held && !b.lease.held) neither++;
      await sleep(15);
    }
    expect(both, 'samples where both were the processor').to.equal(0);
    expect(neither, 'samples where neither was (no one died)').to.equal(0);
    expect(a.acquired.length + b.acquired.length, 'one acquisition, kept by renewals').to.equal(1);
  });

  it('a released lease is taken by the other process at its next renewal', async () => {
    const a = await engineProcess();
    await a.lease.start();
    const b = await engineProcess();
    await b.lease.start();
    expect([a.lease.held, b.lease.held]).to.deep.equal([true, false]);
    const releasedAt = Date.now();
    await a.lease.stop();
    while (!b.lease.held && Date.now() - releasedAt < 3 * TTL_MS) await sleep(10);
    expect(b.lease.held, 'b took over').to.equal(true);
    expect(b.acquired[0]! - releasedAt, 'within one renewal period').to.be.below(TTL_MS);
  });

  it('a holder that stops renewing (its process died) is taken over only after the lease expires', async () => {
    const a = await engineProcess();
    await a.lease.start();
    const b = await engineProcess();
    await b.lease.start();
    expect(a.lease.held).to.equal(true);
    // A dies: its connection goes away and nobody releases the lease.
    const lastRenewal = Date.now();
    await a.store.close();
    while (!b.lease.held && Date.now() - lastRenewal < 5 * TTL_MS) await sleep(10);
    expect(b.lease.held, 'b took over').to.equal(true);
    // a's last renewal happened at most a third of the lifetime before it died.
    expect(b.acquired[0]! - lastRenewal, 'not before the lease could have expired').to.be.at.least(TTL_MS - TTL_MS / 3 - 50);
    expect(a.lease.held, 'a no longer counts itself the processor').to.equal(false);
  });
});
