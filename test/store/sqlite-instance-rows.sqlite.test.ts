import Database from 'better-sqlite3';
import { expect } from 'chai';
import type { InstanceRecord } from '../../engine/store/instance-store.ts';
import { SPACE_A, T0, byId, iso } from '../contract/store-fixtures.ts';
import { JOURNEY_1, PROFILE_1, ended, makeDelivery, makeInstance, outboxOf } from '../contract/runtime-fixtures.ts';
import { useSqliteFileStore } from '../support/sqlite-file-store.ts';

/** Writes rows as engines before lean documents did: every field but the outbox in `doc`, the outbox in its column. */
function writeOldFormatRows(file: string, instances: InstanceRecord[]): void {
  const db = new Database(file);
  const insert = db.prepare(`INSERT INTO instances (id, space_id, journey_id, version, profile_id, identifier_key, status, wake_at, rev, doc, outbox)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const i of instances) {
    const { outbox, ...doc } = i;
    insert.run(i.id, i.spaceId, i.journeyId, i.version, i.profileId, i.identifier ?? '', i.status, i.wakeAt, i.rev,
      JSON.stringify(doc), outbox.length === 0 ? null : JSON.stringify(outbox));
  }
  db.close();
}

describe('sqlite store: instance rows', () => {
  const fx = useSqliteFileStore();
  const storedDoc = (id: string) => {
    const db = new Database(fx.file, { readonly: true });
    try {
      return JSON.parse((db.prepare('SELECT doc FROM instances WHERE id = ?').get(id) as { doc: string }).doc) as Record<string, unknown>;
    } finally {
      db.close();
    }
  };

  it('reads rows written by older engines (the whole record in the document) exactly as they were written, through every read', async () => {
    const waiting = makeInstance({ wakeAt: T0, wait: { kind: 'delay', until: T0 }, lastEventId: 'evt-1', loops: {}, conversions: {} });
    const session = makeInstance({ identifier: 'order-7', profileId: 'prof-2' });
    const unfinished = makeInstance({ profileId: 'prof-3', rev: 4, outbox: outboxOf([], [makeDelivery()]) });
    const done = makeInstance({ ...ended(), updatedAt: iso(9000), consumedEventId: 'evt-3' });
    await fx.reopen(() => writeOldFormatRows(fx.file, [waiting, session, unfinished, done]));

    for (const i of [waiting, session, unfinished, done]) {
      const read = await fx.store.instances.get(SPACE_A, i.id);
      expect(read).to.deep.equal(i);
      expect(JSON.stringify(read), 'the same keys in the same order').to.equal(JSON.stringify(i));
    }
    expect(await fx.store.instances.due(T0, 10)).to.deep.equal([waiting]);
    expect(await fx.store.instances.activeForProfiles(SPACE_A, [PROFILE_1, 'prof-2', 'prof-3'])).to.deep.equal(byId([waiting, session, unfinished]));
    expect(await fx.store.instances.listByJourney(SPACE_A, JOURNEY_1, { limit: 10 })).to.deep.equal(byId([waiting, session, unfinished, done]));
    expect(await fx.store.instances.withOutbox(10)).to.deep.equal([unfinished]);

    const moved = { ...waiting, stepId: 'step-2', wait: null, wakeAt: null, rev: 1, updatedAt: iso(1000) };
    expect(await fx.store.instances.update(moved, 0)).to.equal('ok');
    expect(await fx.store.instances.get(SPACE_A, waiting.id), 'an old row rewritten in the lean form').to.deep.equal(moved);
  });

  it('keeps out of the document what the columns hold and what reads back by default', async () => {
    const fresh = makeInstance({ loops: {}, conversions: {}, lastEventId: 'evt-1', enteredAt: iso(), updatedAt: iso(), wakeAt: T0, wait: { kind: 'delay', until: T0 } });
    await fx.store.instances.insert(fresh);
    expect(Object.keys(storedDoc(fresh.id))).to.deep.equal(['stepId', 'wait', 'context', 'triggerEventId', 'enteredAt']);
    const read = await fx.store.instances.get(SPACE_A, fresh.id);
    expect(JSON.stringify(read), 'the same keys in the same order').to.equal(JSON.stringify(fresh));
  });
});
