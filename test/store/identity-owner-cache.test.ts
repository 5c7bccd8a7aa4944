/**
 * The SQLite profile store remembers identity owners per connection. Two connections to one file
 * (as the HTTP and processing threads have): what one remembers must not outlive a space deleted
 * and made again through the other, nor let a claim through that belongs to someone else.
 */
import { expect } from 'chai';
import { openSqliteStore } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { makeProfile, makeSpace, nextVersion, SPACE_A } from '../contract/store-fixtures.ts';
import { useSqliteFileStore } from '../support/sqlite-file-store.ts';

describe('sqlite profile store: remembered identity owners', () => {
  const file = useSqliteFileStore();
  let other: Store;

  beforeEach(async () => {
    other = openSqliteStore({ dataDir: file.dataDir });
    expect(await file.store.spaces.createSpace(makeSpace({ id: SPACE_A }))).to.equal('ok');
  });

  afterEach(async () => {
    await other.close();
  });

  it('finds the new owner after the space was deleted and made again through another connection', async () => {
    const first = makeProfile({ userId: 'u1', userIds: ['u1'] });
    expect(await file.store.profiles.insert(first)).to.equal('ok');
    // Looked up (and remembered) through the first connection.
    expect((await file.store.profiles.findOwner(SPACE_A, 'userId', 'u1'))?.id).to.equal(first.id);
    expect(await file.store.profiles.liveProfileId(SPACE_A, 'userId', 'u1')).to.equal(first.id);

    expect(await other.spaces.deleteSpace(SPACE_A)).to.equal(true);
    expect(await file.store.profiles.findOwner(SPACE_A, 'userId', 'u1'), 'the remembered owner is gone').to.equal(null);
    expect(await other.spaces.createSpace(makeSpace({ id: SPACE_A }))).to.equal('ok');
    const second = makeProfile({ userId: 'u1', userIds: ['u1'] });
    expect(await other.profiles.insert(second)).to.equal('ok');

    expect(await file.store.profiles.liveProfileId(SPACE_A, 'userId', 'u1')).to.equal(second.id);
    expect((await file.store.profiles.findOwner(SPACE_A, 'userId', 'u1'))?.id).to.equal(second.id);
    // A new claim for the remembered owner goes through; a profile of the deleted space cannot come back with it.
    expect(await file.store.profiles.update(nextVersion(second, { anonymousIds: ['a1'] }), 1)).to.equal('ok');
    expect((await file.store.profiles.findOwner(SPACE_A, 'anonymousId', 'a1'))?.id).to.equal(second.id);
    expect(await file.store.profiles.update(nextVersion(first), 1), 'the first profile was deleted with its space').to.equal('version_conflict');
  });

  it('follows the new owner from a merge walk too, when it is the first to meet the remembered owner gone', async () => {
    const first = makeProfile({ userId: 'u1', userIds: ['u1'] });
    expect(await file.store.profiles.insert(first)).to.equal('ok');
    expect(await file.store.profiles.liveProfileId(SPACE_A, 'userId', 'u1')).to.equal(first.id);

    expect(await other.spaces.deleteSpace(SPACE_A)).to.equal(true);
    expect(await other.spaces.createSpace(makeSpace({ id: SPACE_A }))).to.equal('ok');
    const second = makeProfile({ userId: 'u1', userIds: ['u1'] });
    expect(await other.profiles.insert(second)).to.equal('ok');

    expect(await file.store.profiles.liveProfileId(SPACE_A, 'userId', 'u1')).to.equal(second.id);
    expect((await file.store.profiles.findOwner(SPACE_A, 'userId', 'u1'))?.id).to.equal(second.id);
  });

  it('still refuses an identity remembered as another profile\'s', async () => {
    const owner = makeProfile({ userId: 'u1', userIds: ['u1'] });
    const rival = makeProfile({ userId: 'u2', userIds: ['u2'] });
    expect(await file.store.profiles.insert(owner)).to.equal('ok');
    expect(await file.store.profiles.insert(rival)).to.equal('ok');
    expect((await file.store.profiles.findOwner(SPACE_A, 'userId', 'u1'))?.id).to.equal(owner.id);
    expect((await file.store.profiles.findOwner(SPACE_A, 'userId', 'u2'))?.id).to.equal(rival.id);
    expect(await file.store.profiles.update(nextVersion(rival, { userIds: ['u2', 'u1'] }), 1)).to.equal('identity_conflict');
    expect(await file.store.profiles.get(SPACE_A, rival.id)).to.deep.equal(rival);
    // Its own remembered claims need no check; a new one is still claimed.
    expect(await file.store.profiles.update(nextVersion(rival, { anonymousIds: ['a2'] }), 1)).to.equal('ok');
    expect((await other.profiles.findOwner(SPACE_A, 'anonymousId', 'a2'))?.id).to.equal(rival.id);
  });
});
