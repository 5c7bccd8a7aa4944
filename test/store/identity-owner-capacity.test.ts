/**
 * How many identity owners the SQLite profile store remembers: every owner of a set of people as large
 * as the cache is read once, and the oldest is forgotten first beyond it (memory stays bounded).
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { IdentityOwnerCache, MAX_REMEMBERED_OWNERS } from '../../engine/store/sqlite/identity-owner-cache.ts';

describe('identity owners remembered: capacity and eviction (IdentityOwnerCache)', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE identities (space_id TEXT, kind TEXT, value TEXT, profile_id TEXT, PRIMARY KEY (space_id, kind, value))');
  const claim = db.prepare('INSERT INTO identities VALUES (?, ?, ?, ?)');
  const people = MAX_REMEMBERED_OWNERS + 1;
  db.transaction(() => { for (let i = 0; i < people; i++) claim.run('s1', 'userId', `user-${i}`, `prf_${i}`); })();
  const lookup = db.prepare('SELECT profile_id FROM identities WHERE space_id = ? AND kind = ? AND value = ?');
  let reads = 0;
  /** The real statement, counted. */
  const counted = { get: (...args: unknown[]) => { reads++; return lookup.get(...args); } } as unknown as Statement;

  after(() => db.close());

  it('reads each owner once while the people sending events fit, however they cycle', () => {
    const cache = new IdentityOwnerCache(counted);
    reads = 0;
    for (let pass = 0; pass < 3; pass++) {
      for (let i = 0; i < MAX_REMEMBERED_OWNERS; i++) expect(cache.find('s1', 'userId', `user-${i}`)?.profileId).to.equal(`prf_${i}`);
    }
    expect(reads).to.equal(MAX_REMEMBERED_OWNERS);
    expect(cache.find('s1', 'userId', 'user-0')).to.deep.equal({ profileId: 'prf_0', remembered: true });
  });

  it('forgets the oldest owner first once full, and reads it again when asked', () => {
    const cache = new IdentityOwnerCache(counted);
    for (let i = 0; i < people; i++) cache.find('s1', 'userId', `user-${i}`);
    reads = 0;
    expect(cache.find('s1', 'userId', `user-${people - 1}`)?.remembered, 'the newest').to.equal(true);
    expect(cache.find('s1', 'userId', 'user-1')?.remembered, 'the second oldest').to.equal(true);
    expect(reads).to.equal(0);
    expect(cache.find('s1', 'userId', 'user-0'), 'the oldest, read again').to.deep.equal({ profileId: 'prf_0', remembered: false });
    expect(reads).to.equal(1);
  });

  it('does not remember an identity nobody claimed (it may be claimed next)', () => {
    const cache = new IdentityOwnerCache(counted);
    reads = 0;
    expect(cache.find('s1', 'userId', 'nobody')).to.equal(null);
    expect(cache.find('s1', 'userId', 'nobody')).to.equal(null);
    expect(reads).to.equal(2);
  });
});
